using System.Text;
using ArrowCid.Content.Car;
using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Tests.Car;

/// <summary>A small DAG: raw leaves, an identity block and a DAG-CBOR root linking them.</summary>
internal static class CarTestData
{
    public static IReadOnlyList<(Cid Cid, byte[] Data)> Blocks()
    {
        var leaves = Enumerable.Range(0, 5).Select(i => Encoding.UTF8.GetBytes($"leaf {i} " + new string('x', i * 37))).ToList();
        var blocks = leaves.Select(d => (Cid.ForRaw(d), d)).ToList();
        byte[] tiny = [1, 2, 3];
        blocks.Add((Cid.CreateV1(Multicodec.Raw, Multihash.Identity(tiny)), tiny));
        var root = DagCborEncoder.EncodeBlock(
            DagNode.MapOf(("leaves", DagNode.ListOf(blocks.Select(b => DagNode.Of(b.Item1)))), ("name", DagNode.Of("test"))),
            out var rootCid);
        blocks.Insert(0, (rootCid, root));
        return blocks;
    }

    public static byte[] CarV1(out IReadOnlyList<(Cid Cid, byte[] Data)> blocks)
    {
        blocks = Blocks();
        using var stream = new MemoryStream();
        var writer = new CarV1Writer(stream, [blocks[0].Cid]);
        foreach (var (cid, data) in blocks)
        {
            writer.WriteBlock(cid, data);
        }

        return stream.ToArray();
    }

    public static byte[] CarV2(out IReadOnlyList<(Cid Cid, byte[] Data)> blocks)
    {
        blocks = Blocks();
        using var stream = new MemoryStream();
        var writer = new CarV2Writer(stream, [blocks[0].Cid]);
        foreach (var (cid, data) in blocks)
        {
            writer.WriteBlock(cid, data);
        }

        writer.Finish();
        return stream.ToArray();
    }
}
