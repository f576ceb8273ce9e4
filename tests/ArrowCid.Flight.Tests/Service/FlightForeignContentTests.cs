using System.Text.Json;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Content.Car;
using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;
using ArrowCid.Grpc;
using ArrowCid.Repository;

namespace ArrowCid.Flight.Tests.Service;

/// <summary>
/// Blocks imported from elsewhere on a node: an Arrow stream that is not canonical is a flight
/// (its messages served as stored), a foreign block is not (FAILED_PRECONDITION naming it) but its
/// bytes come back through the block action, and listings skip what has no Arrow data.
/// </summary>
public sealed class FlightForeignContentTests : IAsyncLifetime
{
    private FlightNodeFixture? _node;

    private FlightNodeFixture Node => _node!;

    public async Task InitializeAsync() => _node = await FlightNodeFixture.StartAsync();

    public async Task DisposeAsync() => await Node.DisposeAsync();

    [Fact]
    public async Task An_arrow_stream_is_served_as_stored_and_a_foreign_block_only_through_the_block_action()
    {
        byte[] stream = TwoBatchStream();
        var streamCid = Cid.ForRaw(stream);
        byte[] cbor = DagCborEncoder.EncodeBlock(DagNode.MapOf(("readings", DagNode.Of(streamCid))), out var rootCid);
        using (var car = new MemoryStream())
        {
            var writer = new CarV1Writer(car, [rootCid]);
            writer.WriteBlock(rootCid, cbor);
            writer.WriteBlock(streamCid, stream);
            writer.WriteRawBlock([]);
            car.Position = 0;
            Assert.True(Node.Content.ImportCar(car).IsComplete);
        }

        using var client = Node.Client();
        // Sent as stored: written back with the end-of-stream marker, the messages are the block.
        Assert.Equal(stream, await client.GetStreamBytesAsync(streamCid));

        var info = await client.GetInfoAsync(streamCid);
        Assert.Equal(3 + 4, info.TotalRecords);
        Assert.Equal(stream.Length, info.TotalBytes);
        using (var metadata = JsonDocument.Parse(info.AppMetadata.Memory))
        {
            Assert.Equal("arrow-stream", metadata.RootElement.GetProperty("kind").GetString());
        }

        // The foreign root: no flight, but its bytes.
        var refused = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var unused in client.GetRawAsync(rootCid))
            {
            }
        });
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("foreign block (dag-cbor)", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.FailedPrecondition, (await Assert.ThrowsAsync<RpcException>(() => client.GetInfoAsync(rootCid))).StatusCode);
        Assert.Equal(cbor, await client.GetBlockAsync(rootCid));
        Assert.Empty(await client.GetBlockAsync(Cid.ForRaw([]))); // an empty block: nothing to map, still served
        Assert.Contains("\"ok\":true", Assert.Single(await client.ActionAsync("verify", rootCid.ToString())), StringComparison.Ordinal);

        var listed = await FlightNodeServiceTests.ToListAsync(client.ListAsync());
        Assert.Equal([streamCid.ToString()], listed.Select(i => i.Endpoint[0].Ticket.Ticket_.ToStringUtf8()));
        var streams = await FlightNodeServiceTests.ToListAsync(client.ListAsync("{\"kind\":\"arrow-stream\"}"));
        Assert.Single(streams);
    }

    private static byte[] TwoBatchStream()
    {
        using var output = new MemoryStream();
        using (var writer = new ArrowStreamWriter(output, TestBatches.SmallSchema, leaveOpen: true))
        {
            using var first = TestBatches.Small(31, rows: 3);
            using var second = TestBatches.Small(32, rows: 4);
            writer.Write(first);
            writer.Write(second);
            writer.Finish();
        }

        return output.ToArray();
    }
}
