// ArrowCid's JavaScript client (docs/js.md). Each capability lives in its own module; this file
// only re-exports them, one line each.
export { cidOf, describeTable, readArrowIpc, canonicalBatchBytes, rawCid } from './cid.js';
