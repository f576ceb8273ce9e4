using System.Buffers.Binary;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Car;

/// <summary>
/// The CARv2 MultihashIndexSorted index (multicodec 0x0401): varint(0x0401), int32 count of hash
/// functions, then per function in ascending code order: uint64 code, int32 bucket count, and per
/// bucket in ascending width: uint32 width (digest length + 8), uint64 byte length of the entries,
/// then entries sorted by digest, each the digest followed by a uint64 offset of the block's
/// section within the CARv1 payload. All integers little-endian. Identity hashes are not indexed.
/// </summary>
public sealed class CarMultihashIndex
{
    private readonly SortedDictionary<ulong, SortedDictionary<int, byte[]>> _buckets;

    private CarMultihashIndex(SortedDictionary<ulong, SortedDictionary<int, byte[]>> buckets, int count)
    {
        _buckets = buckets;
        Count = count;
    }

    /// <summary>Number of indexed blocks.</summary>
    public int Count { get; }

    /// <summary>Builds an index of sections (identity hashes are skipped).</summary>
    /// <param name="entries">Each block's multihash and its section offset in the payload.</param>
    /// <returns>The index.</returns>
    public static CarMultihashIndex Build(IEnumerable<(Multihash Hash, ulong Offset)> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var buckets = new SortedDictionary<ulong, SortedDictionary<int, byte[]>>();
        int count = 0;
        foreach (var group in entries.Where(e => e.Hash.Code != Multicodec.Identity).GroupBy(e => (e.Hash.Code, e.Hash.Digest.Length)))
        {
            int width = group.Key.Length + 8;
            var sorted = group.OrderBy(e => e.Hash.DigestMemory.ToArray(), ByteArrayComparer.Instance).ToArray();
            var data = new byte[sorted.Length * width];
            for (int i = 0; i < sorted.Length; i++)
            {
                var slot = data.AsSpan(i * width, width);
                sorted[i].Hash.Digest.CopyTo(slot);
                BinaryPrimitives.WriteUInt64LittleEndian(slot[group.Key.Length..], sorted[i].Offset);
            }

            if (!buckets.TryGetValue(group.Key.Code, out var byWidth))
            {
                buckets[group.Key.Code] = byWidth = new SortedDictionary<int, byte[]>();
            }

            byWidth[width] = data;
            count += sorted.Length;
        }

        return new CarMultihashIndex(buckets, count);
    }

    /// <summary>The serialized index, starting with its multicodec varint.</summary>
    /// <returns>The index bytes.</returns>
    public byte[] ToBytes()
    {
        using var output = new MemoryStream();
        Span<byte> scratch = stackalloc byte[Varint.MaxLength];
        output.Write(scratch[..Varint.Write(Multicodec.CarMultihashIndexSorted, scratch)]);
        WriteInt32(output, _buckets.Count);
        foreach (var (code, byWidth) in _buckets)
        {
            WriteUInt64(output, code);
            WriteInt32(output, byWidth.Count);
            foreach (var (width, data) in byWidth)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(scratch, (uint)width);
                output.Write(scratch[..4]);
                WriteUInt64(output, (ulong)data.Length);
                output.Write(data);
            }
        }

