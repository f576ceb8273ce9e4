using System.Buffers.Binary;

namespace ArrowCid.Arrow.Ipc;

/// <summary>One framed message: its decoded metadata and its body bytes.</summary>
internal readonly record struct FramedMessage(DecodedMessage Message, ReadOnlyMemory<byte> Body);

/// <summary>
/// Reads encapsulated messages (continuation marker, int32 metadata length, metadata, body) one at
/// a time, either straight from memory — bodies are slices of it, nothing is copied — or from a
/// stream, reading each body into memory of its own. The legacy framing without continuation
/// marker (before format 0.15) is accepted too.
/// </summary>
internal abstract class MessageReader
{
    /// <summary>The largest metadata flatbuffer accepted (a schema of many thousand fields fits).</summary>
    public const int MaxMetadataLength = 64 << 20;

    /// <summary>The next message, or null at end-of-stream (marker or end of input).</summary>
    public abstract FramedMessage? Next();

    /// <summary>Bytes consumed so far.</summary>
    public abstract long Position { get; }

    internal static int ParseLength(ReadOnlySpan<byte> prefix, out int prefixLength)
    {
        uint first = BinaryPrimitives.ReadUInt32LittleEndian(prefix);
        int length;
        if (first == EncodedMessage.Continuation)
        {
            prefixLength = 8;
            length = BinaryPrimitives.ReadInt32LittleEndian(prefix[4..]);
        }
        else
        {
            prefixLength = 4;
            length = (int)first;
        }

        if (length < 0 || length > MaxMetadataLength)
        {
            throw new ArrowFormatException($"message: metadata length {length} is outside 0..{MaxMetadataLength}");
        }

        return length;
    }

    public static MessageReader FromMemory(ReadOnlyMemory<byte> data) => new MemoryMessageReader(data);

    public static MessageReader FromStream(Stream stream) => new StreamMessageReader(stream);

    private sealed class MemoryMessageReader(ReadOnlyMemory<byte> data) : MessageReader
    {
        private int _at;

        public override long Position => _at;

        public override FramedMessage? Next()
        {
            var rest = data.Span[_at..];
            if (rest.Length < 4)
            {
                if (rest.Length == 0)
                {
                    return null;
                }

                throw new ArrowFormatException($"message at byte {_at}: {rest.Length} trailing bytes are not a message prefix") { Offset = _at };
            }

            if (rest.Length < 8 && BinaryPrimitives.ReadUInt32LittleEndian(rest) == EncodedMessage.Continuation)
            {
                throw new ArrowFormatException($"message at byte {_at}: truncated length prefix") { Offset = _at };
            }

            int length = ParseLength(rest.Length >= 8 ? rest : [.. rest, 0, 0, 0, 0], out int prefix);
            if (length == 0)
            {
                _at += prefix;
                return null;
            }

            if (length > rest.Length - prefix)
            {
                throw new ArrowFormatException($"message at byte {_at}: metadata of {length} bytes runs past the end of the data ({rest.Length - prefix} left)") { Offset = _at };
            }

            var message = MessageDecoder.Decode(rest.Slice(prefix, length));
            long bodyStart = (long)_at + prefix + length;
            if (message.BodyLength > data.Length - bodyStart)
            {
                throw new ArrowFormatException($"message at byte {_at}: body of {message.BodyLength} bytes runs past the end of the data ({data.Length - bodyStart} left)") { Offset = _at };
            }

            var body = data.Slice((int)bodyStart, (int)message.BodyLength);
            _at = (int)(bodyStart + message.BodyLength);
            return new FramedMessage(message, body);
        }
    }

    private sealed class StreamMessageReader(Stream stream) : MessageReader
    {
        private long _position;

        public override long Position => _position;

        public override FramedMessage? Next()
        {
            Span<byte> prefix = stackalloc byte[8];
            int got = ReadUpTo(prefix[..4]);
            if (got == 0)
            {
                return null;
            }

            if (got < 4)
            {
                throw new ArrowFormatException($"message at byte {_position - got}: truncated length prefix") { Offset = _position - got };
            }

            if (BinaryPrimitives.ReadUInt32LittleEndian(prefix) == EncodedMessage.Continuation)
            {
                if (ReadUpTo(prefix[4..]) < 4)
                {
                    throw new ArrowFormatException($"message at byte {_position}: truncated length prefix") { Offset = _position };
                }
            }

            int length = ParseLength(prefix, out _);
            if (length == 0)
            {
                return null;
            }

            byte[] metadata = ReadBlock(length, "metadata");
            var message = MessageDecoder.Decode(metadata);
            if (message.BodyLength > int.MaxValue)
            {
                throw new ArrowFormatException($"message: body of {message.BodyLength} bytes is larger than one buffer can hold");
            }

            byte[] body = ReadBlock((int)message.BodyLength, "body");
            return new FramedMessage(message, body);
        }

        private int ReadUpTo(Span<byte> destination)
        {
            int total = 0;
            while (total < destination.Length)
            {
                int n = stream.Read(destination[total..]);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }

            _position += total;
            return total;
        }

        /// <summary>
        /// Reads exactly <paramref name="length"/> bytes. The buffer grows with what actually
        /// arrives, so a lying length on a short stream never allocates the whole claimed size.
        /// </summary>
        private byte[] ReadBlock(int length, string what)
        {
            if (stream.CanSeek && length > stream.Length - stream.Position)
            {
                throw new ArrowFormatException($"message {what} of {length} bytes runs past the end of the stream ({stream.Length - stream.Position} left)");
            }

            byte[] buffer = new byte[Math.Min(length, 1 << 20)];
            int filled = 0;
            while (filled < length)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, (int)Math.Min(length, (long)buffer.Length * 2));
                }

                int n = stream.Read(buffer, filled, buffer.Length - filled);
                if (n == 0)
                {
                    throw new ArrowFormatException($"message {what}: stream ended after {filled} of {length} bytes");
                }

                filled += n;
            }

            _position += length;
            return buffer;
        }
    }
}
