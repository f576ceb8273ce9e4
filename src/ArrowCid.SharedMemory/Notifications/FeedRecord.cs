using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.SharedMemory.Notifications;

/// <summary>
/// The fixed 256-byte record of <c>feed.log</c> (little-endian): 0 sequence; 8 bytes; 16 rows;
/// 24 publish time (µs since the Unix epoch); 32 publish monotonic timestamp; 40 CID length
/// (one byte) and 41..104 the binary CID; 104 tags length (uint16) and 106..250 the tags as
/// UTF-8 <c>key=value</c> lines sorted by key; 252 a CRC-32C of bytes 0..252. Fixed
/// size makes record n sit at (n-1)*256, so readers seek, never scan; the checksum and the
/// sequence field catch a torn or foreign record.
/// </summary>
internal static class FeedRecord
{
    public const int Size = 256;
    public const int MaxTagBytes = 144;
    private const int MaxCidBytes = 63;
    private const int ChecksumOffset = 252;
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);
    private static readonly IReadOnlyDictionary<string, string> NoTags =
        new System.Collections.ObjectModel.ReadOnlyDictionary<string, string>(new Dictionary<string, string>(StringComparer.Ordinal));

    // The last tags this thread decoded, as bytes and as the read-only dictionary made of them: a
    // subscriber reads notice after notice with the same tags (a topic), and decoding them again
    // (a string, a split, a dictionary per notice) is on the path from the publisher's wake-up to
    // the notice in hand. Per thread, so no lock; the dictionary is read-only, so notices share it.
    [ThreadStatic]
    private static byte[]? t_lastTagBytes;
    [ThreadStatic]
    private static IReadOnlyDictionary<string, string>? t_lastTags;

    /// <summary>The tags' encoding; throws when they do not fit a record or cannot be parsed back.</summary>
    public static byte[] EncodeTags(IReadOnlyDictionary<string, string>? tags)
    {
        if (tags is null || tags.Count == 0)
        {
            return [];
        }

        // Written as UTF-8 straight into the one array returned, sorted by key (ordinal), without
        // a string builder or LINQ: this runs on every publish, and a publish is a few µs.
        var sorted = new KeyValuePair<string, string>[tags.Count];
        if (tags is ICollection<KeyValuePair<string, string>> collection)
        {
            // A dictionary copies itself out; enumerated through the interface, it would box its enumerator.
            collection.CopyTo(sorted, 0);
        }
        else
        {
            int n = 0;
            foreach (var tag in tags)
            {
                sorted[n++] = tag;
            }
        }

        int length = 0;
        foreach (var (key, value) in sorted)
        {
            if (key.Length == 0 || key.Contains('=', StringComparison.Ordinal) || key.Contains('\n', StringComparison.Ordinal) || value.Contains('\n', StringComparison.Ordinal))
            {
                throw new ArgumentException($"tag '{key}': keys must be non-empty without '=' or newlines, values without newlines", nameof(tags));
            }

            length += Encoding.UTF8.GetByteCount(key) + 1 + Encoding.UTF8.GetByteCount(value) + 1;
        }

        if (length > MaxTagBytes)
        {
            throw new ArgumentException($"tags take {length} bytes; a notification carries at most {MaxTagBytes}", nameof(tags));
        }

        if (sorted.Length > 1)
        {
            Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        }

        byte[] bytes = new byte[length];
        int at = 0;
        foreach (var (key, value) in sorted)
        {
            at += Encoding.UTF8.GetBytes(key, bytes.AsSpan(at));
            bytes[at++] = (byte)'=';
            at += Encoding.UTF8.GetBytes(value, bytes.AsSpan(at));
            bytes[at++] = (byte)'\n';
        }

        return bytes;
    }

    public static void Write(Span<byte> record, long sequence, long bytes, long rows, long publishedMicros, long timestamp, Cid cid, ReadOnlySpan<byte> tags)
    {
        record[..Size].Clear();
        BinaryPrimitives.WriteInt64LittleEndian(record, sequence);
        BinaryPrimitives.WriteInt64LittleEndian(record[8..], bytes);
        BinaryPrimitives.WriteInt64LittleEndian(record[16..], rows);
        BinaryPrimitives.WriteInt64LittleEndian(record[24..], publishedMicros);
        BinaryPrimitives.WriteInt64LittleEndian(record[32..], timestamp);
        if (cid.EncodedLength > MaxCidBytes)
        {
            throw new ArgumentException($"a CID of {cid.EncodedLength} bytes does not fit a feed record", nameof(cid));
        }

        record[40] = (byte)cid.WriteTo(record.Slice(41, MaxCidBytes));
        BinaryPrimitives.WriteUInt16LittleEndian(record[104..], (ushort)tags.Length);
        tags.CopyTo(record[106..]);
        BinaryPrimitives.WriteUInt32LittleEndian(record[ChecksumOffset..], Checksum(record[..ChecksumOffset]));
    }

    /// <summary>Decodes record <paramref name="expectedSequence"/>; anything inconsistent is a typed error.</summary>
    public static ShmNotice Read(ReadOnlySpan<byte> record, long expectedSequence)
    {
        if (record.Length < Size || !ChecksumMatches(record))
        {
            throw new ShmFeedCorruptedException($"feed record {expectedSequence}: bad checksum or short record");
        }

        long sequence = BinaryPrimitives.ReadInt64LittleEndian(record);
        long bytes = BinaryPrimitives.ReadInt64LittleEndian(record[8..]);
        long rows = BinaryPrimitives.ReadInt64LittleEndian(record[16..]);
        long micros = BinaryPrimitives.ReadInt64LittleEndian(record[24..]);
        long timestamp = BinaryPrimitives.ReadInt64LittleEndian(record[32..]);
        int cidLength = record[40];
        int tagLength = BinaryPrimitives.ReadUInt16LittleEndian(record[104..]);
        if (sequence != expectedSequence || bytes < 0 || rows < 0 || cidLength is 0 or > MaxCidBytes || tagLength > MaxTagBytes
            || micros is < 0 or > 253402300799999999)
        {
            throw new ShmFeedCorruptedException($"feed record {expectedSequence}: inconsistent fields (sequence {sequence})");
        }

        Cid cid;
        IReadOnlyDictionary<string, string> tags;
        try
        {
            cid = Cid.FromBytes(record.Slice(41, cidLength));
            tags = CachedTags(record.Slice(106, tagLength));
        }
        catch (Exception e) when (e is FormatException or ArgumentException or DecoderFallbackException)
        {
            throw new ShmFeedCorruptedException($"feed record {expectedSequence}: {e.Message}", e);
        }

        return new ShmNotice(sequence, cid, bytes, rows, tags, DateTimeOffset.UnixEpoch.AddTicks(micros * 10), timestamp);
    }

    private static IReadOnlyDictionary<string, string> CachedTags(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return NoTags;
        }

        if (t_lastTags is { } last && bytes.SequenceEqual(t_lastTagBytes))
        {
            return last;
        }

        var tags = new System.Collections.ObjectModel.ReadOnlyDictionary<string, string>(DecodeTags(bytes));
        t_lastTagBytes = bytes.ToArray();
        t_lastTags = tags;
        return tags;
    }

    private static Dictionary<string, string> DecodeTags(ReadOnlySpan<byte> bytes)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        string text = StrictUtf8.GetString(bytes);
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException($"tag line '{line}' has no key");
            }

            tags[line[..equals]] = line[(equals + 1)..];
        }

        return tags;
    }

    // CRC-32C with the processor's CRC32 instruction, eight bytes per step: the byte-at-a-time
    // FNV-1a it replaced cost about 0.3 µs per record on each side of a round trip.
    private static uint Checksum(ReadOnlySpan<byte> bytes)
    {
        uint crc = uint.MaxValue;
        int i = 0;
        for (; i + sizeof(ulong) <= bytes.Length; i += sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(bytes[i..]));
        }

        for (; i < bytes.Length; i++)
        {
            crc = BitOperations.Crc32C(crc, bytes[i]);
        }

        return ~crc;
    }

    // Records written by a publisher from before the CRC (the feed of a store it still has open)
    // carry FNV-1a; they are checked with it only when the CRC does not match.
    private static bool ChecksumMatches(ReadOnlySpan<byte> record)
    {
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(record[ChecksumOffset..]);
        var covered = record[..ChecksumOffset];
        return stored == Checksum(covered) || stored == LegacyChecksum(covered);
    }

    private static uint LegacyChecksum(ReadOnlySpan<byte> bytes)
    {
        uint hash = 2166136261;
        foreach (byte b in bytes)
        {
            hash = (hash ^ b) * 16777619;
        }

        return hash;
    }
}
