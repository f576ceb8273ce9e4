using System.Buffers;
using System.Buffers.Binary;

namespace ArrowCid.Arrow.Compression;

/// <summary>
/// Arrow IPC body compression, method BUFFER (Message.fbs BodyCompressionMethod): each buffer is
/// stored as its uncompressed length (int64 little-endian) followed by the compressed bytes, or
/// by the raw bytes when that length is -1 (used when compression does not shrink the buffer).
/// Message.fbs also allows an empty buffer to be stored as 0 bytes with no length header; this
/// writer always does so and the reader accepts both forms.
/// </summary>
public static class BodyCompression
{
    /// <summary>Size of the uncompressed-length prefix.</summary>
    public const int PrefixSize = 8;

    /// <summary>The prefix value that marks a buffer stored uncompressed.</summary>
    public const long UncompressedMarker = -1;

    /// <summary>
    /// Writes <paramref name="source"/> in stored form to <paramref name="destination"/> and
    /// returns the bytes written (0 for an empty buffer). With <see cref="CompressionCodec.None"/>
    /// the bytes are written as they are, with no prefix.
    /// </summary>
    public static int CompressBuffer(CompressionCodec codec, ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (source.IsEmpty)
        {
            return 0;
        }

        if (codec == CompressionCodec.None)
        {
            destination.Write(source);
            return source.Length;
        }

        int bound = codec switch
        {
            CompressionCodec.Lz4Frame => Lz4Frame.CompressBound(source.Length),
            CompressionCodec.Zstd => Zstd.CompressBound(source.Length),
            _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, "Unknown codec."),
        };

        // Both bounds exceed the input length, so the span also has room for the raw fallback.
        Span<byte> span = destination.GetSpan(PrefixSize + bound);
        Span<byte> payload = span.Slice(PrefixSize, bound);
        int compressed = codec == CompressionCodec.Zstd ? Zstd.Compress(source, payload) : Lz4Frame.Compress(source, payload);
        int total;
        if (compressed < source.Length)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span, source.Length);
            total = PrefixSize + compressed;
        }
        else
        {
            BinaryPrimitives.WriteInt64LittleEndian(span, UncompressedMarker);
            source.CopyTo(payload);
            total = PrefixSize + source.Length;
        }

        destination.Advance(total);
        return total;
    }

    /// <summary>
    /// Decodes one stored buffer. The -1 form (and <see cref="CompressionCodec.None"/>) returns a
    /// slice of <paramref name="stored"/> without copying. An uncompressed length above
    /// <paramref name="maxUncompressedLength"/> (a decompression bomb guard), a negative length
    /// other than -1, or a frame that does not decode to exactly that length throws.
    /// </summary>
    public static ReadOnlyMemory<byte> DecompressBuffer(CompressionCodec codec, ReadOnlyMemory<byte> stored, long maxUncompressedLength)
    {
        long length = ReadPrefix(codec, stored.Span, maxUncompressedLength);
        return length switch
        {
            NoPrefix => stored,
            UncompressedMarker => stored[PrefixSize..],
            _ => Decode(codec, stored.Span[PrefixSize..], (int)length),
        };
    }

    /// <summary>Like <see cref="DecompressBuffer"/> for a span; always returns a new array.</summary>
    public static byte[] DecompressBufferToArray(CompressionCodec codec, ReadOnlySpan<byte> stored, long maxUncompressedLength)
    {
        long length = ReadPrefix(codec, stored, maxUncompressedLength);
        return length switch
        {
            NoPrefix => stored.ToArray(),
            UncompressedMarker => stored[PrefixSize..].ToArray(),
            _ => Decode(codec, stored[PrefixSize..], (int)length),
        };
    }

    // ReadPrefix's answer for "no prefix: the stored bytes are the buffer".
    private const long NoPrefix = long.MinValue;

    /// <summary>
    /// Validates the stored form and returns the uncompressed length, <see cref="UncompressedMarker"/>,
    /// or <see cref="NoPrefix"/> (empty, or codec None).
    /// </summary>
    private static long ReadPrefix(CompressionCodec codec, ReadOnlySpan<byte> stored, long maxUncompressedLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxUncompressedLength);
        if (codec is not (CompressionCodec.None or CompressionCodec.Lz4Frame or CompressionCodec.Zstd))
        {
            throw new ArgumentOutOfRangeException(nameof(codec), codec, "Unknown codec.");
        }

        long cap = Math.Min(maxUncompressedLength, Array.MaxLength);
        if (stored.IsEmpty || codec == CompressionCodec.None)
        {
            return stored.Length > cap
                ? throw new ArrowFormatException($"body buffer of {stored.Length} bytes exceeds the {cap}-byte limit.")
                : NoPrefix;
        }

        if (stored.Length < PrefixSize)
        {
            throw new ArrowFormatException($"compressed body buffer of {stored.Length} bytes is shorter than its 8-byte length prefix.");
        }

        long length = BinaryPrimitives.ReadInt64LittleEndian(stored);
        if (length == UncompressedMarker)
        {
            return stored.Length - PrefixSize > cap
                ? throw new ArrowFormatException($"uncompressed body buffer of {stored.Length - PrefixSize} bytes exceeds the {cap}-byte limit.")
                : UncompressedMarker;
        }

        if (length < 0)
        {
            throw new ArrowFormatException($"compressed body buffer has invalid uncompressed length {length}.");
        }

        if (length > cap)
        {
            throw new ArrowFormatException($"compressed body buffer claims {length} uncompressed bytes, above the {cap}-byte limit.");
        }

        return length;
    }

    private static byte[] Decode(CompressionCodec codec, ReadOnlySpan<byte> payload, int length)
    {
        // A zero length with nothing after the prefix is an empty buffer some writers produce.
        if (length == 0 && payload.IsEmpty)
        {
            return [];
        }

        // The claimed length is untrusted. LZ4 output grows with what the frame really decodes
        // to, so a lying prefix costs at most about twice the true size. zstd decodes into exactly
        // the claimed length (its window is the output, whatever window the frame declares), after
        // checking the payload could expand that far.
        byte[] output = codec == CompressionCodec.Zstd
            ? Zstd.DecompressToArray(payload, length)
            : Lz4Frame.DecompressGrowing(payload, length);
        if (output.Length != length)
        {
            throw new ArrowFormatException($"{codec} body buffer decompressed to {output.Length} bytes, its prefix says {length}.");
        }

        return output;
    }
}
