using System.Buffers.Binary;
using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Client;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using ArrowCid.Repository;
using Google.Protobuf;

namespace ArrowCid.Flight.Tests.Service;

/// <summary>The Flight service over a repository, driven by our client: put, list, info, get, errors.</summary>
public sealed class FlightNodeServiceTests : IAsyncLifetime
{
    private FlightNodeFixture? _node;

    private FlightNodeFixture Node => _node!;

    public async Task InitializeAsync() => _node = await FlightNodeFixture.StartAsync();

    public async Task DisposeAsync() => await Node.DisposeAsync();

    [Fact]
    public async Task Put_stores_each_batch_under_the_CID_the_content_layer_computes()
    {
        using var client = Node.Client();
        using var a = TestBatches.Small(1);
        using var b = TestBatches.Small(2);
        var put = await client.PutAsync(a.Schema, [a, b], new Dictionary<string, string> { ["source"] = "test" });

        var expected = ContentRepository.ComputeCids(a.Schema, [a, b]);
        Assert.Equal(expected.Batches.Select(x => x.Cid), put.Batches.Select(x => x.Cid));
        Assert.Equal(expected.Table.Cid, put.Table);

        // Ten small rows are one chunk, and a one-chunk table is named by its chunk.
        var chunk = Assert.Single(put.Batches);
        Assert.Equal(a.Length + b.Length, chunk.Rows);
        Assert.Equal(chunk.Cid, put.Table);
        Assert.Equal("test", Node.Content.Repository.GetRecord(put.Table)!.Tags["source"]);
        Assert.True(Node.Content.Repository.Blocks.Has(chunk.Cid));
    }

    [Fact]
    public async Task Get_returns_the_stored_canonical_bytes_and_the_same_batches()
    {
        using var client = Node.Client();
        using var a = TestBatches.Small(3);
        using var b = TestBatches.Small(4, rows: 7);
        var put = await client.PutAsync(a.Schema, [a, b]);

        var one = await client.GetAsync(put.Batches[0].Cid);
        Assert.Equal(Node.Content.GetBytes(put.Batches[0].Cid).ToArray(), one.Batches.Single().CanonicalBytes.ToArray());

        // The two batches' rows, in order, as one chunk.
        var all = await client.GetAsync(put.Table);
        Assert.Equal(put.Batches.Select(x => x.Cid), all.Batches.Select(x => x.Cid));
        using var rows = Assert.Single(all.Batches).Read();
        Assert.Equal(a.Length + b.Length, rows.Length);
        Assert.Equal(TestBatches.TableCid(a.Schema, [a, b]), TestBatches.TableCid(a.Schema, all.Batches));
    }

    [Fact]
    public async Task DoGet_messages_written_as_an_IPC_stream_are_exactly_the_block()
    {
        using var client = Node.Client();
        using var a = TestBatches.Small(5);
        var put = await client.PutAsync(a.Schema, [a]);
        var cid = put.Batches[0].Cid;

        // Reassembled here without the client's assembler: prefix, header, body, then end-of-stream.
        using var stream = new MemoryStream();
        await foreach (var data in client.GetRawAsync(cid))
        {
            var prefix = new byte[8];
            BinaryPrimitives.WriteUInt32LittleEndian(prefix, 0xFFFFFFFF);
            BinaryPrimitives.WriteInt32LittleEndian(prefix.AsSpan(4), data.DataHeader.Length);
            stream.Write(prefix);
            data.DataHeader.WriteTo(stream);
            data.DataBody.WriteTo(stream);
        }

        stream.Write([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]);
        Assert.Equal(cid, Cid.ForRaw(stream.ToArray()));
    }

    [Fact]
    public async Task ListFlights_with_empty_criteria_lists_names_and_tables_never_the_chunks_of_a_larger_table()
    {
        using var client = Node.Client();
        using var large = TestBatches.Large(3 << 20, seed: 41); // several chunks under a manifest
        using var small = TestBatches.Small(42);
        var chunked = await client.PutAsync(new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Path, Path = { "chunked" } }, large.Schema, [large]);
        var single = await client.PutAsync(small.Schema, [small]);
        Assert.True(chunked.Batches.Count > 2);

        var listed = (await ToListAsync(client.ListAsync())).Select(CidOf).ToList();
        Assert.Contains(chunked.Table, listed);
        Assert.Contains(single.Table, listed);
        Assert.DoesNotContain(listed, cid => chunked.Batches.Any(chunk => chunk.Cid == cid));
        // The name's entry and the table's own: the table CID twice, its chunks never.
        Assert.Equal(2, listed.Count(cid => cid == chunked.Table));

