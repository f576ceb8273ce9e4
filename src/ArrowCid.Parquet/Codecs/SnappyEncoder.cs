using System.Buffers.Binary;

namespace ArrowCid.Parquet.Codecs;

/// <summary>
/// A raw snappy block compressor (the format of google/snappy's format_description.txt: a varint
/// of the uncompressed length, then literal and copy elements) writing into the caller's buffer.
/// IronSnappy, used for decoding, only compresses into a new exact-size array per call; for
/// megabyte pages those large-object allocations (and the kernel zeroing their fresh pages) cost
/// about as much CPU as the compression itself. Matching is the usual greedy scheme: the input
/// is cut into 64 KiB blocks (so every offset fits two bytes), 4-byte sequences are hashed into a
/// table of recent positions, a hit that really matches is extended and emitted as copies, and
/// the step between probes grows while nothing matches, so incompressible data passes quickly.
/// </summary>
internal static class SnappyEncoder
{
    private const int BlockSize = 1 << 16;
    private const int HashBits = 14;

    /// <summary>The format's bound on the compressed size of <paramref name="length"/> bytes.</summary>
    public static int MaxCompressedLength(int length) => checked(32 + length + length / 6);

    /// <summary>Compresses <paramref name="source"/> into <paramref name="destination"/> (at least <see cref="MaxCompressedLength"/> bytes); returns the bytes written.</summary>
    public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int written = WriteVarint(destination, (uint)source.Length);
        Span<ushort> table = stackalloc ushort[1 << HashBits];
        for (int start = 0; start < source.Length; start += BlockSize)
        {
            table.Clear();
            written += CompressBlock(source.Slice(start, Math.Min(BlockSize, source.Length - start)), destination[written..], table);
        }
        return written;
    }

    private static int CompressBlock(ReadOnlySpan<byte> block, Span<byte> output, Span<ushort> table)
    {
        int n = block.Length;
        int o = 0;
        int nextEmit = 0;
        // Positions up to n - 4 can be read as 4-byte words; shorter blocks are one literal.
        int limit = n - 4;
        int ip = 1;
        while (ip <= limit)
        {
            // Probe for a 4-byte match, stepping further the longer nothing matches.
            int skip = 32;
            int candidate;
            uint current;
            while (true)
            {
                current = Load(block, ip);
                int hash = Hash(current);
                candidate = table[hash];
                table[hash] = (ushort)ip;
                if (Load(block, candidate) == current && candidate < ip)
                {
                    break;
                }
                ip += skip >> 5;
                skip++;
                if (ip > limit)
                {
                    return o + EmitLiteral(block[nextEmit..], output[o..]);
                }
            }
            o += EmitLiteral(block[nextEmit..ip], output[o..]);
            // Emit the match, and further matches that start right behind it.
            do
            {
                int length = 4 + block[(candidate + 4)..].CommonPrefixLength(block[(ip + 4)..]);
                o += EmitCopy(ip - candidate, length, output[o..]);
                ip += length;
                nextEmit = ip;
                if (ip > limit)
                {
                    return o + EmitLiteral(block[nextEmit..], output[o..]);
                }
                table[Hash(Load(block, ip - 1))] = (ushort)(ip - 1);
                current = Load(block, ip);
                int hash = Hash(current);
                candidate = table[hash];
                table[hash] = (ushort)ip;
            }
            while (Load(block, candidate) == current && candidate < ip);
            ip++;
        }
        return o + EmitLiteral(block[nextEmit..], output[o..]);
    }

    private static uint Load(ReadOnlySpan<byte> block, int position) => BinaryPrimitives.ReadUInt32LittleEndian(block[position..]);

    private static int Hash(uint value) => (int)((value * 0x1E35A7BDu) >> (32 - HashBits));

    /// <summary>A literal element: tag (length - 1 in the tag up to 60, else in 1–2 following bytes), then the bytes.</summary>
    private static int EmitLiteral(ReadOnlySpan<byte> literal, Span<byte> output)
    {
        if (literal.IsEmpty)
        {
            return 0;
        }
        int n = literal.Length - 1;
        int o;
        if (n < 60)
        {
            output[0] = (byte)(n << 2);
            o = 1;
        }
        else if (n < 1 << 8)
        {
            output[0] = 60 << 2;
            output[1] = (byte)n;
            o = 2;
        }
        else
        {
            // Blocks are at most 64 KiB, so two bytes always hold the length.
            output[0] = 61 << 2;
            BinaryPrimitives.WriteUInt16LittleEndian(output[1..], (ushort)n);
            o = 3;
        }
        literal.CopyTo(output[o..]);
        return o + literal.Length;
    }

    /// <summary>Copy elements for a match: 2-byte-offset copies of up to 64 bytes, a 1-byte-offset copy for a short, near tail.</summary>
    private static int EmitCopy(int offset, int length, Span<byte> output)
    {
        int o = 0;
        // Pieces of 64 while at least 68 remain (so the rest is never under 4), then one of 60 if needed.
        while (length >= 68)
        {
            o += EmitCopy2(offset, 64, output[o..]);
            length -= 64;
        }
        if (length > 64)
        {
            o += EmitCopy2(offset, 60, output[o..]);
            length -= 60;
        }
        if (length >= 12 || offset >= 2048)
        {
            return o + EmitCopy2(offset, length, output[o..]);
        }
        output[o] = (byte)(((offset >> 8) << 5) | ((length - 4) << 2) | 1);
        output[o + 1] = (byte)offset;
        return o + 2;
    }

    private static int EmitCopy2(int offset, int length, Span<byte> output)
    {
        output[0] = (byte)(((length - 1) << 2) | 2);
        BinaryPrimitives.WriteUInt16LittleEndian(output[1..], (ushort)offset);
        return 3;
    }

    private static int WriteVarint(Span<byte> output, uint value)
    {
        int o = 0;
        while (value >= 0x80)
        {
            output[o++] = (byte)(value | 0x80);
            value >>= 7;
        }
        output[o++] = (byte)value;
        return o;
    }
}
