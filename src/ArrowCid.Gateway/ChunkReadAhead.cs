using System.Runtime.CompilerServices;
using ArrowCid.Content.Chunking;
using ArrowCid.Repository;

namespace ArrowCid.Gateway;

/// <summary>
/// A table's chunk blocks in row order (for the Arrow stream, compressed or not, and the Arrow
/// file), each opened (read into a pooled buffer and checked as
/// <see cref="BlockReader"/> does) on the thread pool while the caller writes the one before.
/// <para>
/// Why: a stream that read its next chunk only after writing the last would leave the socket
/// idle during every read whenever the send happens on the writing thread (a response buffer
/// full, or inline scheduling), and the reads waiting on every send; reading one chunk ahead keeps
/// both busy (measured on 16 cores: the Arrow stream went from 0.60 to 0.92 of the socket,
/// docs/performance.md). One chunk ahead bounds the memory held.
/// </para>
/// </summary>
internal static class ChunkReadAhead
{
    /// <summary>The blocks of <paramref name="chunks"/>, in order; the caller disposes each one it receives.</summary>
    /// <param name="reader">The node's block reader.</param>
    /// <param name="chunks">The table's chunks, in row order.</param>
    /// <param name="cancellationToken">Stops the reading; a block read ahead and not yet handed out is released.</param>
    /// <returns>The leased blocks.</returns>
    public static async IAsyncEnumerable<LeasedBlock> OpenInOrder(BlockReader reader, IReadOnlyList<TableTreeEntry> chunks, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Task<LeasedBlock>? ahead = chunks.Count > 0 ? OpenAsync(reader, chunks[0]) : null;
        try
        {
            for (int i = 0; i < chunks.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var current = ahead!;
                ahead = null;
                var block = await current.ConfigureAwait(false);
                ahead = i + 1 < chunks.Count ? OpenAsync(reader, chunks[i + 1]) : null;
                yield return block;
            }
        }
        finally
        {
            // Left early (an error, a client gone): the block read ahead is nobody's; let its lease go.
            _ = ahead?.ContinueWith(static opened => opened.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }
    }

    private static Task<LeasedBlock> OpenAsync(BlockReader reader, TableTreeEntry chunk) =>
        Task.Run(() => reader.Open(chunk.Cid, access: BlockAccess.Read));
}
