using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Datasets;

/// <summary>One batch a dataset manifest links, in table order.</summary>
/// <param name="Cid">The batch's CID: CIDv1, raw codec, sha2-256 of its canonical bytes.</param>
/// <param name="Rows">Rows in the batch.</param>
/// <param name="Bytes">Length of the batch's canonical bytes (its block).</param>
public sealed record DatasetBatch(Cid Cid, long Rows, long Bytes);