        return output.ToArray();
    }

    /// <summary>Finds the section offset of the block with <paramref name="hash"/>.</summary>
    /// <param name="hash">The multihash sought.</param>
    /// <param name="offset">The section offset within the payload.</param>
    /// <returns>Whether the hash is indexed.</returns>
    public bool TryFind(Multihash hash, out ulong offset)
    {
        offset = 0;
        int width = hash.Digest.Length + 8;
        if (!_buckets.TryGetValue(hash.Code, out var byWidth) || !byWidth.TryGetValue(width, out var data))
        {
            return false;
        }

        int low = 0;
        int high = data.Length / width - 1;
        while (low <= high)
        {
            int mid = low + ((high - low) / 2);
            var slot = data.AsSpan(mid * width, width);
            int order = slot[..^8].SequenceCompareTo(hash.Digest);
            if (order == 0)
            {
                offset = BinaryPrimitives.ReadUInt64LittleEndian(slot[^8..]);
                return true;
            }

            if (order < 0)
            {
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return false;
    }

    /// <summary>Parses a serialized index and checks every offset lies inside the payload.</summary>
    /// <param name="index">The index bytes, from its multicodec varint to the end of the file.</param>
    /// <param name="dataSize">Size of the CARv1 payload the offsets point into.</param>
    /// <param name="baseOffset">File offset of the index, for error messages.</param>
    /// <returns>The index.</returns>
    /// <exception cref="ContentFormatException">Malformed index.</exception>
    public static CarMultihashIndex Parse(ReadOnlySpan<byte> index, ulong dataSize, long baseOffset = 0)
    {
        ulong format = Varint.Read(index, out int position, baseOffset);
        if (format != Multicodec.CarMultihashIndexSorted)
        {
            throw new ContentFormatException($"CARv2 index format {Multicodec.NameOf(format)} is not supported (expected car-multihash-index-sorted 0x0401)", baseOffset);
        }

        var buckets = new SortedDictionary<ulong, SortedDictionary<int, byte[]>>();
        int count = 0;
        int codes = ReadCount(index, ref position, baseOffset, "hash function count");
        ulong? previousCode = null;
        for (int c = 0; c < codes; c++)
        {
            long codeAt = baseOffset + position;
            ulong code = ReadUInt64(index, ref position, baseOffset);
            if (previousCode >= code)
            {
                throw new ContentFormatException("CARv2 index hash functions are not in ascending order", codeAt);
            }

            previousCode = code;
            var byWidth = new SortedDictionary<int, byte[]>();
            buckets[code] = byWidth;
            int bucketCount = ReadCount(index, ref position, baseOffset, "bucket count");
            int previousWidth = 0;
            for (int b = 0; b < bucketCount; b++)
            {
                long bucketAt = baseOffset + position;
                uint width = ReadUInt32(index, ref position, baseOffset);
                ulong length = ReadUInt64(index, ref position, baseOffset);
                if (width <= 8 || width > Multihash.MaxIdentityDigestLength + 8 || width <= previousWidth)
                {
                    throw new ContentFormatException($"CARv2 index bucket width {width} is invalid or out of order", bucketAt);
                }

                // Lookups must end in a verifiable block, so the digest length must suit a supported function.
                bool supported = code == Multicodec.Sha2256 ? width - 8 == Multihash.Sha256DigestLength : code == Multicodec.Identity;
                if (!supported)
                {
                    throw new ContentFormatException($"CARv2 index bucket of {width - 8}-byte {Multicodec.NameOf(code)} digests is not supported", bucketAt);
                }

                if (length % width != 0 || length > (ulong)(index.Length - position))
                {
                    throw new ContentFormatException($"CARv2 index bucket of {length} bytes does not hold whole {width}-byte entries within the index", bucketAt);
                }

                var data = index.Slice(position, (int)length).ToArray();
                CheckEntries(data, (int)width, dataSize, baseOffset + position);
                position += (int)length;
                previousWidth = (int)width;
                byWidth[(int)width] = data;
                count += data.Length / (int)width;
            }
        }

        if (position != index.Length)
        {
            throw new ContentFormatException($"{index.Length - position} unexpected bytes after the CARv2 index", baseOffset + position);
        }

        return new CarMultihashIndex(buckets, count);
    }

    private static void CheckEntries(byte[] data, int width, ulong dataSize, long at)
    {
        for (int offset = 0; offset < data.Length; offset += width)
        {
            var slot = data.AsSpan(offset, width);
            if (BinaryPrimitives.ReadUInt64LittleEndian(slot[^8..]) >= dataSize)
            {
                throw new ContentFormatException("CARv2 index entry points outside the data payload", at + offset + width - 8);
            }

            if (offset > 0 && data.AsSpan(offset - width, width - 8).SequenceCompareTo(slot[..^8]) > 0)
            {
                throw new ContentFormatException("CARv2 index entries are not sorted by digest", at + offset);
            }
        }
    }

    private static int ReadCount(ReadOnlySpan<byte> index, ref int position, long baseOffset, string what)
    {
        long at = baseOffset + position;
        uint value = ReadUInt32(index, ref position, baseOffset);
        if (value > (uint)(index.Length - position))
        {
            throw new ContentFormatException($"CARv2 index {what} {value} exceeds what the index can hold", at);
        }

        return (int)value;
    }

    private static uint ReadUInt32(ReadOnlySpan<byte> index, ref int position, long baseOffset)
    {
        if (index.Length - position < 4)
        {
            throw new ContentFormatException("CARv2 index truncated", baseOffset + position);
        }

        uint value = BinaryPrimitives.ReadUInt32LittleEndian(index[position..]);
        position += 4;
        return value;
    }

    private static ulong ReadUInt64(ReadOnlySpan<byte> index, ref int position, long baseOffset)
    {
        if (index.Length - position < 8)
        {
            throw new ContentFormatException("CARv2 index truncated", baseOffset + position);
        }

        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(index[position..]);
        position += 8;
        return value;
    }

    private static void WriteInt32(Stream output, int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        output.Write(bytes);
    }

    private static void WriteUInt64(Stream output, ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        output.Write(bytes);
    }

    private sealed class ByteArrayComparer : IComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
