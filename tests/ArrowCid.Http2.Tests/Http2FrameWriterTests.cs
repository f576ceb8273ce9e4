using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using ArrowCid.Http2;

namespace ArrowCid.Http2.Tests;

public sealed class Http2FrameWriterTests
{
    [Fact]
    public async Task Small_headers_and_data_go_in_one_transport_write()
    {
        // A response's headers and its first small message: two frames, one write (one send, one
        // wake-up of the peer) rather than one write each.
        var transport = new RecordingStream();
        var writer = new Http2FrameWriter(transport, CancellationToken.None);
        byte[] block = [0x88, 0x5f, 0x03, (byte)'a', (byte)'b', (byte)'c'];
        byte[] message = [0, 0, 0, 0, 3, 1, 2, 3];

        await writer.WriteHeadersAndDataAsync(1, block, Http2Protocol.DefaultMaxFrameSize, message.AsMemory(0, 5), message.AsMemory(5), endStream: false);

        byte[] write = Assert.Single(transport.Writes);
        var headers = Http2FrameHeader.Read(write);
        Assert.Equal(new Http2FrameHeader(block.Length, Http2FrameType.Headers, Http2FrameFlags.EndHeaders, 1), headers);
        Assert.Equal(block, write.AsSpan(Http2FrameHeader.Size, block.Length).ToArray());
        var data = Http2FrameHeader.Read(write.AsSpan(Http2FrameHeader.Size + block.Length));
        Assert.Equal(new Http2FrameHeader(message.Length, Http2FrameType.Data, Http2FrameFlags.None, 1), data);
        Assert.Equal(message, write.AsSpan((2 * Http2FrameHeader.Size) + block.Length).ToArray());
    }

    [Fact]
    public async Task Last_data_and_trailers_go_in_one_transport_write_and_the_trailers_end_the_stream()
    {
        var transport = new RecordingStream();
        var writer = new Http2FrameWriter(transport, CancellationToken.None);
        byte[] message = [0, 0, 0, 0, 2, 7, 8];
        byte[] trailers = [0x40, 0x0b, (byte)'g', (byte)'r', (byte)'p', (byte)'c', (byte)'-', (byte)'s', (byte)'t', (byte)'a', (byte)'t', (byte)'u', (byte)'s', 0x01, (byte)'0'];

        await writer.WriteHeadersAndDataAsync(5, ReadOnlyMemory<byte>.Empty, Http2Protocol.DefaultMaxFrameSize, message, ReadOnlyMemory<byte>.Empty, endStream: true, trailers);

        byte[] write = Assert.Single(transport.Writes);
        var data = Http2FrameHeader.Read(write);
        Assert.Equal(new Http2FrameHeader(message.Length, Http2FrameType.Data, Http2FrameFlags.None, 5), data);
        Assert.Equal(message, write.AsSpan(Http2FrameHeader.Size, message.Length).ToArray());
        var end = Http2FrameHeader.Read(write.AsSpan(Http2FrameHeader.Size + message.Length));
        Assert.Equal(new Http2FrameHeader(trailers.Length, Http2FrameType.Headers, Http2FrameFlags.EndHeaders | Http2FrameFlags.EndStream, 5), end);
        Assert.Equal(trailers, write.AsSpan((2 * Http2FrameHeader.Size) + message.Length).ToArray());
    }

    [Fact]
    public async Task Headers_over_the_frame_size_still_precede_the_data_with_continuation()
    {
        var transport = new RecordingStream();
        var writer = new Http2FrameWriter(transport, CancellationToken.None);
        byte[] block = new byte[Http2Protocol.DefaultMaxFrameSize + 10];
        new Random(7).NextBytes(block);

        await writer.WriteHeadersAndDataAsync(3, block, Http2Protocol.DefaultMaxFrameSize, new byte[] { 9 }, ReadOnlyMemory<byte>.Empty, endStream: true);

        byte[] all = [.. transport.Writes.SelectMany(w => w)];
        var frames = new List<(Http2FrameHeader Header, byte[] Payload)>();
        for (int at = 0; at < all.Length;)
        {
            var header = Http2FrameHeader.Read(all.AsSpan(at));
            frames.Add((header, all.AsSpan(at + Http2FrameHeader.Size, header.Length).ToArray()));
            at += Http2FrameHeader.Size + header.Length;
        }

        Assert.Equal([Http2FrameType.Headers, Http2FrameType.Continuation, Http2FrameType.Data], frames.Select(f => f.Header.Type));
        Assert.False(frames[0].Header.Has(Http2FrameFlags.EndHeaders));
        Assert.False(frames[0].Header.Has(Http2FrameFlags.EndStream));
        Assert.True(frames[1].Header.Has(Http2FrameFlags.EndHeaders));
        Assert.Equal(block, frames[0].Payload.Concat(frames[1].Payload).ToArray());
        Assert.True(frames[2].Header.Has(Http2FrameFlags.EndStream));
        Assert.Equal(new byte[] { 9 }, frames[2].Payload);
    }

