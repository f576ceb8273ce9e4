using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ArrowCid.Parquet.Encodings;

/// <summary>
/// PLAIN (Encodings.md, PLAIN = 0) for every physical type: fixed-width values back to back in
/// little-endian order (one generic path for INT32, INT64, INT96, FLOAT, DOUBLE and
/// FIXED_LEN_BYTE_ARRAY), BOOLEAN bit-packed LSB-first, BYTE_ARRAY as a 4-byte little-endian
/// length followed by the bytes.
/// </summary>
/// <remarks>The fixed-width path reinterprets memory, which matches the file format on the
/// little-endian machines .NET runs on; <see cref="EnsureLittleEndian"/> guards the assumption.</remarks>
public static class PlainEncoding
{
    /// <summary>Decodes <c>destination.Length</c> fixed-width values; returns the bytes used.</summary>
    public static int Decode<T>(ReadOnlySpan<byte> source, Span<T> destination) where T : unmanaged
    {
        EnsureLittleEndian();
        Span<byte> target = MemoryMarshal.AsBytes(destination);
        if (target.Length > source.Length)
        {
            throw new ParquetFormatException($"PLAIN: {destination.Length} values need {target.Length} bytes, {source.Length} present");
        }
        source.Slice(0, target.Length).CopyTo(target);
        return target.Length;
    }

    /// <summary>Encodes fixed-width values.</summary>
    public static void Encode<T>(ReadOnlySpan<T> values, IBufferWriter<byte> output) where T : unmanaged
    {
        EnsureLittleEndian();
        ArgumentNullException.ThrowIfNull(output);
        output.Write(MemoryMarshal.AsBytes(values));
    }

    /// <summary>Decodes <c>destination.Length</c> booleans (1 bit each, LSB first); returns the bytes used.</summary>
    public static int DecodeBooleans(ReadOnlySpan<byte> source, Span<bool> destination)
    {
        long bytes = BitPacking.ByteCount(destination.Length, 1);
        if (bytes > source.Length)
        {
            throw new ParquetFormatException($"PLAIN: {destination.Length} booleans need {bytes} bytes, {source.Length} present");
        }
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = (source[i >> 3] >> (i & 7) & 1) != 0;
        }
        return (int)bytes;
    }

    /// <summary>Encodes booleans, 1 bit each, LSB first, the last byte zero-padded.</summary>
    public static void EncodeBooleans(ReadOnlySpan<bool> values, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        int bytes = (values.Length + 7) / 8;
        Span<byte> span = output.GetSpan(Math.Max(bytes, 1)).Slice(0, bytes);
        span.Clear();
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i])
            {
                span[i >> 3] |= (byte)(1 << (i & 7));
            }
        }
        output.Advance(bytes);
    }

    /// <summary>Decodes <paramref name="count"/> length-prefixed byte arrays into <paramref name="destination"/>; returns the bytes used.</summary>
    public static int DecodeByteArrays(ReadOnlySpan<byte> source, int count, ByteArrayBuilder destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        int position = 0;
        for (int i = 0; i < count; i++)
        {
            if (source.Length - position < 4)
            {
                throw new ParquetFormatException($"PLAIN: data ends inside the length of byte array {i} of {count}");
            }
            int length = BinaryPrimitives.ReadInt32LittleEndian(source.Slice(position));
            position += 4;
            if (length < 0 || length > source.Length - position)
            {
                throw new ParquetFormatException($"PLAIN: byte array {i} has length {length}, {source.Length - position} bytes left");
            }
            destination.Add(source.Slice(position, length));
            position += length;
        }
        return position;
    }

    /// <summary>Encodes byte arrays, each as a 4-byte length then its bytes.</summary>
    public static void EncodeByteArrays(ByteArrayValues values, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(output);
        for (int i = 0; i < values.Count; i++)
        {
            ReadOnlySpan<byte> value = values[i];
            BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(4), value.Length);
            output.Advance(4);
            output.Write(value);
        }
    }

    /// <summary>Decodes <paramref name="count"/> FIXED_LEN_BYTE_ARRAY values of <paramref name="width"/> bytes; returns the bytes used.</summary>
    public static int DecodeFixedLength(ReadOnlySpan<byte> source, int count, int width, ByteArrayBuilder destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        long bytes = (long)count * width;
        if (width < 0 || bytes > source.Length)
        {
            throw new ParquetFormatException($"PLAIN: {count} values of {width} bytes need {bytes} bytes, {source.Length} present");
        }
        for (int i = 0; i < count; i++)
        {
            destination.Add(source.Slice(i * width, width));
        }
        return (int)bytes;
    }

    /// <summary>Throws on a big-endian machine, where the fixed-width path would need byte swaps.</summary>
    public static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ArrowCid.Parquet assumes a little-endian machine");
        }
    }
}
