using ArrowCid.Flight.Client;
using ArrowCid.Flight.Protocol;
using ArrowCid.Flight.Tests.Service;
using ArrowCid.Flight.Tests.Support;
using ArrowCid.Grpc;
using ArrowCid.Grpc.Health;
using ServingStatus = ArrowCid.Grpc.Health.HealthCheckResponse.Types.ServingStatus;

namespace ArrowCid.Flight.Tests.Reliability;

/// <summary>
/// <c>arrowcid serve</c> stopped as systemd or Kubernetes stop it (SIGTERM): the drain shows at once
/// on a health watch, a new call is refused with UNAVAILABLE, a DoGet read slowly and a DoPut the
/// node had taken a batch of both complete, the node exits 0 and the put's table verifies; a second
/// SIGTERM cuts off a stuck transfer at once and loses nothing acknowledged. Every step waits on what
/// the node says (a PutResult, a health status, its exit), never on time: the shutdown timeout is an
/// hour, so only the drain finishing (or the second signal) can end the process.
/// </summary>
public sealed class GracefulShutdownTests
{
    private static readonly TimeSpan ExitGuard = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Sigterm_finishes_a_slow_DoGet_and_a_DoPut_in_flight_refuses_new_calls_and_exits_0()
    {
        await using var node = await ServeProcess.StartAsync("--shutdown-timeout", "3600");
        using var client = new FlightClient(node.Location);

        // A table larger than the client's stream window, so a reader that stops reading holds the node mid-send.
        using var large = TestBatches.Large(48L << 20, seed: 44);
        var stored = await client.PutAsync(large.Schema, [large]);
        var (expectedMessages, expectedBytes) = await CountAsync(client.GetRawAsync(stored.Table).GetAsyncEnumerator(), 0, 0);

        using var watch = await WatchAsync(node);

        using var reader = new FlightClient(node.Location);
        await using var slowGet = reader.GetRawAsync(stored.Table).GetAsyncEnumerator();
        Assert.True(await slowGet.MoveNextAsync());
        long readBytes = slowGet.Current.DataBody.Length;

        using var putter = new FlightClient(node.Location);
        using var put = putter.Service.DoPut();
        using var first = TestBatches.Large(1L << 20, seed: 45);
        using var second = TestBatches.Large(1L << 20, seed: 46);
        await RawDoPut.StartAsync(put, "{}", first.Schema);
        await RawDoPut.WriteBatchAsync(put, first);
        Assert.True(await put.ResponseStream.MoveNext(CancellationToken.None));
        var results = new List<PutResult> { put.ResponseStream.Current };

        await node.TerminateAsync();

        // The drain is reported at once, and the watch ends.
        Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(ServingStatus.NotServing, watch.ResponseStream.Current.Status);
        Assert.False(await watch.ResponseStream.MoveNext(CancellationToken.None));

        // A call made now is refused, on a connection already open as on a new one.
        Assert.Equal(StatusCode.Unavailable, (await Assert.ThrowsAsync<RpcException>(() => client.ListActionsAsync())).StatusCode);
        using (var late = new FlightClient(node.Location))
        {
            Assert.Equal(StatusCode.Unavailable, (await Assert.ThrowsAsync<RpcException>(() => late.ListActionsAsync())).StatusCode);
        }

        // Both transfers in flight complete.
        var (messages, bytes) = await CountAsync(slowGet, 1, readBytes);
        Assert.Equal((expectedMessages, expectedBytes), (messages, bytes));
        await RawDoPut.WriteBatchAsync(put, second);
        results.AddRange(await RawDoPut.FinishAsync(put));
        var table = RawDoPut.CidOf(results[^1], "dataset");

        Assert.True(await node.WaitForExitAsync(ExitGuard) == 0, node.Output);
        Assert.Contains("shutting down", node.Output, StringComparison.Ordinal);

        // The put is durable: the repository verifies and the table reads back whole.
        await AssertStoredAsync(node, table, first.Schema, TestBatches.TableCid(first.Schema, [first, second]));
    }

    [Fact]
    public async Task A_second_sigterm_cuts_off_a_stuck_transfer_at_once_and_loses_nothing_acknowledged()
    {
        await using var node = await ServeProcess.StartAsync("--shutdown-timeout", "3600");
        using var client = new FlightClient(node.Location);
        using var large = TestBatches.Large(48L << 20, seed: 47);
        var stored = await client.PutAsync(large.Schema, [large]);
        using var watch = await WatchAsync(node);

        // A reader that never reads past its first message: the drain would wait the whole hour for it.
        using var reader = new FlightClient(node.Location);
        await using var stuck = reader.GetRawAsync(stored.Table).GetAsyncEnumerator();
        Assert.True(await stuck.MoveNextAsync());

        await node.TerminateAsync();
        Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(ServingStatus.NotServing, watch.ResponseStream.Current.Status);

        await node.TerminateAsync();
        Assert.True(await node.WaitForExitAsync(ExitGuard) == 0, node.Output);

        // The transfer was cut off: its stream ends short or fails.
        long messages = 1;
        try
        {
            while (await stuck.MoveNextAsync())
            {
                messages++;
            }
        }
        catch (RpcException)
        {
            // Cut off.
        }

        var (whole, _) = await ExpectedMessagesAsync(node, stored.Table);
        Assert.True(messages < whole, $"{messages} of {whole} messages");
        await AssertStoredAsync(node, stored.Table, large.Schema, TestBatches.TableCid(large.Schema, [large]));
    }

    private static async Task<GrpcCall<HealthCheckRequest, HealthCheckResponse>> WatchAsync(ServeProcess node)
    {
        var channel = new GrpcChannel(new Uri("http://" + node.HostAndPort));
        var watch = channel.ServerStreaming(GrpcHealthService.WatchMethod, new HealthCheckRequest());
        Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(ServingStatus.Serving, watch.ResponseStream.Current.Status);
        return watch;
    }

    private static async Task<(int Messages, long Bytes)> CountAsync(IAsyncEnumerator<FlightData> stream, int messages, long bytes)
    {
        await using (stream)
        {
            while (await stream.MoveNextAsync())
            {
                messages++;
                bytes += stream.Current.DataBody.Length;
            }
        }

        return (messages, bytes);
    }

    // The node has exited: the table's messages counted from the repository it left, through a node of its own.
    private static async Task<(int Messages, long Bytes)> ExpectedMessagesAsync(ServeProcess stopped, Content.Multiformats.Cid table)
    {
        await using var again = await ServeProcess.StartOnAsync(stopped);
        using var client = new FlightClient(again.Location);
        return await CountAsync(client.GetRawAsync(table).GetAsyncEnumerator(), 0, 0);
    }

    private static async Task AssertStoredAsync(ServeProcess stopped, Content.Multiformats.Cid table, Arrow.Types.Schema schema, Content.Multiformats.Cid rowsCid)
    {
        var (verifyCode, verified) = await ServeProcess.RunCliAsync("verify", "--repo", stopped.Repository);
        Assert.True(verifyCode == 0, verified);
        await using var again = await ServeProcess.StartOnAsync(stopped);
        using var client = new FlightClient(again.Location);
        var fetched = await client.GetAsync(table);
        Assert.Equal(rowsCid, TestBatches.TableCid(schema, fetched.Batches));
    }
}
