using System.Runtime.CompilerServices;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Repository;

/// <summary>
/// A table's chunk blocks as <see cref="TableStreamWriter"/> reads them: each opened through a
/// <see cref="BlockReader"/> (mapped or leased, verified) as the stream reaches it, and let go when
/// the stream moves on, so one chunk is held at a time.
/// </summary>
public static class ChunkBlocks
{
    /// <summary>Opens <paramref name="chunks"/> in order on the caller's thread.</summary>
    /// <param name="reader">The reader.</param>
    /// <param name="chunks">The chunks.</param>
    /// <returns>The chunks' blocks.</returns>
    public static IEnumerable<CanonicalChunk> Read(BlockReader reader, IEnumerable<TableTreeEntry> chunks)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(chunks);
        foreach (var chunk in chunks)
        {
            using var block = reader.Open(chunk.Cid);
            yield return new CanonicalChunk(chunk.Cid, block.Memory);
        }
    }

    /// <summary>Opens <paramref name="chunks"/> in order with <paramref name="open"/> (which may fetch what is missing).</summary>
    /// <param name="chunks">The chunks.</param>
    /// <param name="open">Opens one chunk's block.</param>
    /// <param name="cancellationToken">Stops between chunks.</param>
    /// <returns>The chunks' blocks.</returns>
    public static async IAsyncEnumerable<CanonicalChunk> ReadAsync(IEnumerable<TableTreeEntry> chunks, Func<Cid, CancellationToken, Task<LeasedBlock>> open, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        ArgumentNullException.ThrowIfNull(open);
        foreach (var chunk in chunks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var block = await open(chunk.Cid, cancellationToken).ConfigureAwait(false);
            yield return new CanonicalChunk(chunk.Cid, block.Memory);
        }
    }

    /// <summary>The blocks <paramref name="blocks"/> hands out (opened ahead, say), each disposed when the stream moves past it.</summary>
    /// <param name="blocks">Leased blocks, in order.</param>
    /// <returns>The chunks' blocks.</returns>
    public static async IAsyncEnumerable<CanonicalChunk> Of(IAsyncEnumerable<LeasedBlock> blocks)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        await foreach (var block in blocks.ConfigureAwait(false))
        {
            using (block)
            {
                yield return new CanonicalChunk(block.Cid, block.Memory);
            }
        }
    }
}
