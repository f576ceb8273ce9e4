using ArrowCid.Arrow.Arrays;

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
}
