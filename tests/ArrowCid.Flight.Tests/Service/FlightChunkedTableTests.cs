using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Protocol;
using ArrowCid.Flight.Service;
using ArrowCid.Grpc;
using Google.Protobuf;
using ArrowCid.Node;

namespace ArrowCid.Flight.Tests.Service;

/// <summary>
/// Tables of many chunks over Flight: DoGet streams them chunk by chunk in messages a client with a
/// 4 MiB receive limit takes, FlightInfo splits a large one into contiguous chunk ranges whose
/// tickets fetch exactly those chunks, and a bad range is refused before anything is sent.
/// </summary>
public sealed class FlightChunkedTableTests
{
    private const int FourMiB = 4 << 20;
    private const int MessageLimit = 1_153_434; // 1.1 MiB

    [Fact]
    public async Task DoGet_of_a_multi_chunk_table_streams_the_producers_rows_in_messages_under_1_1_MiB()
    {
        await using var node = await FlightNodeFixture.StartAsync();
        using var writer = node.Client();
        using var batch = TestBatches.Large(8L << 20, seed: 31);
        var put = await writer.PutAsync(batch.Schema, [batch]);
        Assert.True(put.Batches.Count > 4, $"{put.Batches.Count} chunks");
        Assert.Equal(Multicodec.DagCbor, put.Table.Codec);

        // Every message fits far below grpc-js's and grpcio's default 4 MiB receive limit.
        using var reader = new FlightClient(node.Location, new FlightClientOptions { MaxMessageSize = FourMiB });
        int records = 0;
        await foreach (var data in reader.GetRawAsync(put.Table))
        {
            Assert.True(data.DataHeader.Length + data.DataBody.Length < MessageLimit, $"a message of {data.DataHeader.Length + data.DataBody.Length} bytes");
            records += MessageHeaderType.Peek(data.DataHeader.Span) == MessageHeaderType.RecordBatch ? 1 : 0;
        }

        Assert.Equal(put.Batches.Count, records);

        // Verified chunk by chunk against the manifest tree, the rows are the producer's, in order.
        var fetched = await reader.GetAsync(put.Table);
        Assert.Equal(put.Batches.Select(c => c.Cid), fetched.Batches.Select(b => b.Cid));
        var expected = batch.Column(0).GetValues<long>();
        int at = 0;
        foreach (var chunk in fetched.Batches)
        {
            using var rows = chunk.Read();
            var values = rows.Column(0).GetValues<long>();
            Assert.True(values.SequenceEqual(expected.Slice(at, values.Length)), $"chunk {chunk.Cid} differs from rows {at}..");
            at += values.Length;
        }

        Assert.Equal(batch.Length, at);
    }

