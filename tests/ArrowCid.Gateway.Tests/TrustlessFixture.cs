using ArrowCid.Content.Car;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;
using ArrowCid.Repository;

namespace ArrowCid.Gateway.Tests;

/// <summary>The tests that share one <see cref="TrustlessFixture"/> (its tables take seconds to put).</summary>
[CollectionDefinition(Name)]
public sealed class SharedTrustlessNode : ICollectionFixture<TrustlessFixture>
{
    public const string Name = "trustless gateway";
}

/// <summary>
/// One node for the trustless gateway and interop tests: a table whose manifest tree has two
/// levels (66 chunks: depth-first order differs from "nodes, then chunks"), a table that repeats
/// its rows (so chunks repeat: dups=y differs from dups=n), and a foreign DAG imported from a CAR
/// (a dag-cbor node linking a raw block that is no Arrow).
/// </summary>
public sealed class TrustlessFixture : IAsyncLifetime
{
    /// <summary>Rows of the mixed table with seed 42 whose tree has two levels (see the repository's ChunkedTables).</summary>
    public const int TwoLevelRows = 427_380;

    private GatewayFixture? _node;

    public GatewayFixture Node => _node ?? throw new InvalidOperationException("not started");

    public Cid TwoLevelTable { get; private set; } = null!;

    public Cid RepeatingTable { get; private set; } = null!;

    public Cid ForeignNode { get; private set; } = null!;

    public Cid ForeignLeaf { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _node = await GatewayFixture.StartAsync();
        var content = Node.Content;
        TwoLevelTable = content.PutStream(MixedTable.Schema, MixedTable.Batches(42, 0, TwoLevelRows, 50_000)).Table.Cid;
        RepeatingTable = content.PutStream(MixedTable.Schema, MixedTable.Batches(7, 0, 30_000, 10_000).Concat(MixedTable.Batches(7, 0, 30_000, 10_000))).Table.Cid;

        byte[] leaf = "not an Arrow block, kept as it came"u8.ToArray();
        ForeignLeaf = Cid.ForRaw(leaf);
        byte[] node = DagCborEncoder.EncodeBlock(DagNode.MapOf(("name", DagNode.Of("foreign")), ("leaf", DagNode.Of(ForeignLeaf))), out var nodeCid);
        ForeignNode = nodeCid;
        using var car = new MemoryStream();
        var writer = new CarV1Writer(car, [ForeignNode]);
        writer.WriteBlock(ForeignNode, node);
        writer.WriteBlock(ForeignLeaf, leaf);
        car.Position = 0;
        content.ImportCar(car);
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    /// <summary>The blocks of a table in depth-first pre-order, found by decoding its nodes here (not through the code under test).</summary>
    public IReadOnlyList<Cid> DepthFirstOf(Cid root)
    {
        var order = new List<Cid>();
        var seen = new HashSet<Cid>();
        void Visit(Cid cid)
        {
            if (!seen.Add(cid))
            {
                return;
            }

            order.Add(cid);
            if (cid.Codec != Multicodec.DagCbor)
            {
                return;
            }

            Assert.True(DagCborDecoder.Decode(Node.Content.GetBytes(cid).Span).TryGetValue("entries", out var entries));
            foreach (var entry in entries.Items)
            {
                Assert.True(entry.TryGetValue("cid", out var link));
                Visit(link.AsLink());
            }
        }

        Visit(root);
        return order;
    }
}
