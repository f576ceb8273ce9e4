using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace ArrowCid.Grpc.Tests;

/// <summary>
/// A client call's request body and memory lent with a message: it is given back once the message
/// has been written, at once when the message is refused, when the call ends before it was sent,
/// and a request that borrowed memory is never sent a second time.
/// </summary>
public sealed class RequestContentTests
{
    private static GrpcRequestContent<BytesValue> NewContent(int maxMessageLength = int.MaxValue) =>
        new(maxMessageLength, codec: null, static () => new InvalidOperationException("the request stream is closed"));

    private static BytesValue Message(int length, byte fill) => new() { Value = ByteString.CopyFrom(Enumerable.Repeat(fill, length).ToArray()) };

    private static byte[] Framed(params IMessage[] messages)
    {
        var all = new MemoryStream();
        foreach (IMessage message in messages)
        {
            byte[] body = message.ToByteArray();
            byte[] prefix = new byte[GrpcFrame.PrefixLength];
            GrpcFrame.WritePrefix(prefix, body.Length);
            all.Write(prefix);
            all.Write(body);
        }

        return all.ToArray();
    }

    /// <summary>Counts its disposals and remembers how many messages had been written by the first.</summary>
    private sealed class Lent(MemoryStream output) : IDisposable
    {
        public int Disposals { get; private set; }

        public long WrittenWhenReleased { get; private set; } = -1;

        public void Dispose()
        {
            if (Disposals++ == 0)
            {
                WrittenWhenReleased = output.Length;
            }
        }
    }

    [Fact]
    public async Task Lent_memory_goes_back_once_its_message_is_written()
    {
        using var content = NewContent();
        var output = new MemoryStream();
        Task sending = content.CopyToAsync(output);
        BytesValue first = Message(100, 1);
        BytesValue second = Message(200, 2);
        var firstLent = new Lent(output);
        var secondLent = new Lent(output);

        await content.WriteAsync(first, firstLent);
        await content.WriteAsync(second, secondLent);
        await content.CompleteAsync();
        await sending.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(Framed(first, second), output.ToArray());
        Assert.Equal(1, firstLent.Disposals);
        Assert.Equal(1, secondLent.Disposals);
        // Each went back only after its own bytes had been written.
        Assert.Equal(Framed(first).Length, firstLent.WrittenWhenReleased);
        Assert.Equal(Framed(first, second).Length, secondLent.WrittenWhenReleased);
        Assert.False(content.IsReplayable);
    }

    [Fact]
    public async Task A_request_stream_set_whole_is_known_whole_and_still_sent_as_usual()
    {
        using var content = NewContent();
        BytesValue first = Message(100, 1);
        BytesValue second = Message(300, 2);

        Assert.True(content.TrySetWhole([first, second]));

        // What goes with the request headers: both messages framed, as often as asked.
        Assert.True(content.TryGetWhole(16 * 1024, out ReadOnlyMemory<byte> whole));
        Assert.Equal(Framed(first, second), whole.ToArray());
        Assert.True(content.TryGetWhole(16 * 1024, out whole));
        Assert.Equal(Framed(first, second), whole.ToArray());
        Assert.False(content.TryGetWhole(Framed(first, second).Length - 1, out _));
        Assert.True(content.IsReplayable);

        // A transport that does not take it whole gets the same octets through the body stream.
        var output = new MemoryStream();
        await content.CopyToAsync(output).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Framed(first, second), output.ToArray());
        await Assert.ThrowsAsync<InvalidOperationException>(() => content.WriteAsync(Message(1, 3)));
    }

    [Fact]
    public async Task A_streamed_request_is_known_whole_only_once_rewound_for_a_new_attempt()
    {
        using var content = NewContent();
        Assert.False(content.TryGetWhole(16 * 1024, out _));
        var output = new MemoryStream();
        Task sending = content.CopyToAsync(output);
        BytesValue only = Message(100, 1);
        await content.WriteAsync(only);
        await content.CompleteAsync();
        await sending.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(content.TryGetWhole(16 * 1024, out _));

        // Refused unprocessed: the next attempt may send the kept message whole.
        content.Rewind();
        Assert.True(content.TryGetWhole(16 * 1024, out ReadOnlyMemory<byte> whole));
        Assert.Equal(Framed(only), whole.ToArray());
    }

    [Fact]
    public async Task A_request_stream_too_large_to_set_whole_is_left_to_stream()
    {
        using var content = NewContent();
        BytesValue large = Message(GrpcChannel.WholeRequestLimit + 1, 1);
        Assert.False(content.TrySetWhole([large]));
        Assert.False(content.TryGetWhole(int.MaxValue, out _));

        var output = new MemoryStream();
        Task sending = content.CopyToAsync(output);
        await content.WriteAsync(large);
        await content.CompleteAsync();
        await sending.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Framed(large), output.ToArray());
    }

    [Fact]
    public async Task A_request_without_lent_memory_stays_replayable()
    {
        using var content = NewContent();
        var output = new MemoryStream();
        Task sending = content.CopyToAsync(output);
        await content.WriteAsync(Message(100, 1));
        await content.CompleteAsync();
        await sending.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(content.IsReplayable);
    }

    [Fact]
    public async Task A_refused_message_gives_its_memory_back_at_once()
    {
        using var content = NewContent(maxMessageLength: 50);
        var lent = new Lent(new MemoryStream());
        var error = await Assert.ThrowsAsync<RpcException>(() => content.WriteAsync(Message(100, 1), lent));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(1, lent.Disposals);
    }

    [Fact]
    public async Task A_call_that_ends_before_sending_gives_back_what_was_queued_and_what_comes_later()
    {
        using var content = NewContent();
        var queued = new Lent(new MemoryStream());
        await content.WriteAsync(Message(100, 1), queued);
        Assert.Equal(0, queued.Disposals);

        content.Abort();
        Assert.Equal(1, queued.Disposals);

        var late = new Lent(new MemoryStream());
        // The write fails as any write to an ended call does (OperationCanceledException here).
        await Assert.ThrowsAnyAsync<Exception>(() => content.WriteAsync(Message(100, 2), late));
        Assert.Equal(1, late.Disposals);
    }
}