    [Fact]
    public async Task A_payload_outside_an_array_arrives_whole_when_the_socket_takes_it_in_parts()
    {
        // A mapped chunk's frame goes out as one gathered send of what the socket's buffer takes
        // now, then the stream writes the rest: with small buffers and a peer that reads late, the
        // send is partial and every byte must still arrive once, in order.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Server.ReceiveBufferSize = 16 * 1024; // before listening, so the accepted socket starts with it
        listener.Start();
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            SendBufferSize = 16 * 1024,
            NoDelay = true,
        };
        Task<Socket> accepted = listener.AcceptSocketAsync();
        await sender.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        using Socket receiver = await accepted;

        byte[] bytes = new byte[3 * 1024 * 1024];
        new Random(11).NextBytes(bytes);
        using var payload = new UnmanagedBytes(bytes);
        Assert.False(MemoryMarshal.TryGetArray<byte>(payload.Memory, out _));
        byte[] head = [1, 2, 3];
        await using var writer = new Http2FrameWriter(new NetworkStream(sender, ownsSocket: false), CancellationToken.None);

        Task write = writer.WriteDataAsync(9, head, payload.Memory, endStream: true).AsTask();
        await Task.Delay(100);
        Assert.False(write.IsCompleted, "the peer has not read: the socket cannot have taken 3 MiB");

