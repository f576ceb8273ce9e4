using ArrowCid.Content.Multiformats;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>One batch as stored (or, for a compute-only call, as it would be).</summary>
/// <param name="Cid">The batch's CID ("bafkrei…").</param>
/// <param name="Rows">Rows in the batch.</param>
/// <param name="Bytes">Length of its canonical bytes.</param>
public sealed record StoredBatch(Cid Cid, long Rows, long Bytes);

/// <summary>A dataset manifest as stored (or as it would be).</summary>
/// <param name="Cid">The manifest's CID ("bafyrei…").</param>
/// <param name="Rows">Rows in all batches.</param>
/// <param name="Batches">Number of batches the manifest links (a repeated batch counts each time).</param>
/// <param name="Bytes">Canonical bytes of all batches (the manifest not counted).</param>
/// <param name="ManifestBytes">Length of the manifest block.</param>
public sealed record DatasetResult(Cid Cid, long Rows, int Batches, long Bytes, long ManifestBytes);

/// <summary>What putting (or naming) a stream of batches produced: each batch in order, then the dataset.</summary>
/// <param name="Batches">The batches in order.</param>
/// <param name="Dataset">The manifest linking them.</param>
/// <param name="Version">The version of <see cref="PutOptions.Name"/> the dataset became, when a name was given.</param>
public sealed record PutStreamResult(IReadOnlyList<StoredBatch> Batches, DatasetResult Dataset, NamedVersion? Version = null);
