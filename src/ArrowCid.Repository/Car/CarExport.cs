using ArrowCid.Content.Car;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content;
using ArrowCid.Content.Stores;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>
/// Writes repository content as a CAR: roots in the order given, each root's blocks in the one CAR
/// order (<see cref="CarBlockOrder.DepthFirst"/>: for a table, each manifest node then what it
/// links, in row order), so <c>export car</c> gives the bytes the gateway gives for
/// <c>?format=car</c> with <c>order=dfs</c> and <c>dups=n</c>.
/// </summary>
public static class CarExport
{
    private delegate bool BlockSink(Cid cid, ReadOnlySpan<byte> data);

    /// <summary>Writes the roots' blocks, leaving out those in <paramref name="exclude"/> (a base the reader already holds).</summary>
    /// <param name="content">The repository.</param>
    /// <param name="roots">The roots, in order.</param>
    /// <param name="destination">Where the CAR goes.</param>
    /// <param name="v2">A CARv2 with an index rather than a CARv1.</param>
    /// <param name="exclude">Blocks left out.</param>
    /// <returns>What was written.</returns>
    public static CarExportReport Write(ContentRepository content, IEnumerable<Cid> roots, Stream destination, bool v2, IReadOnlySet<Cid>? exclude = null)
    {
        ArgumentNullException.ThrowIfNull(roots);
        ArgumentNullException.ThrowIfNull(destination);
        var rootList = roots.ToArray();
        if (rootList.Length == 0)
        {
            throw new ArgumentException("a CAR export needs at least one root", nameof(roots));
        }

        // A table root with a hole is refused before anything is written (a foreign DAG is written as far as it is held).
        foreach (var root in rootList.Where(content.IsTableRoot))
        {
            content.RequireComplete(root);
        }

        long start = destination.CanSeek ? destination.Position : 0;
        int blocks = 0;
        long bytesWritten;
        if (v2)
        {
            var writer = new CarV2Writer(destination, rootList);
            blocks = WriteAll(content, rootList, exclude, writer.WriteBlock);
            writer.Finish();
            bytesWritten = destination.Position - start;
        }
        else
        {
            var writer = new CarV1Writer(destination, rootList);
            blocks = WriteAll(content, rootList, exclude, writer.WriteBlock);
            bytesWritten = writer.BytesWritten;
        }

        return new CarExportReport(rootList, blocks, bytesWritten);
    }

    private static int WriteAll(ContentRepository content, Cid[] roots, IReadOnlySet<Cid>? exclude, BlockSink sink)
    {
        int written = 0;
        foreach (var root in roots)
        {
            ArgumentNullException.ThrowIfNull(root, nameof(roots));
            foreach (var cid in CarBlockOrder.DepthFirst(content, root).Where(c => exclude?.Contains(c) != true))
            {
                written += WriteBlock(content, cid, sink) ? 1 : 0;
            }
        }

        return written;
    }

    private static bool WriteBlock(ContentRepository content, Cid cid, BlockSink sink)
    {
        // The CAR writers re-hash every block against its CID, so the mapping is not hashed twice.
        using var block = content.Reader.Open(cid, verify: false);
        try
        {
            return sink(cid, block.Memory.Span);
        }
        catch (ArgumentException e)
        {
            throw Corrupted(cid, block, e);
        }
    }

    /// <summary>
    /// Writes one stored block into <paramref name="writer"/> (which re-hashes it, so it is read
    /// unverified), read as a stream sends it: leased only while it is written.
    /// </summary>
    /// <param name="reader">The node's block reader.</param>
    /// <param name="writer">The CAR being written.</param>
    /// <param name="cid">The block.</param>
    /// <param name="cancellationToken">Stops the write.</param>
    /// <exception cref="BlockNotFoundException">The block is not held.</exception>
    /// <exception cref="BlockCorruptedException">It does not hash to its CID.</exception>
    public static async Task WriteBlockAsync(BlockReader reader, CarV1Writer writer, Cid cid, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(writer);
        using var block = reader.Open(cid, verify: false, access: BlockAccess.Read);
        try
        {
            await writer.WriteBlockAsync(cid, block.Memory, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            throw Corrupted(cid, block, e);
        }
    }

    private static BlockCorruptedException Corrupted(Cid cid, LeasedBlock block, ArgumentException e) =>
        new(cid, $"Stored block file of {block.Memory.Length} bytes does not hash to its CID: {e.Message}");
}
