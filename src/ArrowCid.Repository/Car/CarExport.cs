using ArrowCid.Content.Car;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>Writes repository content as a CAR: roots in the order given; for a table its root, its manifest nodes (parents before children), then its chunks.</summary>
internal static class CarExport
{
    private delegate bool BlockSink(Cid cid, ReadOnlySpan<byte> data);

    /// <summary>Writes the roots' blocks, leaving out those in <paramref name="exclude"/> (a base the reader already holds).</summary>
    public static CarExportReport Write(ContentRepository content, IEnumerable<Cid> roots, Stream destination, bool v2, IReadOnlySet<Cid>? exclude = null)
    {
        ArgumentNullException.ThrowIfNull(roots);
        ArgumentNullException.ThrowIfNull(destination);
        var rootList = roots.ToArray();
        if (rootList.Length == 0)
        {
            throw new ArgumentException("a CAR export needs at least one root", nameof(roots));
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
            // A table: its root, the manifest nodes (parents before children), then the chunks.
            var order = content.IsDataset(root)
                ? TableBlocks.Read(content, root).Blocks.Select(b => b.Cid)
                : CarBlockOrder.LinkedFrom(content, root);
            foreach (var cid in order.Where(c => exclude?.Contains(c) != true))
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
            throw new BlockCorruptedException(cid, $"Stored block file of {block.Memory.Length} bytes does not hash to its CID: {e.Message}");
        }
    }
}
