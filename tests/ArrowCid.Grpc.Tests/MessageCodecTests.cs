using System.IO.Pipelines;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace ArrowCid.Grpc.Tests;

/// <summary>
/// The large-message hook of the gRPC layer, with a message type that is not Flight's
/// (<c>google.protobuf.BytesValue</c>: one bytes field, number 1): a method's codec parses large
/// messages in place and has its large field sent from where it lies, bytes exactly as protobuf's.
/// </summary>
public sealed class MessageCodecTests
{
    private const int Large = 3 << 20;

    [Fact]
    public async Task A_split_message_is_written_as_protobuf_would_write_it()
    {
        var message = new BytesValue { Value = ByteString.CopyFrom(Pattern(Large)) };
        var codec = new BytesValueCodec();

        byte[] written = await WriteAsync(message, codec, int.MaxValue);

        Assert.Equal(1, codec.Splits);
        Assert.Equal(GrpcMessageWriter.DirectBodyMinimum, codec.LastMinimumLength);
        Assert.Equal(Framed(message), written);
    }

    [Fact]
    public async Task A_chunk_sized_body_is_split_so_it_is_sent_from_where_it_lies()
    {
        // A chunked table's DoGet sends bodies of about 256 KiB: each goes out from its block, not copied into the pipe.
        var message = new BytesValue { Value = ByteString.CopyFrom(Pattern(256 * 1024)) };
        var codec = new BytesValueCodec();

        byte[] written = await WriteAsync(message, codec, int.MaxValue);

        Assert.Equal(1, codec.Splits);
        Assert.Equal(Framed(message), written);
    }

    [Fact]
    public async Task A_message_the_codec_declines_is_written_whole()
    {
        var message = new BytesValue { Value = ByteString.CopyFrom(Pattern(1000)) };
        var codec = new BytesValueCodec();

        byte[] written = await WriteAsync(message, codec, int.MaxValue);

        Assert.Equal(0, codec.Splits);
        Assert.Equal(Framed(message), written);
    }

