// ArrowCid's JavaScript client (docs/js.md). Each capability lives in its own module; this file
// only re-exports them, one line each.
export { cidOf, describeTable, readArrowIpc, canonicalBatchBytes, rawCid } from './cid.js';
export { fetchTable, decodeChunk, readTable } from './fetch.js';
export { fetchChunks, resolveTable, versions } from './chunks.js';
export { ArrowCidError, BlockVerificationError, ManifestFormatError, GatewayError, TableWalkLimitError, NameVerificationError } from './errors.js';
export { resolveName, ipnsPublicKey } from './names.js';
export { putTable, listTables, allTables, tableInfo } from './tables.js';
export { subscribe } from './subscribe.js';
