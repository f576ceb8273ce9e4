using System.Buffers.Binary;
using System.Net.Sockets;
using ArrowCid.Http2;
using ArrowCid.Http2.Tests;

namespace ArrowCid.Http2.Tests.Server;

/// <summary>
/// Mutations of a valid recorded client exchange (bit flips, truncation, duplicated, dropped,
/// reordered and inserted frames, random lengths), each sent to one running server on a new
/// connection: the server must answer or close every one, never hang or die, and still serve a
/// clean call afterwards.
/// </summary>
public sealed class Http2FrameFuzzTests(Http2TestServer server) : IClassFixture<Http2TestServer>
{
    private const int Iterations = 5_000;
    private const int Parallelism = 8;

    /// <summary>A stack trace line in src/ArrowCid.Http2 (not in the ArrowCid.Http2.Tests helpers).</summary>
    private static bool IsOurHttp2Frame(string line) =>
        line.Contains("ArrowCid.Http2.", StringComparison.Ordinal) && !line.Contains("ArrowCid.Http2.Tests.", StringComparison.Ordinal);

    /// <summary>A valid exchange: settings, window update, two unary calls (one with CONTINUATION and padding), ping, reset, goaway.</summary>
    private static List<byte[]> RecordedFrames()
    {
        byte[] block = RawHttp2Peer.Encode(RawRequests.Unary());
        byte[] message = RawRequests.EchoMessage("fuzz");
        byte[] padded = [10, .. message, .. new byte[10]];
        byte[] priorityHeaders = [3, 0, 0, 0, 1, 15, .. block, 0, 0, 0];
        return
        [
            RawHttp2Peer.Frame(Http2FrameType.Settings, 0, 0, RawHttp2Peer.SettingsPayload((Http2SettingId.InitialWindowSize, 1 << 20), (Http2SettingId.MaxFrameSize, 1 << 16))),
            RawHttp2Peer.Frame(Http2FrameType.WindowUpdate, 0, 0, [0, 0x10, 0, 0]),
            RawHttp2Peer.Frame(Http2FrameType.Headers, Http2FrameFlags.EndHeaders, 1, block),
            RawHttp2Peer.Frame(Http2FrameType.Data, Http2FrameFlags.EndStream, 1, message),
            RawHttp2Peer.Frame(Http2FrameType.Ping, 0, 0, [1, 2, 3, 4, 5, 6, 7, 8]),
            RawHttp2Peer.Frame(Http2FrameType.Headers, 0, 3, block.AsSpan(0, 5)),
            RawHttp2Peer.Frame(Http2FrameType.Continuation, Http2FrameFlags.EndHeaders, 3, block.AsSpan(5)),
            RawHttp2Peer.Frame(Http2FrameType.Data, Http2FrameFlags.Padded | Http2FrameFlags.EndStream, 3, padded),
            RawHttp2Peer.Frame(Http2FrameType.Headers, Http2FrameFlags.EndHeaders | Http2FrameFlags.Padded | Http2FrameFlags.Priority, 5, priorityHeaders),
            RawHttp2Peer.Frame(Http2FrameType.WindowUpdate, 0, 5, [0, 0, 1, 0]),
            RawHttp2Peer.Frame(Http2FrameType.RstStream, 0, 5, [0, 0, 0, 8]),
            RawHttp2Peer.Frame(Http2FrameType.Settings, Http2FrameFlags.Ack, 0, []),
            RawHttp2Peer.Frame(Http2FrameType.GoAway, 0, 0, [0, 0, 0, 0, 0, 0, 0, 0]),
        ];
    }

