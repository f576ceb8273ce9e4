using ArrowCid.Content.Car;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;

namespace ArrowCid.Registry.ContentAccess;

/// <summary>Writes repository content as a CAR: roots in the order given, a dataset's manifest before its batches.</summary>
internal static class CarExport
{
    private delegate bool BlockSink(Cid cid, ReadOnlySpan<byte> data);

    public static CarExportReport Write(ContentRepository content, IEnumerable<Cid> roots, Stream destination, bool v2)
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
            blocks = WriteAll(content, rootList, writer.WriteBlock);
            writer.Finish();
            bytesWritten = destination.Position - start;
        }
        else
        {
            var writer = new CarV1Writer(destination, rootList);
            blocks = WriteAll(content, rootList, writer.WriteBlock);
            bytesWritten = writer.BytesWritten;
        }

        return new CarExportReport(rootList, blocks, bytesWritten);
    }

    private static int WriteAll(ContentRepository content, Cid[] roots, BlockSink sink)
    {
        int written = 0;
        foreach (var root in roots)
        {
            ArgumentNullException.ThrowIfNull(root, nameof(roots));
            var order = root.Codec == Multicodec.DagCbor
                ? content.GetDataset(root).Batches.Select(b => b.Cid).Prepend(root)
                : [root];
            foreach (var cid in order)
            {
                written += WriteBlock(content, cid, sink) ? 1 : 0;
            }
        }

        return written;
    }

    private static bool WriteBlock(ContentRepository content, Cid cid, BlockSink sink)
    {
        // The CAR writers re-hash every block against its CID, so the mapping is not hashed twice.
        using var block = MappedBlock.Open(content.Repository.Blocks, cid, verify: false);
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
