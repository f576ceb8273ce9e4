using System.Buffers;

namespace ArrowCid.Parquet.Encodings;

/// <summary>
/// DELTA_BINARY_PACKED (Encodings.md, = 5) for INT32 and INT64. Header: block size, miniblocks
/// per block, total count (ULEB128), first value (zigzag). Each block: min delta (zigzag), one
/// bit-width byte per miniblock, then the miniblocks of (delta − min delta) bit-packed. All
/// arithmetic wraps in two's complement, as the spec requires; INT32 deltas are taken modulo 2^32
/// so their widths never exceed 32.
/// </summary>
public static class DeltaBinaryPacked
{
    private const int BlockSize = 128;
    private const int MiniblocksPerBlock = 4;
    private const int ValuesPerMiniblock = BlockSize / MiniblocksPerBlock;
    // Headers beyond this are not written by anyone and would only let a file make us loop.
    private const int MaxBlockSize = 1 << 16;

    /// <summary>Decodes exactly <c>destination.Length</c> INT64 values; returns the bytes used.</summary>
    public static int DecodeInt64(ReadOnlySpan<byte> source, Span<long> destination) => DecodeCore(source, destination);

    /// <summary>Decodes exactly <c>destination.Length</c> INT32 values; returns the bytes used.</summary>
    public static int DecodeInt32(ReadOnlySpan<byte> source, Span<int> destination)
    {
        long[] wide = ArrayPool<long>.Shared.Rent(destination.Length);
        try
        {
            int used = DecodeCore(source, wide.AsSpan(0, destination.Length));
            for (int i = 0; i < destination.Length; i++)
            {
                // Truncation keeps the sum modulo 2^32, which is the INT32 result.
                destination[i] = unchecked((int)wide[i]);
            }
            return used;
        }
        finally
        {
            ArrayPool<long>.Shared.Return(wide);
        }
    }

    /// <summary>Encodes INT64 values.</summary>
    public static void EncodeInt64(ReadOnlySpan<long> values, IBufferWriter<byte> output) => EncodeCore(values, int32: false, output);

    /// <summary>Encodes INT32 values.</summary>
    public static void EncodeInt32(ReadOnlySpan<int> values, IBufferWriter<byte> output)
    {
        long[] wide = ArrayPool<long>.Shared.Rent(values.Length);
        try
        {
            for (int i = 0; i < values.Length; i++)
            {
                wide[i] = values[i];
            }
            EncodeCore(wide.AsSpan(0, values.Length), int32: true, output);
        }
        finally
        {
            ArrayPool<long>.Shared.Return(wide);
        }
    }

    private static int DecodeCore(ReadOnlySpan<byte> source, Span<long> destination)
    {
        int position = 0;
        ulong blockSize = Uleb128.Read(source, ref position, "DELTA_BINARY_PACKED block size");
        ulong miniblocks = Uleb128.Read(source, ref position, "DELTA_BINARY_PACKED miniblock count");
        ulong total = Uleb128.Read(source, ref position, "DELTA_BINARY_PACKED value count");
        long first = Uleb128.ReadZigZag(source, ref position, "DELTA_BINARY_PACKED first value");
        if (blockSize == 0 || blockSize > MaxBlockSize || miniblocks == 0 || miniblocks > blockSize
            || blockSize % miniblocks != 0 || blockSize / miniblocks % 8 != 0)
        {
            throw new ParquetFormatException($"DELTA_BINARY_PACKED: block size {blockSize} with {miniblocks} miniblocks is invalid");
        }
        if (total != (ulong)destination.Length)
        {
            throw new ParquetFormatException($"DELTA_BINARY_PACKED: header holds {total} values, the page needs {destination.Length}");
        }
        if (total == 0)
        {
            return position;
        }
        int perMiniblock = (int)(blockSize / miniblocks);
        int miniblockCount = (int)miniblocks;
        destination[0] = first;
        long previous = first;
        int filled = 1;
        while (filled < destination.Length)
        {
            long minDelta = Uleb128.ReadZigZag(source, ref position, "DELTA_BINARY_PACKED min delta");
            if (miniblockCount > source.Length - position)
            {
                throw new ParquetFormatException("DELTA_BINARY_PACKED: data ends inside the miniblock bit widths");
            }
            ReadOnlySpan<byte> widths = source.Slice(position, miniblockCount);
            position += miniblockCount;
            for (int m = 0; m < miniblockCount && filled < destination.Length; m++)
            {
                int width = widths[m];
                if (width > 64)
                {
                    throw new ParquetFormatException($"DELTA_BINARY_PACKED: miniblock bit width {width} exceeds 64");
                }
                int bytes = (int)BitPacking.ByteCount(perMiniblock, width);
                if (bytes > source.Length - position)
                {
                    throw new ParquetFormatException($"DELTA_BINARY_PACKED: miniblock needs {bytes} bytes, {source.Length - position} left");
                }
                ReadOnlySpan<byte> packed = source.Slice(position, bytes);
                int take = Math.Min(perMiniblock, destination.Length - filled);
                for (int i = 0; i < take; i++)
                {
                    previous = unchecked(previous + minDelta + (long)BitPacking.Read(packed, i, width));
                    destination[filled++] = previous;
                }
                position += bytes;
            }
        }
        return position;
    }

    private static void EncodeCore(ReadOnlySpan<long> values, bool int32, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        Uleb128.Write(output, BlockSize);
        Uleb128.Write(output, MiniblocksPerBlock);
        Uleb128.Write(output, (ulong)values.Length);
        Uleb128.WriteZigZag(output, values.Length > 0 ? values[0] : 0);
        Span<long> deltas = stackalloc long[BlockSize];
        Span<ulong> relative = stackalloc ulong[ValuesPerMiniblock];
        Span<byte> widths = stackalloc byte[MiniblocksPerBlock];
        for (int blockStart = 1; blockStart < values.Length; blockStart += BlockSize)
        {
            int n = Math.Min(BlockSize, values.Length - blockStart);
            long minDelta = long.MaxValue;
            for (int k = 0; k < n; k++)
            {
                long delta = unchecked(values[blockStart + k] - values[blockStart + k - 1]);
                deltas[k] = int32 ? unchecked((int)delta) : delta;
                minDelta = Math.Min(minDelta, deltas[k]);
            }
            Uleb128.WriteZigZag(output, minDelta);
            int usedMiniblocks = (n + ValuesPerMiniblock - 1) / ValuesPerMiniblock;
            for (int m = 0; m < MiniblocksPerBlock; m++)
            {
                ulong max = 0;
                for (int k = m * ValuesPerMiniblock; k < Math.Min(n, (m + 1) * ValuesPerMiniblock); k++)
                {
                    max |= unchecked((ulong)deltas[k] - (ulong)minDelta);
                }
                widths[m] = m < usedMiniblocks ? (byte)BitPacking.WidthOf(max) : (byte)0;
            }
            output.Write(widths);
            for (int m = 0; m < usedMiniblocks; m++)
            {
                relative.Clear();
                for (int k = 0; k < ValuesPerMiniblock && m * ValuesPerMiniblock + k < n; k++)
                {
                    relative[k] = unchecked((ulong)deltas[m * ValuesPerMiniblock + k] - (ulong)minDelta);
                }
                int bytes = (int)BitPacking.ByteCount(ValuesPerMiniblock, widths[m]);
                Span<byte> target = output.GetSpan(Math.Max(bytes, 1)).Slice(0, bytes);
                BitPacking.Pack(relative, widths[m], target);
                output.Advance(bytes);
            }
        }
    }
}