        // Chunk-level listing is something a client asks for.
        var batches = (await ToListAsync(client.ListAsync("{\"kind\":\"batch\"}"))).Select(CidOf).ToList();
        Assert.All(chunked.Batches, chunk => Assert.Contains(chunk.Cid, batches));
    }

    [Fact]
    public async Task A_listing_caches_no_shape_and_a_flight_info_caches_its_own()
    {
        // A listing meets each table once: caching what it read grew a node listing 100,000 tables
        // by some 50 MiB of shapes that outlived the collector's youngest generation.
        using var client = Node.Client();
        var cids = new List<Cid>();
        for (int i = 0; i < 5; i++)
        {
            using var batch = TestBatches.Small(600 + i);
            cids.Add((await client.PutAsync(batch.Schema, [batch])).Table);
        }

        var infos = Node.Node.Service.Infos;
        int before = infos.CachedShapes;
        var listed = (await ToListAsync(client.ListAsync())).Select(CidOf).ToList();
        Assert.Superset(cids.ToHashSet(), listed.ToHashSet());
        Assert.Equal(before, infos.CachedShapes);

        await client.GetInfoAsync(cids[0]);
        Assert.Equal(before + 1, infos.CachedShapes);
    }

    [Fact]
    public async Task ListFlights_lists_everything_or_what_the_JSON_filter_selects()
    {
        using var client = Node.Client();
        using var a = TestBatches.Small(6);
        using var b = TestBatches.Small(7);
        var red = await client.PutAsync(a.Schema, [a], new Dictionary<string, string> { ["colour"] = "red" });
        var blue = await client.PutAsync(b.Schema, [b], new Dictionary<string, string> { ["colour"] = "blue" });

        // Each put is one small chunk, so each table is its chunk: two batches, no dataset.
        var all = await ToListAsync(client.ListAsync());
        Assert.Equal(2, all.Count);
        var batches = await ToListAsync(client.ListAsync("{\"kind\":\"batch\"}"));
        Assert.Equal([red.Table, blue.Table], batches.Select(CidOf).OrderBy(c => c == red.Table ? 0 : 1));
        Assert.Empty(await ToListAsync(client.ListAsync("{\"kind\":\"dataset\"}")));
        var reds = await ToListAsync(client.ListAsync("{\"tags\":{\"colour\":\"red\"},\"kind\":\"batch\"}"));
        var info = Assert.Single(reds);
        Assert.Equal(red.Batches[0].Cid, CidOf(info));
        Assert.Equal(5, info.TotalRecords);
        Assert.Equal(red.Batches[0].Bytes, info.TotalBytes);

        // The schema is the block's first message, exactly.
        byte[] block = Node.Content.GetBytes(red.Batches[0].Cid).ToArray();
        Assert.Equal(block.AsSpan(0, info.Schema.Length).ToArray(), info.Schema.ToByteArray());
        Assert.Equal(0xFFFFFFFFu, BinaryPrimitives.ReadUInt32LittleEndian(info.Schema.Span));

        var error = await Assert.ThrowsAsync<RpcException>(() => ToListAsync(client.ListAsync("{not json")));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        error = await Assert.ThrowsAsync<RpcException>(() => ToListAsync(client.ListAsync("{\"kind\":\"chunk\"}")));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("\"table\"", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FlightInfo_has_a_CID_ticket_located_at_this_node_and_GetSchema_agrees()
    {
        using var client = Node.Client();
        using var a = TestBatches.Small(8);
        var put = await client.PutAsync(a.Schema, [a]);

        var info = await client.GetInfoAsync(put.Table);
        var endpoint = Assert.Single(info.Endpoint);
        Assert.Equal(put.Table.ToString(), endpoint.Ticket.Ticket_.ToStringUtf8());
        Assert.Equal(Node.Location, Assert.Single(endpoint.Location).Uri);
        Assert.StartsWith("grpc+tcp://127.0.0.1:", Node.Location, StringComparison.Ordinal);
        Assert.Equal(5, info.TotalRecords);
        Assert.Equal(put.Batches[0].Bytes, info.TotalBytes);
        Assert.Equal(info.Schema.ToByteArray(), await client.GetSchemaMessageAsync(put.Table));

        // A one-chunk table is its chunk: a batch.
        using var doc = JsonDocument.Parse(info.AppMetadata.Memory);
        Assert.Equal("batch", doc.RootElement.GetProperty("kind").GetString());

        var query = await client.Service.GetFlightInfoAsync(new FlightDescriptor
        {
            Type = FlightDescriptor.Types.DescriptorType.Cmd,
            Cmd = ByteString.CopyFromUtf8("{\"kind\":\"batch\"}"),
        });
        Assert.Equal(put.Batches[0].Cid.ToString(), Assert.Single(query.Endpoint).Ticket.Ticket_.ToStringUtf8());
    }

    [Fact]
    public async Task Unknown_CIDs_are_NOT_FOUND_and_malformed_ones_INVALID_ARGUMENT()
    {
        using var client = Node.Client();
        var unknown = Cid.ForRaw("never stored"u8);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => client.GetInfoAsync(unknown))).StatusCode);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => client.GetAsync(unknown))).StatusCode);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => client.GetSchemaMessageAsync(unknown))).StatusCode);

        foreach (byte[] ticket in new[] { "not-a-cid"u8.ToArray(), [0xFF, 0xFE, 0x00], [], "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"u8.ToArray() })
        {
            var error = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                using var call = client.Service.DoGet(new Ticket { Ticket_ = ByteString.CopyFrom(ticket) });
                while (await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                }
            });
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        }

        // Path elements that are no CID form a dataset name (FlightNameTests); an empty one is malformed.
        var badPath = new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Path, Path = { "a", string.Empty } };
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => client.Service.GetFlightInfoAsync(badPath))).StatusCode);
    }

    [Fact]
    public async Task A_large_batch_is_put_in_one_message_over_4_MiB_and_comes_back_as_its_chunks()
    {
        using var client = Node.Client();
        using var big = TestBatches.Large(12L << 20, seed: 9);
        var put = await client.PutAsync(big.Schema, [big]);
        Assert.True(put.Batches.Count > 12, $"{put.Batches.Count} chunks");
        var fetched = await client.GetAsync(put.Table);
        Assert.True(fetched.Bytes > 12L << 20);
        Assert.All(fetched.Batches, c => Assert.True(c.CanonicalBytes.Length <= 1 << 20, $"a chunk of {c.CanonicalBytes.Length} bytes"));
        Assert.Equal(TestBatches.TableCid(big.Schema, [big]), TestBatches.TableCid(big.Schema, fetched.Batches));
        Assert.Equal(put.Table, TestBatches.TableCid(big.Schema, fetched.Batches));
    }

    [Fact]
    public async Task Large_batches_of_one_or_several_buffers_are_put_and_fetched_intact()
    {
        // One buffer is sent from the batch's own memory; several are assembled in pooled arrays
        // that go back to the pool once written, while the next batch is already being assembled.
        // A body given back too early would reach the node changed: its CID would differ.
        using var client = Node.Client();
        RecordBatch[] several = [TestBatches.LargeWithNulls(3L << 20, seed: 1), TestBatches.LargeWithNulls(3L << 20, seed: 2), TestBatches.LargeWithNulls(2L << 20, seed: 3)];
        RecordBatch[] single = [TestBatches.Large(3L << 20, seed: 4), TestBatches.Large(2L << 20, seed: 5)];
        try
        {
            foreach (RecordBatch[] batches in new[] { several, single })
            {
                var put = await client.PutAsync(batches[0].Schema, batches);
                var expected = ContentRepository.ComputeCids(batches[0].Schema, batches);
                Assert.Equal(expected.Batches.Select(x => x.Cid), put.Batches.Select(x => x.Cid));
                Assert.Equal(expected.Table.Cid, put.Table);

                // The rows come back as chunks: the same table, whatever the batching.
                var fetched = await client.GetAsync(put.Table);
                Assert.Equal(put.Batches.Count, fetched.Batches.Count);
                Assert.Equal(expected.Table.Cid, TestBatches.TableCid(batches[0].Schema, fetched.Batches));
            }
        }
        finally
        {
            foreach (RecordBatch batch in several.Concat(single))
            {
                batch.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_corrupted_block_is_DATA_LOSS_not_served()
    {
        using var client = Node.Client();
        using var a = TestBatches.Small(10);
        var put = await client.PutAsync(a.Schema, [a]);
        var cid = put.Batches[0].Cid;
        // The batch is small, so it lies in a pack: damage its bytes there.
        Assert.True(Node.Content.Repository.Blocks.TryGetPacked(cid, out var packed));
        using (var pack = new FileStream(Node.Content.Repository.Blocks.Packs.PathOf(packed.Pack), FileMode.Open, FileAccess.ReadWrite))
        {
            pack.Position = packed.End - 20;
            int value = pack.ReadByte();
            pack.Position = packed.End - 20;
            pack.WriteByte((byte)(value ^ 0x55));
        }

        Assert.Equal(StatusCode.DataLoss, (await Assert.ThrowsAsync<RpcException>(() => client.GetAsync(cid))).StatusCode);
        Assert.Equal(StatusCode.DataLoss, (await Assert.ThrowsAsync<RpcException>(() => client.ActionAsync("verify", cid.ToString()))).StatusCode);
    }

    internal static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    private static Cid CidOf(FlightInfo info) => Cid.Parse(info.Endpoint[0].Ticket.Ticket_.ToStringUtf8());
}
