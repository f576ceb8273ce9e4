using ArrowCid.Content.Canonical;
using ArrowCid.Content.Multiformats;
using ArrowCid.Grpc;
using ArrowCid.Flight.Service;
using ArrowCid.Node;
using ArrowCid.SharedMemory;

namespace ArrowCid.Flight.Tests.Service;

/// <summary>
/// A node serving this host's shared-memory store: batches published there without a registry —
/// small ones in the arena, larger ones (or all, without an arena) in segment files — are fetched
/// by CID with DoGet, described by GetFlightInfo and GetSchema, and hashed before they are sent.
/// </summary>
public sealed class FlightSharedMemoryTests : IDisposable
{
    private readonly string _shmBase = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "arrowcid-flight-shm-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_shmBase))
        {
            Directory.Delete(_shmBase, recursive: true);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_published_batch_is_served_by_DoGet_and_described_by_GetFlightInfo(bool arena)
    {
        using var store = OpenStore(arena);
        using var batch = TestBatches.Small(21, rows: 3);
        var published = store.Publish(batch);
        var entry = Assert.Single(store.List());
        Assert.Equal(arena, entry.ArenaOffset is not null);
        Assert.Equal(!arena, File.Exists(store.PathOf(published.Cid)));

        await using var node = await FlightNodeFixture.StartAsync(new NodeOptions { SharedMemory = store });
        using var client = node.Client();
        var fetched = await client.GetAsync(published.Cid);
        var block = Assert.Single(fetched.Batches).CanonicalBytes.ToArray();
        Assert.Equal(published.Cid, Cid.ForRaw(block));
        Assert.Equal(CanonicalEncoder.Encode(batch), block);

        var info = await client.GetInfoAsync(published.Cid);
        Assert.Equal(3, info.TotalRecords);
        Assert.Equal(block.Length, info.TotalBytes);
        Assert.Equal(node.Location, Assert.Single(Assert.Single(info.Endpoint).Location).Uri);
        byte[] schema = await client.GetSchemaMessageAsync(published.Cid);
        Assert.Equal(block.AsSpan(0, schema.Length).ToArray(), schema);
        Assert.Equal(info.Schema.ToByteArray(), schema);
        Assert.Equal(block, await client.GetBlockAsync(published.Cid));

        // Served under a lease that ends with the call: the slot may be evicted again.
        Assert.False(Assert.Single(store.List()).Leased);
        Assert.False(node.Content.Repository.Blocks.Has(published.Cid)); // served in place, not imported
    }

    [Fact]
    public async Task A_corrupted_arena_slot_is_DATA_LOSS_and_leaves_no_lease()
    {
        using var store = OpenStore(arena: true);
        using var batch = TestBatches.Small(22, rows: 3);
        var cid = store.Publish(batch).Cid;
        var entry = Assert.Single(store.List());
        using (var file = File.OpenHandle(entry.Path, FileMode.Open, FileAccess.ReadWrite))
        {
            // A value byte near the end of the body: the stream still parses, only the hash can tell.
            long at = entry.ArenaOffset!.Value + entry.Bytes - 24;
            byte[] one = new byte[1];
            RandomAccess.Read(file, one, at);
            one[0] ^= 0x5A;
            RandomAccess.Write(file, one, at);
        }

        await using var node = await FlightNodeFixture.StartAsync(new NodeOptions { SharedMemory = store });
        using var client = node.Client();
        Assert.Equal(StatusCode.DataLoss, (await Assert.ThrowsAsync<RpcException>(() => client.GetAsync(cid))).StatusCode);
        Assert.Equal(StatusCode.DataLoss, (await Assert.ThrowsAsync<RpcException>(() => client.GetInfoAsync(cid))).StatusCode);
        Assert.False(Assert.Single(store.List()).Leased);
    }

    private ShmStore OpenStore(bool arena) => ShmStore.Open(new ShmStoreOptions
    {
        BaseDirectory = _shmBase,
        StoreName = "flight",
        // A small arena (the default one reserves gigabytes of address space); 0 puts every batch in a file.
        ArenaSlotBytes = arena ? ShmStoreOptions.DefaultArenaSlotBytes : 0,
        ArenaSlots = 256,
        ArenaSmallSlots = 64,
    });
}
