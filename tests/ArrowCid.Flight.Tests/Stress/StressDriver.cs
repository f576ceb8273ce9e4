using System.Collections.Concurrent;
using System.Globalization;
using ArrowCid.Flight.Protocol;
using ArrowCid.Grpc;
using ArrowCid.TestSupport;
using Google.Protobuf;

namespace ArrowCid.Flight.Tests.Stress;

/// <summary>How the calls of one stress run ended.</summary>
public sealed class StressTally
{
    private readonly ConcurrentDictionary<string, int> _outcomes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _unexpected = new();
    private long _bytes;

    /// <summary>Calls that ended as planned: OK, or the status the plan asked for.</summary>
    public int Expected => _outcomes.Where(o => !o.Key.StartsWith("UNEXPECTED", StringComparison.Ordinal) && o.Key != "HANG").Sum(o => o.Value);

    /// <summary>Calls that did not end within their deadline and a grace beyond it.</summary>
    public int Hangs => _outcomes.GetValueOrDefault("HANG");

    /// <summary>Calls that ended otherwise than planned (a wrong status, wrong or missing octets).</summary>
    public IReadOnlyCollection<string> Unexpected => _unexpected;

    /// <summary>Every call.</summary>
    public int Calls => _outcomes.Values.Sum();

    /// <summary>Octets of request and response that moved.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    public void Add(string outcome, long bytes = 0)
    {
        _outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
        Interlocked.Add(ref _bytes, bytes);
    }

    public void AddUnexpected(string what)
    {
        _unexpected.Enqueue(what);
        Add("UNEXPECTED");
    }

    public void AddHang(string what)
    {
        _unexpected.Enqueue("HANG: " + what);
        Add("HANG");
    }

    /// <summary>One line: the pair, the calls, how they ended, the hangs.</summary>
    public string Summary(string pair, TimeSpan elapsed, int loadProcesses) => string.Create(
        CultureInfo.InvariantCulture,
        $"http2 stress [{pair}]: {Calls} calls, {Hangs} hangs, {Unexpected.Count - Hangs} unexpected, {Bytes / (1 << 20)} MiB moved in {elapsed.TotalSeconds:0.0} s with {loadProcesses} spinning processes; outcomes: {string.Join(", ", _outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}"))}");
}

/// <summary>
/// Runs stress calls through our gRPC client: random plans (sizes from 0 to 8 MiB each way, slow
/// readers on both ends, cancellations, short deadlines, planned server failures), many at once
/// over several connections; every call must end as planned within its deadline.
/// </summary>
public static class StressDriver
{
    /// <summary>Past its deadline, a call that still has not ended after this is a hang.</summary>
    public static readonly TimeSpan HangGrace = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan CallDeadline = TimeSpan.FromSeconds(60);

    /// <summary>One call in this many opens a connection of its own.</summary>
    private const int FreshConnectionEvery = 8;

    /// <summary>A call's plan and what the client does: the kind decides what ending is expected.</summary>
    private sealed record ClientPlan(StressPlan Server, string Kind, int ClientReadDelayMs, int SendPieceMax, TimeSpan Deadline);

    /// <summary>A size from 0 to 8 MiB: one in eight empty, else 60% up to 16 KiB, 30% from 16 to 512 KiB, 10% from 512 KiB to 8 MiB.</summary>
    public static long Size(Random random)
    {
        if (random.Next(8) == 0)
        {
            return 0;
        }

        int bucket = random.Next(10);
        return bucket switch
        {
            < 6 => (long)Math.Pow(16 << 10, random.NextDouble()),
            < 9 => (16 << 10) + (long)Math.Pow((512 - 16) << 10, random.NextDouble()),
            _ => random.NextInt64(512 << 10, (8 << 20) + 1),
        };
    }

    private static ClientPlan NewPlan(Random random, int seed)
    {
        int roll = random.Next(100);
        string kind = roll switch
        {
            < 5 => "cancel",
            < 9 => "deadline",
            < 12 => "fail",
            _ => "ok",
        };
        var server = new StressPlan(
            seed,
            Size(random),
            Size(random),
            kind == "deadline" ? 2_000 : random.Next(4) == 0 ? random.Next(20) : 0,
            random.Next(3) == 0 ? random.Next(1, 6) : 0,
            kind == "fail");
        return new ClientPlan(
            server,
            kind,
            random.Next(3) == 0 ? random.Next(1, 6) : 0,
            random.Next(2) == 0 ? StressService.MaxMessageBody : random.Next(1, 64 << 10),
            kind == "deadline" ? TimeSpan.FromMilliseconds(200) : CallDeadline);
    }

