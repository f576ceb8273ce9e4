using ArrowCid.Content.Multiformats;

using ArrowCid.Registry;
using ArrowCid.Wire;

namespace ArrowCid.Repository;

/// <summary>One batch as stored (or, for a compute-only call, as it would be).</summary>
/// <param name="Cid">The batch's CID ("bafkrei…").</param>
/// <param name="Rows">Rows in the batch.</param>
/// <param name="Bytes">Length of its canonical bytes.</param>
public sealed record StoredBatch(Cid Cid, long Rows, long Bytes)
{
    /// <summary>Stored chunks as the JSON documents list them (a put's result, <c>put --json</c>), in the order given.</summary>
    /// <param name="chunks">The chunks.</param>
    /// <returns>One entry each.</returns>
    public static List<ChunkEntry> Entries(IEnumerable<StoredBatch> chunks) =>
        [.. chunks.Select(c => new ChunkEntry(c.Cid.ToString(), c.Rows, c.Bytes))];
}

/// <summary>A table as stored (or as it would be).</summary>
/// <param name="Cid">The table's CID: its manifest root ("bafyrei…", dag-cbor), or for a table of one chunk that chunk's CID ("bafkrei…", raw).</param>
/// <param name="Rows">Rows in all chunks.</param>
/// <param name="Batches">Number of chunks (a repeated chunk counts each time).</param>
/// <param name="Bytes">Canonical bytes of all chunks (manifest blocks not counted).</param>
/// <param name="ManifestBytes">Length of its manifest root block (0 for a table of one chunk).</param>
public sealed record TableResult(Cid Cid, long Rows, int Batches, long Bytes, long ManifestBytes);

/// <summary>What putting (or naming) a stream of batches produced: each chunk in order, then the table.</summary>
/// <param name="Batches">The chunks in order.</param>
/// <param name="Table">The table they make.</param>
/// <param name="Version">The version of <see cref="PutOptions.Name"/> the table became (or already was), when a name was given.</param>
public sealed record PutStreamResult(IReadOnlyList<StoredBatch> Batches, TableResult Table, NamedVersion? Version = null)
{
    /// <summary>Whether <see cref="Version"/> was added by this put; false when the name's latest version already named the table.</summary>
    public bool VersionAdded { get; init; }

    /// <summary>The table's CID and totals, as every report of it gives them.</summary>
    public TableTotals Totals => new(Table.Cid.ToString(), Table.Rows, Table.Bytes, Table.Batches, Table.ManifestBytes);

    /// <summary>The one report of a put: what <c>put --json</c> prints per input and what <c>POST /api/v1/tables</c> answers.</summary>
    /// <param name="input">The path read; null for an upload, whose report leaves it out.</param>
    public PutReport ToReport(string? input) => new(
        input,
        Totals,
        StoredBatch.Entries(Batches),
        Version?.Name,
        Version?.Version,
        Version is null ? null : VersionAdded);
}