    [Fact]
    public async Task A_split_message_over_the_send_limit_is_refused_before_anything_is_written()
    {
        var message = new BytesValue { Value = ByteString.CopyFrom(Pattern(Large)) };
        var pipe = new Pipe();

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await GrpcMessageWriter.WriteStreamingAsync(pipe.Writer, message, new BytesValueCodec(), Large, static () => { }, CancellationToken.None));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(0, pipe.Writer.UnflushedBytes);
    }

    [Fact]
    public async Task A_large_message_is_parsed_by_the_codec_in_its_own_array()
    {
        var sent = new BytesValue { Value = ByteString.CopyFrom(Pattern(Large)) };
        var codec = new BytesValueCodec();
        var reader = new GrpcMessageReader<BytesValue>(new MemoryStream(Framed(sent)), BytesValue.Parser, Large + 16, CancellationToken.None, codec);

        Assert.True(await reader.MoveNext(CancellationToken.None));

        Assert.Equal(1, codec.OwnedParses);
        Assert.Equal(sent, reader.Current);
        // The field is a slice of the array the reader received the message into, not a copy.
        Assert.Same(ArrayOf(codec.LastPayload), ArrayOf(reader.Current.Value.Memory));
        Assert.False(await reader.MoveNext(CancellationToken.None));
    }

    [Fact]
    public async Task A_released_large_message_gives_its_array_to_the_next_one()
    {
        BytesValue first = new() { Value = ByteString.CopyFrom(Pattern(Large)) };
        BytesValue second = new() { Value = ByteString.CopyFrom(Pattern(Large).Reverse().ToArray()) };
        var reader = new GrpcMessageReader<BytesValue>(new MemoryStream([.. Framed(first), .. Framed(second)]), BytesValue.Parser, Large + 16, CancellationToken.None, new BytesValueCodec());

        Assert.True(await reader.MoveNext(CancellationToken.None));
        Assert.Equal(first, reader.Current);
        byte[] array = ArrayOf(reader.Current.Value.Memory);
        reader.ReleaseCurrent();
        Assert.Throws<InvalidOperationException>(() => reader.Current);

        Assert.True(await reader.MoveNext(CancellationToken.None));
        Assert.Equal(second, reader.Current);
        Assert.Same(array, ArrayOf(reader.Current.Value.Memory));
    }

    [Fact]
    public async Task A_large_message_not_released_keeps_its_array()
    {
        BytesValue kept = new() { Value = ByteString.CopyFrom(Pattern(Large)) };
        BytesValue other = new() { Value = ByteString.CopyFrom(Pattern(Large).Reverse().ToArray()) };
        var reader = new GrpcMessageReader<BytesValue>(new MemoryStream([.. Framed(kept), .. Framed(other), .. Framed(other)]), BytesValue.Parser, Large + 16, CancellationToken.None, new BytesValueCodec());

        // The caller keeps the first message and never releases it; the second goes back to the pool.
        Assert.True(await reader.MoveNext(CancellationToken.None));
        BytesValue first = reader.Current;
        Assert.True(await reader.MoveNext(CancellationToken.None));
        reader.ReleaseCurrent();
        Assert.True(await reader.MoveNext(CancellationToken.None));

        Assert.Equal(kept, first);
        Assert.Equal(other, reader.Current);
        Assert.NotSame(ArrayOf(first.Value.Memory), ArrayOf(reader.Current.Value.Memory));
        Assert.False(await reader.MoveNext(CancellationToken.None));
    }

    private static byte[] ArrayOf(ReadOnlyMemory<byte> memory) =>
        MemoryMarshal.TryGetArray(memory, out ArraySegment<byte> segment) ? segment.Array! : throw new InvalidOperationException("not an array");

    [Fact]
    public async Task A_small_message_goes_through_protobuf_alone()
    {
        var sent = new BytesValue { Value = ByteString.CopyFrom(Pattern(100)) };
        var codec = new BytesValueCodec();
        var reader = new GrpcMessageReader<BytesValue>(new MemoryStream(Framed(sent)), BytesValue.Parser, 1 << 20, CancellationToken.None, codec);

        Assert.True(await reader.MoveNext(CancellationToken.None));

        Assert.Equal(0, codec.OwnedParses);
        Assert.Equal(sent, reader.Current);
    }

    [Fact]
    public void A_method_carries_its_codecs()
    {
        var codec = new BytesValueCodec();
        var method = new GrpcMethod<BytesValue, BytesValue>("test.Bytes", "Echo", MethodType.DuplexStreaming, codec, responseCodec: null);

        Assert.Same(codec, method.RequestCodec);
        Assert.Null(method.ResponseCodec);
    }

    private static async Task<byte[]> WriteAsync(BytesValue message, BytesValueCodec codec, int maxMessageLength)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        bool started = false;
        await GrpcMessageWriter.WriteStreamingAsync(pipe.Writer, message, codec, maxMessageLength, () => started = true, CancellationToken.None);
        Assert.True(started);
        await pipe.Writer.CompleteAsync();
        using var output = new MemoryStream();
        await pipe.Reader.CopyToAsync(output);
        return output.ToArray();
    }

    private static byte[] Framed(IMessage message)
    {
        byte[] body = message.ToByteArray();
        byte[] frame = new byte[GrpcFrame.PrefixLength + body.Length];
        GrpcFrame.WritePrefix(frame, body.Length);
        body.CopyTo(frame.AsSpan(GrpcFrame.PrefixLength));
        return frame;
    }

    private static byte[] Pattern(int length)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(i * 31 + (i >> 8));
        }

        return bytes;
    }

    /// <summary>A codec for BytesValue that records how it was used.</summary>
    private sealed class BytesValueCodec : IGrpcMessageCodec<BytesValue>
    {
        public int Splits { get; private set; }

        public int LastMinimumLength { get; private set; }

        public int OwnedParses { get; private set; }

        public ReadOnlyMemory<byte> LastPayload { get; private set; }

        public BytesValue ParseOwned(ReadOnlyMemory<byte> payload)
        {
            OwnedParses++;
            LastPayload = payload;
            // Test input is always one well-formed field 1: tag 0x0A, a varint length, the bytes.
            ReadOnlySpan<byte> bytes = payload.Span;
            int position = 1;
            int length = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = bytes[position++];
                length |= (b & 0x7F) << shift;
                if (b < 0x80)
                {
                    break;
                }
            }

            return new BytesValue { Value = UnsafeByteOperations.UnsafeWrap(payload.Slice(position, length)) };
        }

        public bool TrySplitTrailingBytes(BytesValue message, int minimumLength, out IMessage head, out int fieldNumber, out ReadOnlyMemory<byte> payload)
        {
            LastMinimumLength = minimumLength;
            if (message.Value.Length < minimumLength)
            {
                head = message;
                fieldNumber = 0;
                payload = default;
                return false;
            }

            Splits++;
            head = new BytesValue();
            fieldNumber = BytesValue.ValueFieldNumber;
            payload = message.Value.Memory;
            return true;
        }
    }
}
