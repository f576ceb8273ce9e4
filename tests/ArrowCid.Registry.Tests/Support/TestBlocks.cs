using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Registry.Tests.Support;

/// <summary>Blocks and records for tests: random raw "batches" and DAG-CBOR manifests linking them.</summary>
public static class TestBlocks
{
    public static (Cid Cid, byte[] Bytes) RandomBatch(Random random, int maxLength = 4096)
    {
        byte[] bytes = new byte[1 + random.Next(maxLength)];
        random.NextBytes(bytes);
        return (Cid.ForRaw(bytes), bytes);
    }

    public static (Cid Cid, byte[] Bytes) Manifest(params Cid[] batches)
    {
        var node = DagNode.MapOf(
            ("batches", DagNode.ListOf(batches.Select(DagNode.Of))),
            ("version", DagNode.Of(1L)));
        byte[] bytes = DagCborEncoder.EncodeBlock(node, out var cid);
        return (cid, bytes);
    }

    public static BlockRecord BatchRecord(Cid cid, long rows = 10, string? producer = "test") => new()
    {
        Cid = cid,
        Kind = BlockKind.Batch,
        Schema = "{\"fields\":[{\"name\":\"x\",\"type\":\"int64\"}]}",
        Rows = rows,
        Bytes = 100,
        Producer = producer,
    };

    public static BlockRecord DatasetRecord(Cid cid, params Cid[] batches) => new()
    {
        Cid = cid,
        Kind = BlockKind.Dataset,
        Rows = 10 * batches.Length,
        Links = batches,
        Producer = "test",
    };

    /// <summary>A raw CID for made-up content, for registry tests that need no block.</summary>
    public static Cid FakeCid(int n) => Cid.ForRaw(BitConverter.GetBytes(n));

    /// <summary>A dag-cbor CID for made-up content.</summary>
    public static Cid FakeDatasetCid(int n) => Cid.ForDagCbor(BitConverter.GetBytes(n));
}
