using System.IO.Pipelines;
using ArrowCid.Http2;

namespace ArrowCid.Http2.Tests;

/// <summary>
/// The receive buffer of a stream: direct delivery into a waiting read, minimums, frames larger
/// than the waiting memory, cancellation that puts octets back, End and Fail, and the count of
/// consumed octets that reopens the flow-control windows.
/// </summary>
public sealed class Http2InboundBodyTests
{
    private static byte[] Sequence(int length, int start = 0)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)((start + i) * 7 % 251);
        }

        return bytes;
    }

    private sealed class Harness
    {
        private readonly Http2FrameReader _reader;
        private int _delivered;

        public Harness(byte[] data)
        {
            // A MemoryStream holds no resources: the harness need not dispose it.
            _reader = new Http2FrameReader(new MemoryStream(data, writable: false));
            Body = new Http2InboundBody(count => Consumed += count);
        }

        public Http2InboundBody Body { get; }

        public int Consumed { get; private set; }

        public ValueTask DeliverAsync(int length)
        {
            _delivered += length;
            return Body.DeliverAsync(_reader, length, CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_consumer_waiting_for_data_finds_the_frame_whole_and_takes_it_without_a_copy()
    {
        byte[] data = Sequence(5 + 100_000);
        var h = new Harness(data);
        ValueTask wait = h.Body.WaitForDataAsync(CancellationToken.None);
        Assert.False(wait.IsCompleted);
        await h.DeliverAsync(data.Length);
        await wait;
        Assert.Equal(data.Length, h.Body.BufferedBytes);
        Assert.Equal(0, h.Consumed);

        byte[] prefix = new byte[5];
        Assert.Equal(5, await h.Body.ReadAsync(prefix, 5, CancellationToken.None));
        using System.Buffers.IMemoryOwner<byte>? taken = h.Body.TryTakeBuffered(100_000);
        Assert.NotNull(taken);
        Assert.Equal(data[5..], taken.Memory.ToArray());
        Assert.Equal(0, h.Body.BufferedBytes);
        Assert.Equal(data.Length, h.Consumed);
    }

    [Fact]
    public async Task Taking_part_of_a_frame_leaves_the_rest_for_the_next_read()
    {
        byte[] data = Sequence(300);
        var h = new Harness(data);
        await h.DeliverAsync(300);
        using System.Buffers.IMemoryOwner<byte>? taken = h.Body.TryTakeBuffered(200);
        Assert.NotNull(taken);
        Assert.Equal(100, h.Body.BufferedBytes);
        Assert.Equal(200, h.Consumed);
        h.Body.End();
        byte[] rest = new byte[200];
        Assert.Equal(100, await h.Body.ReadAsync(rest, 100, CancellationToken.None));
        Assert.Equal(data[..200], taken.Memory.ToArray());
        Assert.Equal(data[200..], rest[..100]);
        Assert.Equal(300, h.Consumed);
    }

    [Fact]
    public async Task Octets_split_over_frames_are_not_taken()
    {
        byte[] data = Sequence(300);
        var h = new Harness(data);
        await h.DeliverAsync(100);
        await h.DeliverAsync(200);
        Assert.Null(h.Body.TryTakeBuffered(150));
        Assert.Equal(300, h.Body.BufferedBytes);
        Assert.Equal(0, h.Consumed);
        byte[] all = new byte[300];
        Assert.Equal(300, await h.Body.ReadAsync(all, 300, CancellationToken.None));
        Assert.Equal(data, all);
    }

    [Fact]
    public async Task Waiting_for_data_ends_at_the_end_of_the_body_and_on_cancellation()
    {
        var h = new Harness([]);
        ValueTask wait = h.Body.WaitForDataAsync(CancellationToken.None);
        Assert.False(wait.IsCompleted);
        h.Body.End();
        await wait;
        Assert.Equal(0, await h.Body.ReadAsync(new byte[1], 1, CancellationToken.None));

        var other = new Harness([]);
        using var cancel = new CancellationTokenSource();
        ValueTask waiting = other.Body.WaitForDataAsync(cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);
        Assert.Null(other.Body.TryTakeBuffered(1));
    }

    [Fact]
    public async Task Payload_is_delivered_straight_into_a_waiting_read()
    {
        byte[] data = Sequence(50);
        var h = new Harness(data);
        byte[] destination = new byte[100];
        ValueTask<int> read = h.Body.ReadAsync(destination, 1, CancellationToken.None);
        Assert.False(read.IsCompleted);
        await h.DeliverAsync(50);
        Assert.Equal(50, await read);
        Assert.Equal(data, destination[..50]);
        Assert.Equal(0, h.Body.BufferedBytes);
        Assert.Equal(50, h.Consumed);
    }

    [Fact]
    public async Task A_read_with_a_minimum_stays_pending_across_frames()
    {
        byte[] data = Sequence(100);
        var h = new Harness(data);
        byte[] destination = new byte[100];
        ValueTask<int> read = h.Body.ReadAsync(destination, 100, CancellationToken.None);
        await h.DeliverAsync(30);
        Assert.False(read.IsCompleted);
        await h.DeliverAsync(30);
        Assert.False(read.IsCompleted);
        await h.DeliverAsync(40);
        Assert.Equal(100, await read);
        Assert.Equal(data, destination);
        Assert.Equal(100, h.Consumed);
    }

    [Fact]
    public async Task Buffered_octets_count_toward_the_minimum_and_end_completes_a_short_read()
    {
        byte[] data = Sequence(70);
        var h = new Harness(data);
        await h.DeliverAsync(20);
        Assert.Equal(20, h.Body.BufferedBytes);
        Assert.Equal(0, h.Consumed);
        byte[] destination = new byte[100];
        ValueTask<int> read = h.Body.ReadAsync(destination, 100, CancellationToken.None);
        Assert.False(read.IsCompleted);
        await h.DeliverAsync(50);
        Assert.False(read.IsCompleted);
        h.Body.End();
        Assert.Equal(70, await read);
        Assert.Equal(data, destination[..70]);
        Assert.Equal(0, await h.Body.ReadAsync(destination, 1, CancellationToken.None));
        Assert.Equal(70, h.Consumed);
    }

    [Fact]
    public async Task A_frame_larger_than_the_waiting_memory_is_split_in_order()
    {
        byte[] data = Sequence(25 + 40_000);
        var h = new Harness(data);
        byte[] first = new byte[10];
        ValueTask<int> read = h.Body.ReadAsync(first, 1, CancellationToken.None);
        await h.DeliverAsync(25);
        Assert.Equal(10, await read);
        Assert.Equal(15, h.Body.BufferedBytes);
        await h.DeliverAsync(40_000);
        Assert.Equal(40_015, h.Body.BufferedBytes);
        h.Body.End();

        var all = new MemoryStream();
        all.Write(first);
        byte[] piece = new byte[7_777];
        int n;
        while ((n = await h.Body.ReadAsync(piece, 1, CancellationToken.None)) > 0)
        {
            all.Write(piece, 0, n);
        }

        Assert.Equal(data, all.ToArray());
        Assert.Equal(data.Length, h.Consumed);
    }

    [Fact]
    public async Task Cancelling_a_partly_filled_read_keeps_its_octets_for_the_next_read()
    {
        byte[] data = Sequence(80);
        var h = new Harness(data);
        await h.DeliverAsync(10); // buffered
        using var cts = new CancellationTokenSource();
        byte[] destination = new byte[100];
        ValueTask<int> read = h.Body.ReadAsync(destination, 100, cts.Token);
        await h.DeliverAsync(30); // straight into the waiting read
        Assert.False(read.IsCompleted);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await read);
        Assert.Equal(40, h.Body.BufferedBytes);

        await h.DeliverAsync(40);
        h.Body.End();
        byte[] again = new byte[200];
        Assert.Equal(80, await h.Body.ReadAsync(again, 200, CancellationToken.None));
        Assert.Equal(data, again[..80]);

        // Each octet reopens the windows once: put-back octets were already counted.
        Assert.Equal(80, h.Consumed);
    }

    [Fact]
    public async Task An_already_cancelled_read_takes_nothing()
    {
        byte[] data = Sequence(20);
        var h = new Harness(data);
        await h.DeliverAsync(20);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await h.Body.ReadAsync(new byte[10], 1, cts.Token));
        Assert.Equal(20, h.Body.BufferedBytes);
        Assert.Equal(0, h.Consumed);
    }

    [Fact]
    public async Task Cancelling_while_the_read_loop_fills_the_memory_keeps_the_octets()
    {
        var pipe = new Pipe();
        var reader = new Http2FrameReader(pipe.Reader.AsStream());
        int consumed = 0;
        var body = new Http2InboundBody(count => Interlocked.Add(ref consumed, count));
        using var cts = new CancellationTokenSource();
        byte[] destination = new byte[64 * 1024];
        ValueTask<int> read = body.ReadAsync(destination, destination.Length, cts.Token);

        // The read loop is inside the direct copy, waiting for the transport.
        Task deliver = body.DeliverAsync(reader, 40_000, CancellationToken.None).AsTask();
        byte[] data = Sequence(40_000);
        await pipe.Writer.WriteAsync(data.AsMemory(0, 10_000));
        await Task.Delay(20);
        await cts.CancelAsync();
        Assert.False(read.IsCompleted, "a read being filled completes when the copy is done");
        await pipe.Writer.WriteAsync(data.AsMemory(10_000));
        await deliver;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await read);
        Assert.Equal(40_000, body.BufferedBytes);

        body.End();
        byte[] again = new byte[50_000];
        Assert.Equal(40_000, await body.ReadAsync(again, again.Length, CancellationToken.None));
        Assert.Equal(data, again[..40_000]);
        Assert.Equal(40_000, consumed);
    }

    [Fact]
    public async Task Fail_fails_a_waiting_read_and_every_later_read()
    {
        var h = new Harness(Sequence(10));
        ValueTask<int> read = h.Body.ReadAsync(new byte[10], 1, CancellationToken.None);
        var reason = new Http2StreamException(1, Http2ErrorCode.Cancel, "reset");
        h.Body.Fail(reason);
        Assert.Same(reason, await Assert.ThrowsAsync<Http2StreamException>(async () => await read));
        await Assert.ThrowsAsync<Http2StreamException>(async () => await h.Body.ReadAsync(new byte[10], 1, CancellationToken.None));
        Assert.True(h.Body.IsEnded);
    }

    [Fact]
    public async Task Fail_before_the_end_drops_what_is_buffered_a_cut_body_never_looks_complete()
    {
        var h = new Harness(Sequence(10));
        await h.DeliverAsync(10);
        h.Body.Fail(new IOException("connection lost"));
        Assert.Equal(0, h.Body.BufferedBytes);
        await Assert.ThrowsAsync<IOException>(async () => await h.Body.ReadAsync(new byte[10], 1, CancellationToken.None));
    }

    [Fact]
    public async Task Octets_dropped_by_a_reset_go_back_to_the_windows()
    {
        // A stream reset with unread DATA (the server answered a bad request without reading its
        // body): unless the dropped octets count as consumed, the connection's receive window
        // shrinks by them for good, and a long-lived connection stalls once it is used up.
        var h = new Harness(Sequence(10));
        await h.DeliverAsync(10);
        h.Body.Fail(new Http2StreamException(1, Http2ErrorCode.NoError, "the response is complete"));
        Assert.Equal(10, h.Consumed);
    }

    [Fact]
    public async Task Octets_arriving_after_a_reset_go_back_to_the_windows_at_once()
    {
        var h = new Harness(Sequence(10));
        h.Body.Fail(new IOException("reset"));
        await h.DeliverAsync(10);
        Assert.Equal(0, h.Body.BufferedBytes);
        Assert.Equal(10, h.Consumed);
    }

    [Fact]
    public async Task Discarding_a_complete_unread_body_gives_its_octets_back()
    {
        var h = new Harness(Sequence(30));
        await h.DeliverAsync(12);
        Assert.Equal(12, await h.Body.ReadAsync(new byte[12], 12, CancellationToken.None));
        await h.DeliverAsync(18);
        h.Body.End();
        h.Body.Discard();
        Assert.Equal(0, h.Body.BufferedBytes);
        Assert.Equal(30, h.Consumed);
        await Assert.ThrowsAsync<IOException>(async () => await h.Body.ReadAsync(new byte[10], 1, CancellationToken.None));
    }

    [Fact]
    public async Task Fail_after_the_end_keeps_the_complete_body()
    {
        // RFC 9113 §8.1: a server may reset (NO_ERROR) a stream whose response is complete; the
        // client must not discard that response.
        byte[] data = Sequence(30);
        var h = new Harness(data);
        await h.DeliverAsync(30);
        h.Body.End();
        h.Body.Fail(new Http2StreamException(1, Http2ErrorCode.NoError, "reset after the response"));
        byte[] destination = new byte[64];
        Assert.Equal(30, await h.Body.ReadAsync(destination, 64, CancellationToken.None));
        Assert.Equal(data, destination[..30]);
        Assert.Equal(0, await h.Body.ReadAsync(destination, 1, CancellationToken.None));
    }

    [Fact]
    public async Task A_second_concurrent_read_is_refused()
    {
        var h = new Harness(Sequence(1));
        ValueTask<int> first = h.Body.ReadAsync(new byte[10], 1, CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await h.Body.ReadAsync(new byte[10], 1, CancellationToken.None));
        await h.DeliverAsync(1);
        Assert.Equal(1, await first);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public async Task Random_frames_reads_and_cancellations_lose_and_reorder_nothing(int seed)
    {
        const int total = 300_000;
        byte[] data = Sequence(total, seed);
        var random = new Random(seed);
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19));
        var reader = new Http2FrameReader(pipe.Reader.AsStream(), bufferSize: 4096);
        int consumed = 0;
        var body = new Http2InboundBody(count => Interlocked.Add(ref consumed, count));

        // The transport: the bytes arrive in random pieces.
        int writerSeed = random.Next();
        Task transport = Task.Run(async () =>
        {
            var r = new Random(writerSeed);
            for (int at = 0; at < total;)
            {
                int n = Math.Min(total - at, r.Next(1, 20_000));
                await pipe.Writer.WriteAsync(data.AsMemory(at, n));
                at += n;
                if (r.Next(4) == 0)
                {
                    await Task.Delay(r.Next(0, 2));
                }
            }

            await pipe.Writer.CompleteAsync();
        });

        // The read loop: DATA frames of random sizes, then END_STREAM.
        int loopSeed = random.Next();
        Task loop = Task.Run(async () =>
        {
            var r = new Random(loopSeed);
            for (int at = 0; at < total;)
            {
                int n = Math.Min(total - at, r.Next(4) == 0 ? r.Next(1, 50) : r.Next(1, 70_000));
                await body.DeliverAsync(reader, n, CancellationToken.None);
                at += n;
            }

            body.End();
        });

        // The consumer: random sizes and minimums, some reads cancelled at random moments.
        var received = new MemoryStream();
        int cancelled = 0;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), "the consumer made no progress");
            byte[] buffer = new byte[random.Next(1, 40_000)];
            int minimum = random.Next(3) == 0 ? buffer.Length : random.Next(1, buffer.Length + 1);
            using var cts = new CancellationTokenSource();
            int mode = random.Next(6);
            if (mode == 0)
            {
                cts.Cancel();
            }
            else if (mode == 1)
            {
                cts.CancelAfter(random.Next(0, 3));
            }

            try
            {
                ValueTask<int> pending = body.ReadAsync(buffer, minimum, cts.Token);
                if (mode == 2 && !pending.IsCompleted)
                {
                    await Task.Yield();
                    cts.Cancel();
                }

                int n = await pending;
                if (n == 0)
                {
                    break;
                }

                received.Write(buffer, 0, n);
            }
            catch (OperationCanceledException)
            {
                cancelled++;
            }
        }

        await Task.WhenAll(transport, loop);
        Assert.Equal(total, received.Length);
        Assert.True(data.AsSpan().SequenceEqual(received.ToArray()), "octets were lost or reordered");
        Assert.Equal(total, Volatile.Read(ref consumed));
        Assert.True(cancelled > 0);
    }
}
