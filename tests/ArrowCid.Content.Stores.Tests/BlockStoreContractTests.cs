using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;

namespace ArrowCid.Content.Stores.Tests;

/// <summary>What every <see cref="IBlockStore"/> does; each store's test class supplies an empty one.</summary>
public abstract class BlockStoreContractTests
{
    private readonly Random _random = new(99);

    protected abstract IBlockStore CreateEmptyStore();

    protected (Cid Cid, byte[] Bytes) RandomBlock(int maxLength = 10_000)
    {
        byte[] bytes = new byte[_random.Next(maxLength)];
        _random.NextBytes(bytes);
        return (Cid.ForRaw(bytes), bytes);
    }

    [Fact]
    public void Put_then_read_returns_the_same_bytes_every_way()
    {
        var store = CreateEmptyStore();
        var (cid, bytes) = RandomBlock();
        store.Put(cid, bytes);

        Assert.True(store.Has(cid));
        Assert.Equal(bytes, store.Read(cid).ToArray());
        Assert.True(store.TryRead(cid, out var block));
        Assert.Equal(bytes, block.ToArray());
        Assert.True(store.TryGetSize(cid, out long size));
        Assert.Equal(bytes.Length, size);
        using var stream = store.OpenRead(cid);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        Assert.Equal(bytes, copy.ToArray());
    }

    [Fact]
    public void Empty_block_is_a_block()
    {
        var store = CreateEmptyStore();
        var cid = Cid.ForRaw([]);
        store.Put(cid, ReadOnlySpan<byte>.Empty);
        Assert.True(store.TryGetSize(cid, out long size));
        Assert.Equal(0, size);
        Assert.Equal([cid], store.Enumerate());
    }

    [Fact]
    public void Missing_block_is_reported_not_invented()
    {
        var store = CreateEmptyStore();
        var (cid, _) = RandomBlock();
        Assert.False(store.Has(cid));
        Assert.False(store.TryRead(cid, out _));
        Assert.False(store.TryGetSize(cid, out _));
        Assert.False(store.Delete(cid));
        Assert.Equal(cid, Assert.Throws<BlockNotFoundException>(() => store.Read(cid)).Cid);
        Assert.Throws<BlockNotFoundException>(() => store.OpenRead(cid));
    }

    [Fact]
    public void Content_that_does_not_match_its_cid_is_refused_and_not_stored()
    {
        var store = CreateEmptyStore();
        var (cid, bytes) = RandomBlock();
        var (other, _) = RandomBlock();
        Assert.Throws<BlockCorruptedException>(() => store.Put(other, bytes));
        Assert.Throws<BlockCorruptedException>(() => store.Put(other, new MemoryStream(bytes)));
        Assert.False(store.Has(other));
        Assert.Empty(store.Enumerate());
        store.Put(cid, new MemoryStream(bytes));
        Assert.Equal(bytes, store.Read(cid).ToArray());
    }

    [Fact]
    public void Put_twice_delete_and_enumerate()
    {
        var store = CreateEmptyStore();
        var blocks = Enumerable.Range(0, 20).Select(_ => RandomBlock(2000)).ToList();
        foreach (var (cid, bytes) in blocks)
        {
            store.Put(cid, bytes);
            store.Put(cid, bytes);
        }

        Assert.Equal(blocks.Select(b => b.Cid).ToHashSet(), store.Enumerate().ToHashSet());
        Assert.True(store.Delete(blocks[0].Cid));
        Assert.False(store.Has(blocks[0].Cid));
        Assert.Equal(blocks.Count - 1, store.Enumerate().Count());
    }

    [Fact]
    public void Dag_cbor_and_identity_cids_are_stored_too()
    {
        var store = CreateEmptyStore();
        byte[] cbor = Content.DagCbor.DagCborEncoder.EncodeBlock(Content.DagCbor.DagNode.Of("hello"), out var cborCid);
        var identity = Cid.CreateV1(Multicodec.Raw, Multihash.Identity("inline"u8));
        store.Put(cborCid, cbor);
        store.Put(identity, new MemoryStream("inline"u8.ToArray()));
        Assert.Throws<BlockCorruptedException>(() => store.Put(Cid.CreateV1(Multicodec.Raw, Multihash.Identity("x"u8)), new MemoryStream(new byte[1000])));
        Assert.Equal(cbor, store.Read(cborCid).ToArray());
        Assert.Equal("inline"u8.ToArray(), store.Read(identity).ToArray());
    }
}

public sealed class MemoryBlockStoreTests : BlockStoreContractTests
{
    protected override IBlockStore CreateEmptyStore() => new MemoryBlockStore();
}
