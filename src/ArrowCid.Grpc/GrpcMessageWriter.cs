using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;

namespace ArrowCid.Grpc;

/// <summary>Writes one length-prefixed protobuf message into a buffer writer (a pipe).</summary>
internal static class GrpcMessageWriter
{
    /// <exception cref="RpcException"><see cref="StatusCode.ResourceExhausted"/> when the message is over the send limit.</exception>
    public static void Write(IBufferWriter<byte> output, IMessage message, int maxMessageLength)
    {
        int length = message.CalculateSize();
        if (length > maxMessageLength)
        {
            throw new RpcException(
                StatusCode.ResourceExhausted,
                $"cannot send a {message.Descriptor.Name} message of {length} bytes: larger than the limit of {maxMessageLength} bytes");
        }

        if (length <= ContiguousLimit)
        {
            // Prefix and message into one span, sized once: protobuf's writer over an IBufferWriter
            // asks for more space as it goes, and an ArrayBufferWriter grows by doubling, each
            // growth a new array and a copy.
            Span<byte> frame = output.GetSpan(GrpcFrame.PrefixLength + length);
            GrpcFrame.WritePrefix(frame, length);
            message.WriteTo(frame.Slice(GrpcFrame.PrefixLength, length));
            output.Advance(GrpcFrame.PrefixLength + length);
            return;
        }

        GrpcFrame.WritePrefix(output.GetSpan(GrpcFrame.PrefixLength), length);
        output.Advance(GrpcFrame.PrefixLength);
        message.WriteTo(output);
    }

    /// <summary>A message up to this size is written into one span of the output; a larger one in the pieces the output gives.</summary>
    private const int ContiguousLimit = 64 * 1024;

    /// <summary>
    /// Writes <paramref name="message"/> into <paramref name="output"/> without flushing, so the
    /// messages that follow can join it in one DATA frame, unless its <paramref name="codec"/> would
    /// split it (see <see cref="WriteStreamingAsync"/>): then nothing is written and the result is false.
    /// </summary>
    /// <exception cref="RpcException"><see cref="StatusCode.ResourceExhausted"/> when the message is over the send limit.</exception>
    public static bool TryWriteUnsplit<T>(IBufferWriter<byte> output, T message, IGrpcMessageCodec<T>? codec, int maxMessageLength)
        where T : class, IMessage<T>
    {
        if (codec is not null && codec.TrySplitTrailingBytes(message, DirectBodyMinimum, out _, out _, out _))
        {
            return false;
        }

        Write(output, message, maxMessageLength);
        return true;
    }

    /// <summary>A split-off body is written by <see cref="WriteStreamingAsync"/> in pieces of at most this size, flushing after each.</summary>
    internal const int StreamingPiece = 1 << 20;

    /// <summary>
    /// A trailing bytes field at least this large is split off and sent from where it lies rather than
    /// serialised into the pipe with the rest: a chunked table's DoGet is thousands of FlightData of
    /// about 256 KiB (up to 1 MiB), and copying each body into the pipe first was a copy of every byte.
    /// Below it, one copy costs less than the extra write (our HTTP/2 copies pieces up to 16 KiB anyway).
    /// </summary>
    internal const int DirectBodyMinimum = 64 * 1024;

    /// <summary>
    /// Writes one message and flushes. A message its <paramref name="codec"/> splits (a trailing bytes
    /// field of at least <see cref="DirectBodyMinimum"/> bytes, such as Flight's <c>data_body</c>) is
    /// written by hand: the prefix, the head through protobuf, then the field's tag and length and its
    /// bytes in <see cref="StreamingPiece"/> pieces, flushing after each, so the transport sends while
    /// the rest is copied and the pipe never buffers the whole message. The bytes are exactly what
    /// protobuf would write, since the split field is the message's last in field-number order.
    /// </summary>
    /// <exception cref="RpcException"><see cref="StatusCode.ResourceExhausted"/> when the message is over the send limit.</exception>
    public static async ValueTask WriteStreamingAsync<T>(
        PipeWriter output, T message, IGrpcMessageCodec<T>? codec, int maxMessageLength, System.Action onFirstWrite, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        if (codec is null || !codec.TrySplitTrailingBytes(message, DirectBodyMinimum, out IMessage head, out int fieldNumber, out ReadOnlyMemory<byte> body))
        {
            Write(output, message, maxMessageLength);
            onFirstWrite();
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        // Length-delimited (wire type 2).
        uint tag = ((uint)fieldNumber << 3) | 2;
        int headLength = head.CalculateSize();
        long length = (long)headLength + CodedOutputStream.ComputeUInt32Size(tag) + CodedOutputStream.ComputeLengthSize(body.Length) + body.Length;
        if (length > maxMessageLength)
        {
            throw new RpcException(
                StatusCode.ResourceExhausted,
                $"cannot send a {message.Descriptor.Name} message of {length} bytes: larger than the limit of {maxMessageLength} bytes");
        }

        GrpcFrame.WritePrefix(output.GetSpan(GrpcFrame.PrefixLength), (int)length);
        output.Advance(GrpcFrame.PrefixLength);
        head.WriteTo(output);
        Span<byte> field = output.GetSpan(2 * 5);
        int written = WriteVarint(field, tag);
        written += WriteVarint(field[written..], (uint)body.Length);
        output.Advance(written);
        onFirstWrite();
        while (!body.IsEmpty)
        {
            int piece = Math.Min(body.Length, StreamingPiece);
            FlushResult flushed = await output.WriteAsync(body[..piece], cancellationToken).ConfigureAwait(false);
            if (flushed.IsCanceled || flushed.IsCompleted)
            {
                throw new OperationCanceledException("the response stream closed while a message was being written");
            }

            body = body[piece..];
        }
    }

    private static int WriteVarint(Span<byte> destination, uint value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }
}