    /// <summary>Runs <paramref name="calls"/> calls over <paramref name="channels"/>, <paramref name="concurrency"/> at a time.</summary>
    public static async Task<StressTally> RunAsync(IReadOnlyList<GrpcChannel> channels, int calls, int concurrency, int seed)
    {
        var tally = new StressTally();
        int next = -1;
        async Task WorkerAsync()
        {
            while (Interlocked.Increment(ref next) is int index && index < calls)
            {
                var random = new Random(seed + index);
                ClientPlan plan = NewPlan(random, seed + index);
                if (index % FreshConnectionEvery == 0)
                {
                    // As a CLI process does: a new connection, whose first stream opens while the
                    // server's SETTINGS arrive (the interleaving behind issue 34's hang). A loaded
                    // machine pauses the opener at random; so does this, at the gate between making
                    // the stream and entering it in the connection's table.
                    int pause = random.Next(3);
                    using var handler = new ArrowCid.Http2.Client.Http2ClientHandler(new ArrowCid.Http2.Client.Http2ClientOptions
                    {
                        StreamOpeningGate = _ =>
                        {
                            if (pause == 1)
                            {
                                Thread.Yield();
                            }
                            else if (pause == 2)
                            {
                                Thread.Sleep(1);
                            }
                        },
                    });
                    using var fresh = new GrpcChannel(channels[0].Address, new GrpcChannelOptions { HttpHandler = handler });
                    await OneAsync(fresh, plan, random, tally);
                }
                else
                {
                    await OneAsync(channels[index % channels.Count], plan, random, tally);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(WorkerAsync)));
        return tally;
    }

    private static async Task OneAsync(GrpcChannel channel, ClientPlan plan, Random random, StressTally tally)
    {
        using var cancel = new CancellationTokenSource();
        Task<(string Outcome, long Bytes)> call = CallAsync(channel, plan, random, cancel);
        Task guard = Task.Delay(plan.Deadline + HangGrace);
        if (await Task.WhenAny(call, guard) == guard)
        {
            tally.AddHang($"{plan.Kind} {plan.Server.Encode()} did not end {HangGrace.TotalSeconds} s after its deadline");
            cancel.Cancel();
            return;
        }

        (string outcome, long bytes) = await call;
        if (outcome.StartsWith("UNEXPECTED", StringComparison.Ordinal))
        {
            tally.AddUnexpected($"{plan.Kind} {plan.Server.Encode()}: {outcome}");
        }
        else
        {
            tally.Add(outcome, bytes);
        }
    }

    private static async Task<(string Outcome, long Bytes)> CallAsync(GrpcChannel channel, ClientPlan plan, Random random, CancellationTokenSource cancel)
    {
        StressPlan server = plan.Server;
        long received = 0;
        try
        {
            using GrpcCall<Protocol.Action, Result> call = channel.StartCall(
                StressService.Exchange, new CallOptions(Deadline: DateTime.UtcNow + plan.Deadline, CancellationToken: cancel.Token));
            Task send = SendAsync(call, plan, cancel.Token);
            if (plan.Kind == "cancel")
            {
                // Cancelled at a random point: before anything, or once the first response arrives.
                if (random.Next(2) == 0)
                {
                    cancel.Cancel();
                }
            }

            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                ReadOnlySpan<byte> body = call.ResponseStream.Current.Body.Span;
                if (StressPattern.FirstMismatch(body, server.Seed + 1, received) is var bad and >= 0)
                {
                    return ($"UNEXPECTED response octet {bad} does not follow the pattern", received);
                }

                received += body.Length;
                if (plan.Kind == "cancel")
                {
                    cancel.Cancel();
                }

                if (plan.ClientReadDelayMs > 0 && random.Next(4) == 0)
                {
                    await Task.Delay(random.Next(plan.ClientReadDelayMs + 1));
                }
            }

            await send;
            if (received != server.ResponseBytes)
            {
                return ($"UNEXPECTED OK after {received} of {server.ResponseBytes} response octets", received);
            }

            // A cancel that came after the end, or a deadline the server beat, is fine too.
            return plan.Kind is "ok" or "cancel" or "deadline" ? ("OK", server.RequestBytes + received) : ($"UNEXPECTED OK for a {plan.Kind} call", received);
        }
        catch (RpcException e)
        {
            string expected = plan.Kind switch
            {
                "cancel" => nameof(StatusCode.Cancelled),
                "deadline" => nameof(StatusCode.DeadlineExceeded),
                "fail" => nameof(StatusCode.Aborted),
                _ => "OK",
            };
            string seen = e.StatusCode.ToString();
            return seen == expected ? (seen, received) : ($"UNEXPECTED {seen}: {e.Status.Detail}", received);
        }
    }

    private static async Task SendAsync(GrpcCall<Protocol.Action, Result> call, ClientPlan plan, CancellationToken cancel)
    {
        StressPlan server = plan.Server;
        try
        {
            long sent = 0;
            bool first = true;
            while (first || sent < server.RequestBytes)
            {
                int length = (int)Math.Min(plan.SendPieceMax, server.RequestBytes - sent);
                byte[] body = new byte[length];
                StressPattern.Fill(body, server.Seed, sent);
                await call.RequestStream.WriteAsync(new Protocol.Action { Type = first ? server.Encode() : string.Empty, Body = UnsafeByteOperations.UnsafeWrap(body) }, cancel);
                sent += length;
                first = false;
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or InvalidOperationException)
        {
            // The call ended first (cancelled, past its deadline, failed by the server): its status says why.
        }
    }
}