    private static byte[] Mutate(Random random, List<byte[]> recorded)
    {
        var frames = new List<byte[]>(recorded.Select(f => (byte[])f.Clone()));
        int mutations = random.Next(1, 4);
        for (int m = 0; m < mutations; m++)
        {
            int i = random.Next(frames.Count);
            switch (random.Next(8))
            {
                case 0: // bit flips inside a frame
                    for (int k = random.Next(1, 4); k > 0; k--)
                    {
                        byte[] f = frames[i];
                        f[random.Next(f.Length)] ^= (byte)(1 << random.Next(8));
                    }

                    break;
                case 1: // duplicate
                    frames.Insert(i, (byte[])frames[i].Clone());
                    break;
                case 2: // drop
                    if (frames.Count > 1)
                    {
                        frames.RemoveAt(i);
                    }

                    break;
                case 3: // swap two
                    int j = random.Next(frames.Count);
                    (frames[i], frames[j]) = (frames[j], frames[i]);
                    break;
                case 4: // random length field
                    int length = random.Next(3) == 0 ? random.Next(1 << 24) : Math.Max(0, frames[i].Length - Http2FrameHeader.Size + random.Next(-8, 9));
                    frames[i][0] = (byte)(length >> 16);
                    frames[i][1] = (byte)(length >> 8);
                    frames[i][2] = (byte)length;
                    break;
                case 5: // random frame inserted
                    byte[] payload = new byte[random.Next(0, 40)];
                    random.NextBytes(payload);
                    frames.Insert(i, RawHttp2Peer.Frame((Http2FrameType)random.Next(0, 12), (Http2FrameFlags)random.Next(256), random.Next(4) == 0 ? random.Next() : random.Next(0, 8), payload));
                    break;
                case 6: // random stream id or type
                    if (random.Next(2) == 0)
                    {
                        BinaryPrimitives.WriteUInt32BigEndian(frames[i].AsSpan(5), (uint)random.Next(0, 10));
                    }
                    else
                    {
                        frames[i][3] = (byte)random.Next(0, 12);
                    }

                    break;
                default: // random flags
                    frames[i][4] = (byte)random.Next(256);
                    break;
            }
        }

        byte[] all = [.. Http2Protocol.ClientPreface, .. frames.SelectMany(f => f)];
        if (random.Next(5) == 0)
        {
            // Truncated anywhere, the preface included.
            all = all[..random.Next(all.Length)];
        }
        else if (random.Next(20) == 0)
        {
            all[random.Next(all.Length)] ^= (byte)(1 << random.Next(8));
        }

        return all;
    }

    /// <summary>Sends <paramref name="bytes"/>, ends the sending side, and drains until the server closes; false on a hang.</summary>
    private static async Task<bool> ExchangeAsync(Uri address, byte[] bytes)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var watchdog = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(address.Host, address.Port, watchdog.Token);
        Task drain = DrainAsync(socket, watchdog.Token);
        try
        {
            await socket.SendAsync(bytes, SocketFlags.None, watchdog.Token);
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The server closed first (it refused what it read): fine.
        }

        try
        {
            await drain;
            return true;
        }
        catch (OperationCanceledException) when (watchdog.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task DrainAsync(Socket socket, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[64 * 1024];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // A reset is a close.
        }
    }

    [Fact]
    public async Task Mutated_frame_sequences_never_hang_or_break_the_server()
    {
        int unobserved = 0;
        string? firstUnobserved = null;
        EventHandler<UnobservedTaskExceptionEventArgs> handler = (_, e) =>
        {
            // Our HTTP/2 code's frames only: the raw test peer lives in ArrowCid.Http2.Tests, and a test
            // that leaves one of its reads unobserved is no fault of the server.
            if (e.Exception.InnerExceptions.Any(x => x.StackTrace?.Split('\n').Any(IsOurHttp2Frame) == true))
            {
                Interlocked.Increment(ref unobserved);
                Interlocked.CompareExchange(ref firstUnobserved, e.Exception.ToString(), null);
            }
        };
        TaskScheduler.UnobservedTaskException += handler;
        try
        {
            List<byte[]> recorded = RecordedFrames();

            // The recorded exchange itself is served: both calls answered.
            (RawHttp2Peer peer, _) = await RawHttp2Peer.HandshakeAsync(server.Address);
            await using (peer)
            {
                await RawRequests.EchoAsync(peer, 1, "recorded ok");
            }

            int hangs = 0;
            int next = -1;
            string? firstHang = null;
            async Task WorkerAsync()
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < Iterations)
                {
                    byte[] bytes = Mutate(new Random(1000 + i), recorded);
                    if (!await ExchangeAsync(server.Address, bytes))
                    {
                        Interlocked.Increment(ref hangs);
                        Interlocked.CompareExchange(ref firstHang, $"seed {1000 + i}: {Convert.ToHexString(bytes)}", null);
                    }
                }
            }

            await Task.WhenAll(Enumerable.Range(0, Parallelism).Select(_ => Task.Run(WorkerAsync)));
            Assert.True(hangs == 0, $"{hangs} connections neither answered nor closed; first: {firstHang}");

            await RawRequests.FreshCallWorksAsync(server.Address);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Assert.True(Volatile.Read(ref unobserved) == 0, $"unobserved task exceptions from our HTTP/2 code (this or a concurrent test): {firstUnobserved}");
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= handler;
        }
    }
}
