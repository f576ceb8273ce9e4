using System.Buffers.Binary;

namespace ArrowCid.Content.Car;

/// <summary>
/// The CARv2 prefix: an 11-byte pragma, then 40 bytes of characteristics (16), data offset (8),
/// data size (8) and index offset (8), all little-endian. Offsets count from the start of the file.
/// </summary>
/// <param name="Characteristics">The 128-bit characteristics field, as its 16 bytes read little-endian.</param>
/// <param name="DataOffset">Where the CARv1 payload starts.</param>
/// <param name="DataSize">Length of the CARv1 payload.</param>
/// <param name="IndexOffset">Where the index starts; 0 when there is none.</param>
public readonly record struct CarV2Header(UInt128 Characteristics, ulong DataOffset, ulong DataSize, ulong IndexOffset)
{
    /// <summary>Length of the pragma plus the header.</summary>
    public const int PrefixLength = 11 + 40;

    /// <summary>The pragma: varint(10) then the DAG-CBOR map {version: 2}.</summary>
    public static ReadOnlySpan<byte> Pragma => [0x0a, 0xa1, 0x67, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x02];

    /// <summary>Writes pragma and header.</summary>
    /// <param name="destination">At least <see cref="PrefixLength"/> bytes.</param>
    public void WriteTo(Span<byte> destination)
    {
        Pragma.CopyTo(destination);
        var header = destination.Slice(11, 40);
        BinaryPrimitives.WriteUInt128LittleEndian(header, Characteristics);
        BinaryPrimitives.WriteUInt64LittleEndian(header[16..], DataOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(header[24..], DataSize);
        BinaryPrimitives.WriteUInt64LittleEndian(header[32..], IndexOffset);
    }

    /// <summary>Reads the 40 header bytes after the pragma and checks the offsets are coherent.</summary>
    /// <param name="header">The 40 header bytes.</param>
    /// <returns>The header.</returns>
    /// <exception cref="ContentFormatException">Overlapping or overflowing offsets.</exception>
    internal static CarV2Header Read(ReadOnlySpan<byte> header)
    {
        var result = new CarV2Header(
            BinaryPrimitives.ReadUInt128LittleEndian(header),
            BinaryPrimitives.ReadUInt64LittleEndian(header[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(header[24..]),
            BinaryPrimitives.ReadUInt64LittleEndian(header[32..]));
        if (result.DataOffset < PrefixLength || result.DataOffset > long.MaxValue)
        {
            throw new ContentFormatException($"CARv2 data offset {result.DataOffset} is inside the header or out of range", 11 + 16);
        }

        if (result.DataSize > long.MaxValue - result.DataOffset)
        {
            throw new ContentFormatException($"CARv2 data size {result.DataSize} overflows", 11 + 24);
        }

        if (result.IndexOffset != 0 && (result.IndexOffset < result.DataOffset + result.DataSize || result.IndexOffset > long.MaxValue))
        {
            throw new ContentFormatException($"CARv2 index offset {result.IndexOffset} is not after the data payload", 11 + 32);
        }

        return result;
    }
}
