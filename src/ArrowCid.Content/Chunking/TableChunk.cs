using ArrowCid.Arrow.Arrays;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Chunking;

/// <summary>One chunk of a table, as <see cref="TableChunker"/> cut it.</summary>
/// <param name="Batch">
/// The chunk's rows in canonical shape (<c>CanonicalArrays.IsCanonical</c> holds): encode it with
/// <c>CanonicalEncoder</c> to get its block. It may share memory with the batches it was cut
/// from, so use it before those are disposed.
/// </param>
/// <param name="FirstRow">Position of the chunk's first row in the table.</param>
/// <param name="EncodedLength">Length of the chunk's canonical block: at most <see cref="ChunkingRule.MaxBlockBytes"/> unless the chunk is a single row.</param>
public sealed record TableChunk(RecordBatch Batch, long FirstRow, long EncodedLength)
{
    /// <summary>Rows in the chunk.</summary>
    public int Rows => Batch.Length;

    /// <summary>Whether the chunk is the whole table (its only chunk), so the table's CID is the chunk's.</summary>
    public bool IsWholeTable { get; init; }

    /// <summary>Writes the chunk's canonical block (the batch is canonical already, so it is not normalised again).</summary>
    /// <param name="destination">Where the block is written (left open).</param>
    public void WriteTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        CanonicalEncoder.EncodeCanonical(Batch, destination);
    }

    /// <summary>The chunk's CID (raw, sha2-256), hashed while encoding; the bytes are not held.</summary>
    /// <returns>The CID, as <c>CanonicalEncoder.ComputeCid</c> gives it.</returns>
    public Cid ComputeCid() => CanonicalEncoder.CidOfCanonical(Batch).Cid;

    /// <summary>The chunk's entry in a manifest tree: its CID, rows and block length.</summary>
    /// <returns>The entry.</returns>
    public TableTreeEntry ToEntry() => new(ComputeCid(), Rows, EncodedLength);
}
