// Typed errors of the client (docs/js.md, "Errors"): callers tell a block that failed
// verification from a gateway that refused a request without parsing messages.

/** The base of every error this client throws on purpose. */
export class ArrowCidError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A block whose bytes do not hash to its CID, or do not match what its parent says of it. */
export class BlockVerificationError extends ArrowCidError {
  constructor(cid, reason, options) {
    super(`block ${cid} failed verification: ${reason}`, options);
    this.cid = String(cid);
    this.reason = reason;
  }
}

/** A manifest node (or a chunk) that hashes correctly but is not what docs/canonical-form.md §7.5 allows. */
export class ManifestFormatError extends BlockVerificationError {
  constructor(cid, field, reason, options) {
    super(cid, `${field}: ${reason}`, options);
    this.field = field;
  }
}

/**
 * A gateway answered with an error status (an RFC 9457 problem where it sent one). `cid` names the
 * block asked for when the request was for one: a node refuses to serve a block whose stored copy
 * does not hash to its CID (500), so corruption on the node's disk surfaces here, naming the block.
 */
export class GatewayError extends ArrowCidError {
  constructor(url, status, problem, options) {
    const detail = problem?.detail ?? problem?.title ?? '';
    super(`${status} from ${url}${detail ? `: ${detail}` : ''}`, options);
    this.url = url;
    this.status = status;
    this.problem = problem;
    this.cid = options?.cid === undefined ? undefined : String(options.cid);
  }
}

/**
 * A table whose manifest tree names more chunks than the caller allows (options.maxChunks): a tree
 * whose nodes link one child thousands of times describes billions of chunks in a few kilobytes.
 */
export class TableWalkLimitError extends ArrowCidError {
  constructor(cid, limit, options) {
    super(`table ${cid} names more than ${limit} chunks (options.maxChunks)`, options);
    this.cid = String(cid);
    this.limit = limit;
  }
}

/** A signed name's record or chain that does not verify; `code` says what failed (docs/names.md, "Verification"). */
export class NameVerificationError extends ArrowCidError {
  constructor(code, message, options) {
    super(`the name does not verify (${code}): ${message}`, options);
    this.code = code;
  }
}