        // Reads what the frame should hold, then whatever follows until the sender's shutdown:
        // a byte lost or sent twice shows as a wrong length or content, not as a hang.
        int total = Http2FrameHeader.Size + head.Length + bytes.Length;
        byte[] received = new byte[total + 1];
        Task<int> reading = ReadUntilEndAsync(receiver, received);
        await write;
        sender.Shutdown(SocketShutdown.Send);
        int at = await reading.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(total, at);
        Assert.Equal(new Http2FrameHeader(head.Length + bytes.Length, Http2FrameType.Data, Http2FrameFlags.EndStream, 9), Http2FrameHeader.Read(received));
        Assert.Equal(head, received.AsSpan(Http2FrameHeader.Size, head.Length).ToArray());
        Assert.True(bytes.AsSpan().SequenceEqual(received.AsSpan(Http2FrameHeader.Size + head.Length, bytes.Length)));
    }

    [Theory]
    [InlineData(false, 5, 200_000)]      // through the stream alone (no socket): frame by frame
    [InlineData(false, 0, 16_384 * 3)]   // exactly three full frames, no head
    [InlineData(true, 5, 200_000)]       // one gathered send of every frame
    [InlineData(true, 16_384, 100_000)]  // a head that fills the first frame
    public async Task A_run_of_data_frames_is_cut_at_the_frame_size_with_the_head_first_and_end_stream_last(bool socket, int headLength, int restLength)
    {
        byte[] head = new byte[headLength];
        byte[] rest = new byte[restLength];
        new Random(headLength + restLength).NextBytes(head);
        new Random(restLength).NextBytes(rest);
        byte[] wire;
        if (socket)
        {
            var (sender, receiver, listener) = await ConnectedPairAsync(sendBuffer: null);
            using (listener)
            using (sender)
            using (receiver)
            {
                await using var writer = new Http2FrameWriter(new NetworkStream(sender, ownsSocket: false), CancellationToken.None);
                byte[] received = new byte[head.Length + rest.Length + (Http2FrameWriter.MaxRunFrames * Http2FrameHeader.Size) + 1];
                Task<int> reading = ReadUntilEndAsync(receiver, received);
                await writer.WriteDataRunAsync(7, head, rest, Http2Protocol.DefaultMaxFrameSize, endStream: true);
                sender.Shutdown(SocketShutdown.Send);
                wire = received.AsSpan(0, await reading).ToArray();
            }
        }
        else
        {
            var transport = new RecordingStream();
            var writer = new Http2FrameWriter(transport, CancellationToken.None);
            await writer.WriteDataRunAsync(7, head, rest, Http2Protocol.DefaultMaxFrameSize, endStream: true);
            wire = [.. transport.Writes.SelectMany(w => w)];
        }

        var frames = Frames(wire);
        int expected = (head.Length + rest.Length + Http2Protocol.DefaultMaxFrameSize - 1) / Http2Protocol.DefaultMaxFrameSize;
        Assert.Equal(expected, frames.Count);
        Assert.All(frames, f => Assert.Equal((Http2FrameType.Data, 7), (f.Header.Type, f.Header.StreamId)));
        Assert.All(frames.SkipLast(1), f => Assert.Equal(Http2Protocol.DefaultMaxFrameSize, f.Header.Length));
        Assert.All(frames.SkipLast(1), f => Assert.False(f.Header.Has(Http2FrameFlags.EndStream)));
        Assert.True(frames[^1].Header.Has(Http2FrameFlags.EndStream));
        Assert.Equal([.. head, .. rest], frames.SelectMany(f => f.Payload).ToArray());
    }

    [Fact]
    public async Task A_run_outside_an_array_arrives_whole_when_the_socket_takes_only_part_of_it()
    {
        // Thirty frames of a mapped payload against buffers of a few tens of KiB: the one sendmsg
        // takes what fits, the stream writes the rest from the piece and byte where it stopped.
        var (sender, receiver, listener) = await ConnectedPairAsync(sendBuffer: 16 * 1024);
        using (listener)
        using (sender)
        using (receiver)
        {
            byte[] bytes = new byte[(30 * Http2Protocol.DefaultMaxFrameSize) - 3];
            new Random(5).NextBytes(bytes);
            using var payload = new UnmanagedBytes(bytes);
            byte[] head = [4, 5, 6];
            await using var writer = new Http2FrameWriter(new NetworkStream(sender, ownsSocket: false), CancellationToken.None);
            byte[] received = new byte[bytes.Length + head.Length + (30 * Http2FrameHeader.Size) + 1];
            Task<int> reading = ReadUntilEndAsync(receiver, received);
            await writer.WriteDataRunAsync(3, head, payload.Memory, Http2Protocol.DefaultMaxFrameSize, endStream: false);
            sender.Shutdown(SocketShutdown.Send);
            var frames = Frames(received.AsSpan(0, await reading).ToArray());
            Assert.Equal(30, frames.Count);
            Assert.All(frames, f => Assert.False(f.Header.Has(Http2FrameFlags.EndStream)));
            Assert.Equal([.. head, .. bytes], frames.SelectMany(f => f.Payload).ToArray());
        }
    }

    private static async Task<(Socket Sender, Socket Receiver, TcpListener Listener)> ConnectedPairAsync(int? sendBuffer)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        if (sendBuffer is { } size)
        {
            listener.Server.ReceiveBufferSize = size; // before listening, so the accepted socket starts with it
        }

        listener.Start();
        var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (sendBuffer is { } send)
        {
            sender.SendBufferSize = send;
        }

        Task<Socket> accepted = listener.AcceptSocketAsync();
        await sender.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        return (sender, await accepted, listener);
    }

    private static List<(Http2FrameHeader Header, byte[] Payload)> Frames(byte[] wire)
    {
        var frames = new List<(Http2FrameHeader Header, byte[] Payload)>();
        for (int at = 0; at < wire.Length;)
        {
            var header = Http2FrameHeader.Read(wire.AsSpan(at));
            Assert.True(at + Http2FrameHeader.Size + header.Length <= wire.Length, $"a frame at {at} runs past the {wire.Length} bytes received");
            frames.Add((header, wire.AsSpan(at + Http2FrameHeader.Size, header.Length).ToArray()));
            at += Http2FrameHeader.Size + header.Length;
        }

        return frames;
    }

    private static async Task<int> ReadUntilEndAsync(Socket socket, byte[] into)
    {
        int at = 0;
        while (at < into.Length)
        {
            int read = await socket.ReceiveAsync(into.AsMemory(at), SocketFlags.None);
            if (read == 0)
            {
                break;
            }

            at += read;
        }

        return at;
    }

    /// <summary>Bytes in unmanaged memory, as a mapping's are: a payload that is not an array.</summary>
    private sealed unsafe class UnmanagedBytes : MemoryManager<byte>
    {
        private readonly byte* _pointer;
        private readonly int _length;

        public UnmanagedBytes(byte[] bytes)
        {
            _length = bytes.Length;
            _pointer = (byte*)NativeMemory.Alloc((nuint)bytes.Length);
            bytes.CopyTo(new Span<byte>(_pointer, _length));
        }

        public override Span<byte> GetSpan() => new(_pointer, _length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing) => NativeMemory.Free(_pointer);
    }

    /// <summary>Keeps each write as its own array, so a test can count the writes a frame sequence took.</summary>
    private sealed class RecordingStream : Stream
    {
        public List<byte[]> Writes { get; } = [];

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Writes.Add(buffer.AsSpan(offset, count).ToArray());

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes.Add(buffer.ToArray());
            return ValueTask.CompletedTask;
        }
    }
}