    [Fact]
    public async Task A_table_fetched_again_is_sent_from_the_chunk_mappings_the_node_keeps_and_a_chunk_damaged_since_is_DATA_LOSS()
    {
        await using var node = await FlightNodeFixture.StartAsync();
        using var client = node.Client();
        var put = await PutSettledAsync(node, client, seed: 33);
        for (int fetch = 0; fetch < 3; fetch++)
        {
            // Verified by the client chunk by chunk against the manifest tree: the same bytes each time.
            var fetched = await client.GetAsync(put.Table);
            Assert.Equal(put.Batches.Select(c => c.Cid), fetched.Batches.Select(b => b.Cid));
        }

        Assert.Equal(put.Batches.Count, node.Content.Reader.KeptMappings);

        // A chunk file rewritten in place (the kept mapping sees the new bytes): the node hashes it again and refuses it.
        string damaged = Damage(node, put.Batches[1].Cid);
        File.SetLastWriteTimeUtc(damaged, Settled + TimeSpan.FromMinutes(1));
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var data in client.GetRawAsync(put.Table))
            {
                Assert.False(data.DataBody.IsEmpty && data.DataHeader.IsEmpty);
            }
        });
        Assert.Equal(StatusCode.DataLoss, error.StatusCode);

        // Named by its CID, and never by the node's path to it.
        Assert.Contains($"{put.Batches[1].Cid}: the copy this node holds does not hash to its CID", error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(Path.GetDirectoryName(damaged)!, error.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(-1)]
    public async Task A_chunk_a_node_sends_damaged_is_refused_by_the_client_as_DATA_LOSS_naming_the_chunk(int damagedChunk)
    {
        await using var node = await FlightNodeFixture.StartAsync();
        using var client = node.Client();
        var put = await PutSettledAsync(node, client, seed: 34);
        Assert.True(put.Batches.Count > 4, $"{put.Batches.Count} chunks");

        // The first DoGet hashes each chunk and remembers its stamp, the second keeps it mapped.
        await client.GetAsync(put.Table);
        await client.GetAsync(put.Table);
        Assert.Equal(put.Batches.Count, node.Content.Reader.KeptMappings);

        // Damaged with its stamp put back, the node serves the kept mapping without hashing it again:
        // a node that sends wrong bytes, which only the client's own hashing catches, while later
        // chunks are still arriving (their hashing runs behind the receiving).
        var chunk = put.Batches[damagedChunk < 0 ? put.Batches.Count + damagedChunk : damagedChunk].Cid;
        File.SetLastWriteTimeUtc(Damage(node, chunk), Settled);
        var error = await Assert.ThrowsAsync<RpcException>(() => client.GetAsync(put.Table));
        Assert.Equal(StatusCode.DataLoss, error.StatusCode);
        Assert.Contains($"the bytes received for {chunk} do not hash to it", error.Status.Detail, StringComparison.Ordinal);

        // Nothing else is left broken: the same client fetches another table whole.
        using var other = TestBatches.Large(1L << 20, seed: 35);
        var second = await client.PutAsync(other.Schema, [other]);
        Assert.Equal(second.Batches.Select(c => c.Cid), (await client.GetAsync(second.Table)).Batches.Select(b => b.Cid));
    }

    // A file's write time far enough in the past that the node keeps its mapping once hashed.
    private static readonly DateTime Settled = DateTime.UtcNow - TimeSpan.FromHours(1);

    // A 4 MiB table put, its chunk files settled.
    private static async Task<FlightPutSummary> PutSettledAsync(FlightNodeFixture node, FlightClient client, int seed)
    {
        using var batch = TestBatches.Large(4L << 20, seed: seed);
        var put = await client.PutAsync(batch.Schema, [batch]);
        foreach (var chunk in put.Batches)
        {
            File.SetLastWriteTimeUtc(node.Content.Reader.Blocks.GetBlockPath(chunk.Cid), Settled);
        }

        return put;
    }

    // Flips one byte near the end of a chunk's file, in place; returns its path.
    private static string Damage(FlightNodeFixture node, Cid chunk)
    {
        string path = node.Content.Reader.Blocks.GetBlockPath(chunk);
        File.SetAttributes(path, FileAttributes.Normal);
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        long at = RandomAccess.GetLength(file) - 20;
        byte[] one = new byte[1];
        RandomAccess.Read(file, one, at);
        one[0] ^= 0x5A;
        RandomAccess.Write(file, one, at);
        return path;
    }

    [Fact]
    public async Task FlightInfo_endpoints_cover_the_table_in_order_without_gaps_or_overlap_and_make_it_up()
    {
        await using var node = await FlightNodeFixture.StartAsync(new NodeOptions { EndpointBytes = 1 << 20 });
        using var client = node.Client();
        using var batch = TestBatches.Large(8L << 20, seed: 32);
        var put = await client.PutAsync(batch.Schema, [batch]);

        var info = await client.GetInfoAsync(put.Table);
        Assert.True(info.Ordered);
        Assert.Equal(batch.Length, info.TotalRecords);
        Assert.Equal(put.Batches.Sum(c => c.Bytes), info.TotalBytes);
        Assert.True(info.Endpoint.Count > 2, $"{info.Endpoint.Count} endpoints");

        long next = 0;
        var received = new List<Cid>();
        foreach (var endpoint in info.Endpoint)
        {
            Assert.True(FlightTicket.TryParse(endpoint.Ticket.Ticket_.ToStringUtf8(), out var ticket, out string? problem), problem);
            Assert.Equal(put.Table, ticket!.Cid);
            var range = Assert.IsType<ChunkRange>(ticket.Chunks);
            Assert.Equal(next, range.First);
            next = range.End;
            Assert.Equal(node.Location, Assert.Single(endpoint.Location).Uri);

            var part = await client.GetEndpointAsync(ticket);
            Assert.Equal(range.Count, part.Batches.Count);
            Assert.True(part.Bytes <= (1 << 20) + (1 << 20), $"an endpoint of {part.Bytes} bytes");
            received.AddRange(part.Batches.Select(b => b.Cid));
        }

        Assert.Equal(put.Batches.Count, next);
        Assert.Equal(put.Batches.Select(c => c.Cid), received);
    }

    [Fact]
    public async Task A_table_within_one_endpoints_bytes_has_one_endpoint_whose_ticket_is_its_CID()
    {
        await using var node = await FlightNodeFixture.StartAsync();
        using var client = node.Client();
        using var batch = TestBatches.Large(4L << 20, seed: 33);
        var put = await client.PutAsync(batch.Schema, [batch]);

        var info = await client.GetInfoAsync(put.Table);
        Assert.Equal(put.Table.ToString(), Assert.Single(info.Endpoint).Ticket.Ticket_.ToStringUtf8());
    }

    [Theory]
    [InlineData("?chunks=3-3", "empty")]
    [InlineData("?chunks=5-2", "empty")]
    [InlineData("?chunks=0-100000", "has")]
    [InlineData("?chunks=x-2", "?chunks=FIRST-END")]
    [InlineData("?rows=0-2", "?chunks=FIRST-END")]
    [InlineData("?chunks=-1-2", "?chunks=FIRST-END")]
    public async Task A_bad_chunk_range_ticket_is_INVALID_ARGUMENT_before_anything_is_sent(string range, string why)
    {
        await using var node = await FlightNodeFixture.StartAsync();
        using var client = node.Client();
        using var batch = TestBatches.Large(4L << 20, seed: 34);
        var put = await client.PutAsync(batch.Schema, [batch]);

        var ticket = new Ticket { Ticket_ = ByteString.CopyFromUtf8(put.Table + range) };
        using var call = client.Service.DoGet(ticket);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(why, error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chunk_range_of_a_single_block_other_than_0_1_is_INVALID_ARGUMENT_and_of_an_unknown_table_NOT_FOUND()
    {
        await using var node = await FlightNodeFixture.StartAsync();
        using var client = node.Client();
        using var batch = TestBatches.Small(35);
        var put = await client.PutAsync(batch.Schema, [batch]);
        Assert.Equal(Multicodec.Raw, put.Table.Codec);

        var whole = await client.GetEndpointAsync(new FlightTicket(put.Table, new ChunkRange(0, 1)));
        Assert.Equal(put.Table, Assert.Single(whole.Batches).Cid);

        foreach (var range in new[] { new ChunkRange(0, 2), new ChunkRange(1, 2) })
        {
            using var call = client.Service.DoGet(new FlightTicket(put.Table, range).ToTicket());
            var single = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(StatusCode.InvalidArgument, single.StatusCode);
        }

        var unknown = Cid.ForDagCbor([0xa0]);
        using var missing = client.Service.DoGet(new FlightTicket(unknown, new ChunkRange(0, 1)).ToTicket());
        var notFound = await Assert.ThrowsAsync<RpcException>(async () => await missing.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.NotFound, notFound.StatusCode);
    }

    [Fact]
    public async Task A_table_missing_a_chunk_is_NOT_FOUND_naming_it_before_anything_is_sent_and_ranges_without_it_are_served()
    {
        await using var node = await FlightNodeFixture.StartAsync();
        using var client = node.Client();
        using var batch = TestBatches.Large(4L << 20, seed: 36);
        var put = await client.PutAsync(batch.Schema, [batch]);
        Assert.True(put.Batches.Count >= 3, $"{put.Batches.Count} chunks");
        var lost = put.Batches[^1].Cid;
        node.Content.Repository.Blocks.Delete(lost);

        foreach (var ticket in new[] { new FlightTicket(put.Table), new FlightTicket(put.Table, new ChunkRange(1, put.Batches.Count)) })
        {
            using var call = client.Service.DoGet(ticket.ToTicket());
            // The first read fails: no message of the table came before the status.
            var error = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(StatusCode.NotFound, error.StatusCode);
            Assert.Contains(lost.ToString(), error.Status.Detail, StringComparison.Ordinal);
        }

        // The chunks still here are served: the range before the lost one streams its record batches.
        using var held = client.Service.DoGet(new FlightTicket(put.Table, new ChunkRange(0, put.Batches.Count - 1)).ToTicket());
        int records = 0;
        while (await held.ResponseStream.MoveNext(CancellationToken.None))
        {
            records += MessageHeaderType.Peek(held.ResponseStream.Current.DataHeader.Span) == MessageHeaderType.RecordBatch ? 1 : 0;
        }

        Assert.Equal(put.Batches.Count - 1, records);
    }
}
