using ArrowCid.Content.Datasets;
using ArrowCid.Content;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.Flight.Tests.Service;
using ArrowCid.Registry;
using ArrowCid.Repository;
using ArrowCid.TestSupport;

namespace ArrowCid.Node.Tests;

/// <summary>What a node does whatever face asks: chunk ranges, completeness, and errors every face can map.</summary>
public sealed class ContentNodeTests : IDisposable
{
    private readonly TempDirectory _folder = new();
    private readonly ContentRepository _content;
    private readonly ContentNode _node;

    public ContentNodeTests()
    {
        _content = ContentRepository.Open(Path.Combine(_folder.Path, "repo"));
        _node = new ContentNode(_content);
    }

    [Fact]
    public async Task A_chunk_range_selects_those_chunks_and_one_past_the_end_is_an_invalid_argument()
    {
        var put = PutChunkedTable();
        int chunks = put.Batches.Count;
        Assert.True(chunks > 3, $"{chunks} chunks");

        var (table, selected) = await _node.ListHeldChunksAsync(put.Table.Cid, new ChunkRange(1, 3), CancellationToken.None);

        Assert.Equal(put.Table.Cid, table.Cid);
        Assert.Equal(put.Batches.Skip(1).Take(2).Select(b => b.Cid), selected.Select(c => c.Cid));
        var beyond = await Assert.ThrowsAsync<NodeException>(() => _node.ListHeldChunksAsync(put.Table.Cid, new ChunkRange(1, chunks + 1), CancellationToken.None));
        Assert.Equal(NodeErrorKind.InvalidArgument, beyond.Kind);
        Assert.Contains($"it has {chunks} chunks", beyond.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_table_missing_a_chunk_is_not_held_whole_and_is_not_found_without_peers()
    {
        var put = PutChunkedTable();
        var lost = put.Batches[2].Cid;
        Assert.True(_node.HoldsAll(put.Table.Cid));

        Assert.True(_content.Repository.Blocks.Delete(lost));
        _node.Content.Forget(lost);

        Assert.False(_node.HoldsAll(put.Table.Cid));
        var missing = await Assert.ThrowsAsync<NodeException>(() => _node.ListHeldChunksAsync(put.Table.Cid, null, CancellationToken.None));
        Assert.Equal(NodeErrorKind.NotFound, missing.Kind);
        Assert.Contains(lost.ToString(), missing.Message, StringComparison.Ordinal);
        var whole = await Assert.ThrowsAsync<NodeException>(() => _node.EnsureLocalAsync(put.Table.Cid, CancellationToken.None));
        Assert.Equal(NodeErrorKind.NotFound, whole.Kind);
    }

    [Fact]
    public void A_cache_size_without_a_durable_tier_and_a_shared_registry_is_refused_saying_what_it_needs()
    {
        // Evicting would delete the only copy, or a row naming what only this registry names.
        using var shared = RegistryFactory.Open("sqlite:" + Path.Combine(_folder.Path, "shared.db"));
        foreach (var options in new[] { new NodeOptions { CacheBytes = 1 << 20 }, new NodeOptions { CacheBytes = 1 << 20, SharedRegistry = shared } })
        {
            var refused = Assert.Throws<ArgumentException>(() => new ContentNode(_content, options));
            Assert.Contains("durable tier (--blocks s3://…) and a shared registry", refused.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Naming_a_cid_the_shared_registry_lacks_is_not_found_not_a_protocol_error()
    {
        // The leak: ServiceRegistry.AddVersion threw a gRPC RpcException, which an HTTP upload turned into a 500.
        using var shared = RegistryFactory.Open("sqlite:" + Path.Combine(_folder.Path, "shared.db"));
        using var node = new ContentNode(_content, new NodeOptions { SharedRegistry = shared });
        var put = PutChunkedTable();

        var refused = Assert.Throws<NodeException>(() => node.Registrations.AddVersion("sales", put.Table.Cid));

        Assert.Equal(NodeErrorKind.NotFound, refused.Kind);
        node.Registrations.Registered(put.Table.Cid);
        Assert.Equal(1, node.Registrations.AddVersion("sales", put.Table.Cid).Version);
    }

    [Fact]
    public async Task A_named_put_brings_what_the_chain_reads_below_it_from_elsewhere_without_blocking_on_a_fetch()
    {
        // Another node linked version 1 of the name and recorded versions 2 and 3 unlinked (it
        // stopped before linking them): their node and tables are on its disk alone.
        using var shared = RegistryFactory.Open("sqlite:" + Path.Combine(_folder.Path, "shared.db"));
        using var otherContent = ContentRepository.Open(Path.Combine(_folder.Path, "other"));
        using var other = new ContentNode(otherContent, new NodeOptions { SharedRegistry = shared });
        var tables = new List<Cid>();
        for (int seed = 1; seed <= 3; seed++)
        {
            using var batch = TestBatches.Small(seed);
            var cid = otherContent.PutStream(batch.Schema, [batch]).Table.Cid;
            other.Registrations.Registered(cid);
            tables.Add(cid);
        }

        var first = other.Registrations.AddVersion("sales", tables[0]);
        shared.AddVersion("sales", tables[1]);
        shared.AddVersion("sales", tables[2]);

        using var node = new ContentNode(_content, new NodeOptions { SharedRegistry = shared });
        var waitedOn = new List<Cid>();
        var fetched = new List<Cid>();
        // A thread blocked on a fetch is what starved the pool (MultiHostTests): the put must not take this way.
        node.Registrations.FetchMissing = cid =>
        {
            waitedOn.Add(cid);
            return null;
        };
        node.Registrations.FetchMissingAsync = async (cid, cancellationToken) =>
        {
            await Task.Yield();
            fetched.Add(cid);
            if (shared.Find(cid) is { Kind: BlockKind.VersionNode })
            {
                _content.Repository.PutBlock(cid, otherContent.GetBytes(cid).ToArray(), new BlockRecord { Cid = cid, Kind = BlockKind.VersionNode });
            }
            else
            {
                await TableCopy.CopyAsync(_content, cid, (wanted, _) => Task.FromResult(otherContent.GetBytes(wanted)), cancellationToken: cancellationToken);
            }
        };
        using (var batch = TestBatches.Small(4))
        {
            var cid = _content.PutStream(batch.Schema, [batch]).Table.Cid;
            node.Registrations.Registered(cid);
            tables.Add(cid);
        }

        var fourth = await node.Registrations.AddVersionAsync("sales", tables[3]);

        Assert.Empty(waitedOn);
        Assert.Equal(4, fourth.Version);
        Assert.Equal(3, fetched.Count);
        Assert.Equal(new HashSet<Cid> { first.Node!, tables[1], tables[2] }, fetched.ToHashSet());
        var chain = node.Registrations.Names.ReadNode(fourth.Node!);
        var third = node.Registrations.Names.ReadNode(chain.Previous!);
        Assert.Equal(tables[2], third.Table);
        Assert.Equal(first.Node, node.Registrations.Names.ReadNode(third.Previous!).Previous);
        Assert.All(shared.WalkVersions("sales", oldestFirst: true), version => Assert.NotNull(version.Node));
    }

    [Fact]
    public void What_the_layers_below_throw_is_classified_once_for_every_face()
    {
        var cid = PutChunkedTable().Table.Cid;

        Assert.Equal(NodeErrorKind.NotFound, NodeException.KindOf(new BlockNotFoundException(cid)));
        Assert.Equal(NodeErrorKind.Unavailable, NodeException.KindOf(new RegistryUnavailableException("postgres away")));
        Assert.Equal(NodeErrorKind.Unavailable, NodeException.KindOf(new PeersUnavailableException("no holder answered")));
        Assert.Equal(NodeErrorKind.InvalidArgument, NodeException.KindOf(new NodeLimitException("max_tag_key_bytes", 256, "a tag key of 300 bytes")));
        Assert.Equal(NodeErrorKind.InvalidArgument, NodeException.KindOf(new Content.ContentFormatException("not a manifest")));
        Assert.Null(NodeException.KindOf(new InvalidOperationException("the node's own fault")));
    }

    [Fact]
    public void Only_tables_and_batches_are_listed()
    {
        Assert.True(ContentNode.IsListed(BlockKind.Batch));
        Assert.True(ContentNode.IsListed(BlockKind.Dataset));
        Assert.True(ContentNode.IsListed(BlockKind.ArrowStream));
        Assert.False(ContentNode.IsListed(BlockKind.Foreign));
        Assert.False(ContentNode.IsListed(BlockKind.TableNode));
    }

    public void Dispose()
    {
        _node.Dispose();
        _content.Dispose();
        _folder.Dispose();
    }

    private PutStreamResult PutChunkedTable()
    {
        using var batch = TestBatches.Large(2L << 20, seed: 7);
        return _content.PutStream(batch.Schema, [batch]);
    }
}
