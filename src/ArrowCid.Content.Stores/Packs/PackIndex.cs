using System.Buffers;
using System.Buffers.Binary;
using ArrowCid.Arrow.IO;
using ArrowCid.Arrow.Memory;
using ArrowCid.Content.Multiformats;
using Microsoft.Win32.SafeHandles;

namespace ArrowCid.Content.Stores.Packs;

/// <summary>
/// The persisted index of a pack's records up to a seal (docs/repository.md, "Pack files", "Index"),
/// <c>&lt;id&gt;.idx</c> beside the pack: opening a repository reads its header alone, so it costs
/// the same at ten blocks and ten million, and a lookup is a bloom filter probe and a search of a
/// sorted table, as git's <c>.idx</c> with its fanout. The bloom filter is read through a mapping
/// of its own; a lookup reads its entries with pread (<see cref="Find"/>), and so does the merge of
/// every index's keys (<see cref="KeyCursor"/>), so that a walk looking up every block (verify, a
/// listing) keeps no index pages in the process's memory; a pass over one index's entries (a
/// rebuild, a walk in file order) reads the whole file's mapping and releases it when done.
/// <para>
/// Layout, little-endian: a 128-byte header (magic <c>ACPKIDX2</c>; the pack length covered; the
/// counts of blocks, tombstones and log entries; the block bloom filter's 64-byte blocks; the CID
/// blob's length; the tombstone bloom filter's 64-byte blocks; the count of tombstone targets; the
/// offset of the last log entry plus one (0 when there is none, or in an index written before the
/// field: the entry is then read); a SHA-256 of the header's first 64 bytes and the fanout; a
/// SHA-256 of everything after the fanout); the fanout (256 u32: how many keys have a first byte
/// at most i); the blocks, 32 bytes each and sorted by key (key u128, record offset i64, body
/// offset − record offset u32, length i32); the tombstones, 32 bytes each and sorted by what they remove (target pack u64, target
/// record offset i64, record offset i64, record length u32, offset of its CID in the blob u32);
/// the tombstone targets, 16 bytes each and sorted (a target pack u64, its first tombstone u32,
/// their count u32); the log entries, 24 bytes each (offset i64, body offset i64, body length i32,
/// 0); the CID blob (a length byte, then the CID); the tombstone bloom filter, then the block bloom
/// filter (blocked: 6 bits of each key set in one 64-byte block).
/// </para>
/// <para>
/// Tombstones are looked up where they lie, never loaded: a copy found is live unless some index's
/// tombstone bloom filter admits its (pack, offset) and that index's table of the pack's
/// tombstones holds it (<see cref="IsTombstoned"/>), so an open costs the same however many blocks
/// were deleted, and a walk gathers one pack's tombstones at a time (<see cref="AddTombstonedOffsets"/>).
/// </para>
/// <para>
/// A key is the first 16 bytes of SHA-256 of the binary CID, so keys spread evenly whatever the
/// CIDs, and two CIDs share one with odds of 2^-128: a lookup takes the key for the CID and does
/// not read the pack to compare (a read of the block hashes it against its CID all the same), so
/// a lookup touches no page of the pack. The header's check is read at every open (a torn or foreign file is not used, and the
/// pack is scanned instead); the body's by <see cref="IsBodyIntact"/>, which verify runs. The file
/// is written beside its name, synced and renamed over it, so a crash leaves the old index, the new
/// one or none, never a torn one: an index is only ever a cache of its pack.
/// </para>
/// </summary>
internal sealed class PackIndex : IDisposable
{
    /// <summary>An index file's extension.</summary>
    public const string Extension = ".idx";

    // Version 2 sorts tombstones by target and adds their directory and bloom filter; a version 1
    // index does not open, so its pack is scanned once and indexed again.
    private const ulong Magic = 0x3258444B4B504341; // "ACPKIDX2"
    private const int HeaderLength = 128;
    private const int FanoutLength = 256 * 4;
    private const int EntriesOffset = HeaderLength + FanoutLength;
    private const int BlockEntryLength = 32;
    private const int TombstoneEntryLength = 32;
    private const int TargetEntryLength = 16;
    private const int LogEntryLength = 24;
    private const int BloomBlockLength = 64;
    private const int BloomBitsPerKey = 10;
    private const int BloomProbes = 6;

    // Entries read by a lookup at a time: 4 KiB, around where the key's bits place it.
    private const int WindowEntries = 128;

    private readonly MappedFileMemory _mapped;

    // The bloom filters alone (the file's end: tombstones', then blocks'), mapped apart from the rest.
    private readonly MappedFileMemory _bloom;

    // The file, opened again for lookups' preads when first needed (IndexFile); it goes with the mapping.
    private readonly string _path;
    private readonly IndexFile _file;

    // The fanout, copied at open (its check read it): how many keys have a first byte at most i.
    private readonly uint[] _fanout;

    // The mapping and file stay while anyone holds them (Hold): an enumeration outlives a compaction that drops the pack.
    private readonly SharedLease _lease;
    private readonly int _tombstonesOffset;
    private readonly int _targetsOffset;
    private readonly int _targetCount;
    private readonly int _logOffset;
    private readonly int _blobOffset;
    private readonly int _bloomBlocks;
    private readonly int _tombstoneBloomBlocks;

    // The header's offset of the last log entry plus one (0: none, or not recorded).
    private readonly long _lastLogEntryEnd;

    // The tombstone targets, read on first use (a pack id and its range of tombstones, a few per
    // index): an open reads none of them.
    private (ulong Pack, int First, int Count)[]? _targets;

    private PackIndex(string path, byte[] header, MappedFileMemory mapped, MappedFileMemory bloom, uint[] fanout, Counts counts)
    {
        _path = path;
        _file = new IndexFile(path, header, mapped.Length);
        _mapped = mapped;
        _bloom = bloom;
        _fanout = fanout;
        _lease = new SharedLease(new Resources(mapped, bloom, _file));
        PackLength = counts.PackLength;
        BlockCount = counts.Blocks;
        TombstoneCount = counts.Tombstones;
        LogEntryCount = counts.LogEntries;
        _lastLogEntryEnd = counts.LastLogEntryEnd;
        _tombstonesOffset = EntriesOffset + (counts.Blocks * BlockEntryLength);
        _targetsOffset = _tombstonesOffset + (counts.Tombstones * TombstoneEntryLength);
        _targetCount = counts.Targets;
        _logOffset = _targetsOffset + (counts.Targets * TargetEntryLength);
        _blobOffset = _logOffset + (counts.LogEntries * LogEntryLength);
        _bloomBlocks = counts.BloomBlocks;
        _tombstoneBloomBlocks = counts.TombstoneBloomBlocks;
    }

    // What the header says the file holds.
    private readonly record struct Counts(long PackLength, int Blocks, int Tombstones, int Targets, int LogEntries, int BlobLength, int BloomBlocks, int TombstoneBloomBlocks, long LastLogEntryEnd)
    {
        public long BloomLength => ((long)BloomBlocks + TombstoneBloomBlocks) * BloomBlockLength;

        // The file's length: the header and fanout, then each section in turn.
        public long FileLength =>
            EntriesOffset + ((long)Blocks * BlockEntryLength) + ((long)Tombstones * TombstoneEntryLength) + ((long)Targets * TargetEntryLength)
            + ((long)LogEntries * LogEntryLength) + BlobLength + BloomLength;
    }

    /// <summary>The pack's length the index covers: every record before it, ending with a seal.</summary>
    public long PackLength { get; }

    /// <summary>Block records.</summary>
    public int BlockCount { get; }

    /// <summary>Tombstone records.</summary>
    public int TombstoneCount { get; }

    /// <summary>Log entry records.</summary>
    public int LogEntryCount { get; }

    private ReadOnlySpan<byte> File => _mapped.GetSpan();

    /// <summary>The index of a pack, mapped; null when there is none or its header does not check (the pack is then scanned).</summary>
    /// <param name="path">The index file.</param>
    /// <param name="packFileLength">The pack file's length now: an index claiming more than it is stale.</param>
    public static PackIndex? TryOpen(string path, long packFileLength)
    {
        // The header and fanout are read with one pread and the file mapped with one mmap, its
        // pages untouched: an open goes through hundreds of indexes and uses none of them yet. The
        // file is closed once mapped (IndexFile opens it again for a lookup): a process holding a
        // descriptor for each of hundreds of indexes grows its descriptor table, and each growth of
        // a multi-threaded process's table waits for an RCU grace period (10-15 ms here, three of
        // them past 64 and 128 and 256 descriptors: a CLI get on 313 packs spent a fifth of its
        // time there; docs/performance.md, "Scale").
        try
        {
            using var handle = System.IO.File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long length = RandomAccess.GetLength(handle);
            Span<byte> head = stackalloc byte[EntriesOffset];
            if (length < EntriesOffset || RandomAccess.Read(handle, head, 0) != head.Length || Parse(head, length, packFileLength) is not { } parsed)
            {
                return null;
            }

            // The bloom filters, probed at random by every lookup, get a mapping of their own: a page
            // fault maps up to 64 KiB around it (the kernel's fault-around), and within the whole
            // file's mapping that would take the neighbouring entries' pages along.
            var (counts, fanout) = parsed;
            byte[] header = head[..HeaderLength].ToArray();
            var mapped = MappedFileMemory.Map(handle, 0, length, path);
            MappedFileMemory bloom;
            try
            {
                bloom = MappedFileMemory.Map(handle, length - counts.BloomLength, counts.BloomLength, path);
            }
            catch
            {
                ((IDisposable)mapped).Dispose();
                throw;
            }

            return new PackIndex(path, header, mapped, bloom, fanout, counts);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException or ArrowCid.Arrow.ArrowFormatException)
        {
            return null;
        }
    }

    // The header and fanout checked against themselves and the file's length.
    private static (Counts Counts, uint[] Fanout)? Parse(ReadOnlySpan<byte> head, long fileLength, long packFileLength)
    {
        if (BinaryPrimitives.ReadUInt64LittleEndian(head) != Magic)
        {
            return null;
        }

        Span<byte> check = stackalloc byte[32];
        HeadCheck(head, check);
        if (!check.SequenceEqual(head.Slice(64, 32)))
        {
            return null;
        }

        long packLength = BinaryPrimitives.ReadInt64LittleEndian(head[8..]);
        int blocks = BinaryPrimitives.ReadInt32LittleEndian(head[16..]);
        int tombstones = BinaryPrimitives.ReadInt32LittleEndian(head[20..]);
        int logEntries = BinaryPrimitives.ReadInt32LittleEndian(head[24..]);
        int bloomBlocks = BinaryPrimitives.ReadInt32LittleEndian(head[28..]);
        int blobLength = BinaryPrimitives.ReadInt32LittleEndian(head[32..]);
        int tombstoneBloomBlocks = BinaryPrimitives.ReadInt32LittleEndian(head[36..]);
        int targets = BinaryPrimitives.ReadInt32LittleEndian(head[40..]);
        long lastLogEntryEnd = BinaryPrimitives.ReadInt64LittleEndian(head[44..]);
        var counts = new Counts(packLength, blocks, tombstones, targets, logEntries, blobLength, bloomBlocks, tombstoneBloomBlocks, lastLogEntryEnd);
        if (packLength <= 0 || packLength > packFileLength || blocks < 0 || tombstones < 0 || logEntries < 0 || blobLength < 0
            || bloomBlocks < (blocks > 0 ? 1 : 0) || tombstoneBloomBlocks < (tombstones > 0 ? 1 : 0) || targets < 0 || targets > tombstones
            || (tombstones > 0 && targets == 0) || counts.FileLength != fileLength
            || lastLogEntryEnd < 0 || lastLogEntryEnd > packLength || (logEntries == 0 && lastLogEntryEnd != 0)
            || BinaryPrimitives.ReadUInt32LittleEndian(head[(EntriesOffset - 4)..]) != (uint)blocks)
        {
            return null;
        }

        var fanout = new uint[256];
        for (int i = 0; i < fanout.Length; i++)
        {
            fanout[i] = BinaryPrimitives.ReadUInt32LittleEndian(head[(HeaderLength + (i * 4))..]);
            if (fanout[i] > (uint)blocks || (i > 0 && fanout[i] < fanout[i - 1]))
            {
                return null;
            }
        }

        return (counts, fanout);
    }

    /// <summary>Whether the index may hold <paramref name="key"/> (false: it surely does not).</summary>
    public bool MayContain(UInt128 key)
    {
        if (BlockCount == 0)
        {
            return false;
        }

        return BloomAdmits(_bloom.GetSpan()[(_tombstoneBloomBlocks * BloomBlockLength)..], _bloomBlocks, key);
    }

    // Whether a blocked bloom filter of this many blocks has every bit of the key set.
    private static bool BloomAdmits(ReadOnlySpan<byte> filter, int blocks, UInt128 key)
    {
        var block = filter.Slice(BloomBlockOf(key, blocks) * BloomBlockLength, BloomBlockLength);
        ulong bits = BloomBits(key);
        for (int i = 0; i < BloomProbes; i++)
        {
            int bit = BloomBit(bits, i);
            if ((block[bit >> 3] & (1 << (bit & 7))) == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Whether a tombstone here removes the record at <paramref name="recordOffset"/> of pack
    /// <paramref name="pack"/>: the tombstone bloom filter first (mapped), then the pack's range of
    /// the sorted tombstones, searched with pread.
    /// </summary>
    public bool IsTombstoned(ulong pack, long recordOffset)
    {
        if (TombstoneCount == 0 || !BloomAdmits(_bloom.GetSpan(), _tombstoneBloomBlocks, TargetKey(pack, recordOffset)) || TargetRange(pack) is not { } range)
        {
            return false;
        }

        // Binary search by single entries down to a window, then one read of the window. The first
        // entry whose target is not below the one sought lies in [low, high], both ends included.
        Span<byte> entry = stackalloc byte[16];
        int end = range.First + range.Count;
        int low = range.First;
        int high = end;
        while (high - low >= WindowEntries)
        {
            int middle = (low + high) >>> 1;
            Read(_tombstonesOffset + ((long)middle * TombstoneEntryLength), entry);
            if (BinaryPrimitives.ReadInt64LittleEndian(entry[8..]) < recordOffset)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        Span<byte> window = stackalloc byte[WindowEntries * TombstoneEntryLength];
        window = window[..((Math.Min(high + 1, end) - low) * TombstoneEntryLength)];
        Read(_tombstonesOffset + ((long)low * TombstoneEntryLength), window);
        for (int at = 0; at < window.Length; at += TombstoneEntryLength)
        {
            if (BinaryPrimitives.ReadInt64LittleEndian(window[(at + 8)..]) == recordOffset)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Adds the record offsets of pack <paramref name="pack"/> that tombstones here remove (a walk or compaction of that pack, one pack's worth at a time).</summary>
    public void AddTombstonedOffsets(ulong pack, HashSet<long> offsets)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        if (TombstoneCount == 0 || TargetRange(pack) is not { } range)
        {
            return;
        }

        var (first, count) = range;
        Span<byte> window = stackalloc byte[WindowEntries * TombstoneEntryLength];
        for (int done = 0; done < count;)
        {
            int take = Math.Min(WindowEntries, count - done);
            var read = window[..(take * TombstoneEntryLength)];
            Read(_tombstonesOffset + ((long)(first + done) * TombstoneEntryLength), read);
            for (int at = 0; at < read.Length; at += TombstoneEntryLength)
            {
                offsets.Add(BinaryPrimitives.ReadInt64LittleEndian(read[(at + 8)..]));
            }

            done += take;
        }
    }

    // The tombstones that remove records of a pack: their first entry and count, or null for none.
    private (int First, int Count)? TargetRange(ulong pack)
    {
        var targets = Volatile.Read(ref _targets) ?? ReadTargets();
        int low = 0;
        int high = targets.Length;
        while (low < high)
        {
            int middle = (low + high) >>> 1;
            if (targets[middle].Pack < pack)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low < targets.Length && targets[low].Pack == pack ? (targets[low].First, targets[low].Count) : null;
    }

    // The tombstone targets, read once with pread and checked against the tombstone count.
    private (ulong Pack, int First, int Count)[] ReadTargets()
    {
        byte[] bytes = new byte[_targetCount * TargetEntryLength];
        Read(_targetsOffset, bytes);
        var targets = new (ulong Pack, int First, int Count)[_targetCount];
        int next = 0;
        for (int i = 0; i < targets.Length; i++)
        {
            var entry = bytes.AsSpan(i * TargetEntryLength, TargetEntryLength);
            targets[i] = (BinaryPrimitives.ReadUInt64LittleEndian(entry), (int)BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]), (int)BinaryPrimitives.ReadUInt32LittleEndian(entry[12..]));
            if (targets[i].First != next || targets[i].Count <= 0 || (i > 0 && targets[i].Pack <= targets[i - 1].Pack))
            {
                throw new IOException($"{_path}: its tombstone targets do not match its tombstones");
            }

            next += targets[i].Count;
        }

        if (next != TombstoneCount)
        {
            throw new IOException($"{_path}: its tombstone targets do not match its tombstones");
        }

        Volatile.Write(ref _targets, targets);
        return targets;
    }

    /// <summary>
    /// The blocks listed under <paramref name="key"/> in pack <paramref name="pack"/>, in record
    /// order (none, or one but for a block packed twice). Reads entries with pread: keys are
    /// uniform (SHA-256), so the key's next 64 bits place it within its first byte's range, and
    /// one read of the entries around that place finds it; a skewed range narrows read by read.
    /// </summary>
    public PackedBlock[] Find(UInt128 key, ulong pack)
    {
        int first = (int)(key >> 120);
        int low = first == 0 ? 0 : (int)_fanout[first - 1];
        int high = (int)_fanout[first];
        if (low >= high)
        {
            return [];
        }

        Span<byte> window = stackalloc byte[WindowEntries * BlockEntryLength];

        // The first entry whose key is not below the one sought lies in [lo, hi].
        int lo = low;
        int hi = high;
        int guess = low + (int)(((UInt128)(ulong)(key >> 56) * (ulong)(high - low)) >> 64);
        int start = Math.Clamp(guess - (WindowEntries / 2), low, Math.Max(low, high - WindowEntries));
        int count = Math.Min(WindowEntries, high - start);
        int found;
        while (true)
        {
            ReadEntries(start, window[..(count * BlockEntryLength)]);
            int at = LowerBound(window[..(count * BlockEntryLength)], key);
            if (at == 0 && start > lo)
            {
                hi = start;
            }
            else if (at == count && start + count < hi)
            {
                lo = start + count;
            }
            else
            {
                found = start + at;
                break;
            }

            if (lo == hi)
            {
                found = lo;
                break;
            }

            count = Math.Min(WindowEntries, hi - lo);
            start = lo + ((hi - lo - count) / 2);
        }

        List<PackedBlock>? blocks = null;
        for (int i = found; i < high; i++)
        {
            if (i < start || i >= start + count)
            {
                start = i;
                count = Math.Min(WindowEntries, high - i);
                ReadEntries(start, window[..(count * BlockEntryLength)]);
            }

            var entry = window.Slice((i - start) * BlockEntryLength, BlockEntryLength);
            if (BinaryPrimitives.ReadUInt128LittleEndian(entry) != key)
            {
                break;
            }

            (blocks ??= []).Add(ToBlock(pack, entry));
        }

        return blocks is null ? [] : [.. blocks];
    }

    /// <summary>Reads the block entries' keys in entry order, 4 KiB of entries at a time with pread: a merge of hundreds of indexes keeps that much of each, not its pages.</summary>
    public KeyCursor OpenKeyCursor() => new(this);

    /// <summary>The keys of an index's block entries, read forward a window at a time (<see cref="OpenKeyCursor"/>).</summary>
    public sealed class KeyCursor
    {
        private readonly PackIndex _index;
        private readonly byte[] _window = new byte[WindowEntries * BlockEntryLength];
        private int _start;
        private int _count;

        internal KeyCursor(PackIndex index) => _index = index;

        /// <summary>The key of block entry <paramref name="i"/> (cheap for the entries after the last one asked).</summary>
        public UInt128 KeyAt(int i)
        {
            if (i < _start || i >= _start + _count)
            {
                ArgumentOutOfRangeException.ThrowIfNegative(i);
                ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, _index.BlockCount);
                _start = i;
                _count = Math.Min(WindowEntries, _index.BlockCount - i);
                _index.ReadEntries(i, _window.AsSpan(0, _count * BlockEntryLength));
            }

            return BinaryPrimitives.ReadUInt128LittleEndian(_window.AsSpan((i - _start) * BlockEntryLength));
        }
    }

    // Entries [start, start + destination's length / 32) read with pread.
    private void ReadEntries(int start, Span<byte> destination) => Read(EntriesOffset + ((long)start * BlockEntryLength), destination);

    // Bytes of the file read with pread (from the mapping when the file is no longer the one
    // mapped); a short read means the file changed under us.
    private void Read(long offset, Span<byte> destination)
    {
        if (_file.Handle() is not { } handle)
        {
            File.Slice((int)offset, destination.Length).CopyTo(destination);
            return;
        }

        int read = PositionalRead.Fill(handle, destination, offset);
        if (read < destination.Length)
        {
            throw new IOException($"{_path}: ended at {offset + read}, inside its tables");
        }
    }

    // The first of the entries whose key is not below key (their count when none).
    private static int LowerBound(ReadOnlySpan<byte> entries, UInt128 key)
    {
        int low = 0;
        int high = entries.Length / BlockEntryLength;
        while (low < high)
        {
            int middle = (low + high) >>> 1;
            if (BinaryPrimitives.ReadUInt128LittleEndian(entries[(middle * BlockEntryLength)..]) < key)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    /// <summary>The key of block entry <paramref name="i"/>.</summary>
    public UInt128 KeyAt(int i) => BinaryPrimitives.ReadUInt128LittleEndian(File[(EntriesOffset + (i * BlockEntryLength))..]);

    /// <summary>Where block entry <paramref name="i"/> lies in pack <paramref name="pack"/>.</summary>
    public PackedBlock BlockAt(ulong pack, int i) => ToBlock(pack, File.Slice(EntriesOffset + (i * BlockEntryLength), BlockEntryLength));

    // A block entry's place: key u128, record offset i64, body offset − record offset u32, length i32.
    private static PackedBlock ToBlock(ulong pack, ReadOnlySpan<byte> entry)
    {
        long record = BinaryPrimitives.ReadInt64LittleEndian(entry[16..]);
        return new PackedBlock(pack, record, record + BinaryPrimitives.ReadUInt32LittleEndian(entry[24..]), BinaryPrimitives.ReadInt32LittleEndian(entry[28..]));
    }

    /// <summary>Tombstone entry <paramref name="i"/>.</summary>
    public (Cid Cid, ulong TargetPack, long TargetOffset, long RecordOffset, long Length) TombstoneAt(int i)
    {
        var file = File;
        var entry = file.Slice(_tombstonesOffset + (i * TombstoneEntryLength), TombstoneEntryLength);
        int at = _blobOffset + (int)BinaryPrimitives.ReadUInt32LittleEndian(entry[28..]);
        var cid = Cid.FromBytes(file.Slice(at + 1, file[at]));
        return (cid, BinaryPrimitives.ReadUInt64LittleEndian(entry), BinaryPrimitives.ReadInt64LittleEndian(entry[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(entry[16..]), BinaryPrimitives.ReadUInt32LittleEndian(entry[24..]));
    }

    /// <summary>
    /// Log entry <paramref name="i"/> (in offset order), read with pread: every open asks each
    /// pack for its last entry (whether the log is applied through it), and through the mapping
    /// each would keep 64 KiB of its index resident.
    /// </summary>
    public (long Offset, long BodyOffset, int BodyLength) LogEntryAt(int i)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, LogEntryCount);
        Span<byte> entry = stackalloc byte[LogEntryLength];
        Read(_logOffset + ((long)i * LogEntryLength), entry);
        return (BinaryPrimitives.ReadInt64LittleEndian(entry), BinaryPrimitives.ReadInt64LittleEndian(entry[8..]), BinaryPrimitives.ReadInt32LittleEndian(entry[16..]));
    }

    /// <summary>
    /// The offset of the last log entry, from the header: every open asks each pack whether the
    /// log is applied through it, and reads nothing to answer (an index written before the header
    /// held it reads the entry).
    /// </summary>
    public long LastLogEntryOffset
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfZero(LogEntryCount);
            return _lastLogEntryEnd > 0 ? _lastLogEntryEnd - 1 : LogEntryAt(LogEntryCount - 1).Offset;
        }
    }

    /// <summary>Whether everything after the fanout hashes to the header's body check (a full read: verify's job, not open's).</summary>
    public bool IsBodyIntact()
    {
        var file = File;
        Span<byte> check = stackalloc byte[32];
        Sha256.HashData(file[EntriesOffset..], check);
        bool intact = check.SequenceEqual(file.Slice(96, 32));
        ReleaseResidentPages();
        return intact;
    }

    /// <summary>After a pass over the whole index: its pages leave the process's resident memory (<see cref="MappedFileMemory.ReleaseResidentPages()"/>).</summary>
    public void ReleaseResidentPages() => _mapped.ReleaseResidentPages();

    /// <summary>Keeps the mapping after <see cref="Dispose"/> until the returned reference is disposed.</summary>
    public IDisposable Hold() => _lease.Acquire();

    /// <summary>Drops the store's reference; the mapping goes once no <see cref="Hold"/> remains.</summary>
    public void Dispose() => _lease.Release();

    /// <summary>
    /// Writes the index of a pack's records before <paramref name="packLength"/> (which ends with a
    /// seal): beside <paramref name="path"/>, synced, then renamed over it. Blocks come with their
    /// keys (<see cref="CidKey"/>), in any order, and tombstones in any order: both lists are sorted
    /// in place; log entries in offset order.
    /// </summary>
    /// <exception cref="IOException">It could not be written (a full disk): the pack stays as it is, and is scanned at open.</exception>
    public static void Write(
        string path,
        long packLength,
        List<(UInt128 Key, PackedBlock Block)> blocks,
        List<(Cid Cid, ulong TargetPack, long TargetOffset, long RecordOffset, long Length)> tombstones,
        IReadOnlyList<(long Offset, long BodyOffset, int BodyLength)> logEntries)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(tombstones);
        blocks.Sort(static (a, b) => a.Key != b.Key ? a.Key.CompareTo(b.Key) : a.Block.RecordOffset.CompareTo(b.Block.RecordOffset));
        tombstones.Sort(static (a, b) => a.TargetPack != b.TargetPack ? a.TargetPack.CompareTo(b.TargetPack)
            : a.TargetOffset != b.TargetOffset ? a.TargetOffset.CompareTo(b.TargetOffset) : a.RecordOffset.CompareTo(b.RecordOffset));
        var targets = new List<(ulong Pack, int First, int Count)>();
        for (int i = 0; i < tombstones.Count; i++)
        {
            if (targets.Count > 0 && targets[^1].Pack == tombstones[i].TargetPack)
            {
                targets[^1] = (targets[^1].Pack, targets[^1].First, targets[^1].Count + 1);
            }
            else
            {
                targets.Add((tombstones[i].TargetPack, i, 1));
            }
        }

        int blobLength = tombstones.Sum(t => 1 + t.Cid.EncodedLength);
        long lastLogEntryEnd = logEntries.Count > 0 ? logEntries[^1].Offset + 1 : 0;
        var counts = new Counts(packLength, blocks.Count, tombstones.Count, targets.Count, logEntries.Count, blobLength, BloomBlocksFor(blocks.Count), BloomBlocksFor(tombstones.Count), lastLogEntryEnd);
        // Rented (a pack's index is megabytes, one for every pack sealed) and cleared: every byte not written stays zero.
        int fileLength = checked((int)counts.FileLength);
        byte[] file = ArrayPool<byte>.Shared.Rent(fileLength);
        try
        {
            file.AsSpan(0, fileLength).Clear();
            WriteFile(path, file.AsSpan(0, fileLength), counts, blocks, tombstones, targets, logEntries);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(file);
        }
    }

    // Lays the index out in span (zeroed, its exact length), then writes it beside path, synced, and renames it over.
    private static void WriteFile(
        string path,
        Span<byte> span,
        Counts counts,
        List<(UInt128 Key, PackedBlock Block)> keyed,
        List<(Cid Cid, ulong TargetPack, long TargetOffset, long RecordOffset, long Length)> removals,
        List<(ulong Pack, int First, int Count)> targets,
        IReadOnlyList<(long Offset, long BodyOffset, int BodyLength)> logEntries)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(span, Magic);
        BinaryPrimitives.WriteInt64LittleEndian(span[8..], counts.PackLength);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], keyed.Count);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], removals.Count);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], logEntries.Count);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], counts.BloomBlocks);
        BinaryPrimitives.WriteInt32LittleEndian(span[32..], counts.BlobLength);
        BinaryPrimitives.WriteInt32LittleEndian(span[36..], counts.TombstoneBloomBlocks);
        BinaryPrimitives.WriteInt32LittleEndian(span[40..], targets.Count);
        BinaryPrimitives.WriteInt64LittleEndian(span[44..], counts.LastLogEntryEnd);

        int at = EntriesOffset;
        var fanout = new uint[256];
        foreach (var (key, block) in keyed)
        {
            fanout[(int)(key >> 120)]++;
            BinaryPrimitives.WriteUInt128LittleEndian(span[at..], key);
            BinaryPrimitives.WriteInt64LittleEndian(span[(at + 16)..], block.RecordOffset);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 24)..], checked((uint)(block.Offset - block.RecordOffset)));
            BinaryPrimitives.WriteInt32LittleEndian(span[(at + 28)..], block.Length);
            at += BlockEntryLength;
        }

        uint running = 0;
        for (int i = 0; i < 256; i++)
        {
            running += fanout[i];
            BinaryPrimitives.WriteUInt32LittleEndian(span[(HeaderLength + (i * 4))..], running);
        }

        int blobStart = at + (removals.Count * TombstoneEntryLength) + (targets.Count * TargetEntryLength) + (logEntries.Count * LogEntryLength);
        int blob = 0;
        foreach (var (cid, targetPack, targetOffset, recordOffset, recordLength) in removals)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span[at..], targetPack);
            BinaryPrimitives.WriteInt64LittleEndian(span[(at + 8)..], targetOffset);
            BinaryPrimitives.WriteInt64LittleEndian(span[(at + 16)..], recordOffset);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 24)..], checked((uint)recordLength));
            BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 28)..], (uint)blob);
            span[blobStart + blob] = checked((byte)cid.EncodedLength);
            cid.Bytes.CopyTo(span[(blobStart + blob + 1)..]);
            blob += 1 + cid.EncodedLength;
            at += TombstoneEntryLength;
        }

        foreach (var (pack, first, count) in targets)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span[at..], pack);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 8)..], (uint)first);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 12)..], (uint)count);
            at += TargetEntryLength;
        }

        foreach (var (offset, bodyOffset, bodyLength) in logEntries)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span[at..], offset);
            BinaryPrimitives.WriteInt64LittleEndian(span[(at + 8)..], bodyOffset);
            BinaryPrimitives.WriteInt32LittleEndian(span[(at + 16)..], bodyLength);
            at += LogEntryLength;
        }

        var tombstoneBloom = span.Slice(blobStart + counts.BlobLength, counts.TombstoneBloomBlocks * BloomBlockLength);
        foreach (var removal in removals)
        {
            BloomAdd(tombstoneBloom, counts.TombstoneBloomBlocks, TargetKey(removal.TargetPack, removal.TargetOffset));
        }

        var blockBloom = span[(blobStart + counts.BlobLength + tombstoneBloom.Length)..];
        foreach (var (key, _) in keyed)
        {
            BloomAdd(blockBloom, counts.BloomBlocks, key);
        }

        Sha256.HashData(span[EntriesOffset..], span.Slice(96, 32));
        HeadCheck(span, span.Slice(64, 32));

        string temporary = path + ".tmp-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-" + Environment.CurrentManagedThreadId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            FileFaults.Check(FileOperation.Create, temporary);
            using (var stream = PrivateFiles.Open(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                FileFaults.Check(FileOperation.Write, temporary);
                stream.Write(span);
                FileFaults.Check(FileOperation.Sync, temporary);
                stream.Flush(flushToDisk: true);
            }

            FileFaults.Check(FileOperation.Rename, path);
            System.IO.File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            System.IO.File.Delete(path);
        }
        catch (IOException)
        {
            // Left for the next seal's rename or a later cleanup; an index is never read from a temporary name.
        }
    }

    // What the lease lets go of last: the mapping and the file.
    private sealed class Resources(MappedFileMemory mapped, MappedFileMemory bloom, IndexFile file) : IDisposable
    {
        public void Dispose()
        {
            ((IDisposable)mapped).Dispose();
            ((IDisposable)bloom).Dispose();
            file.Dispose();
        }
    }

    /// <summary>
    /// The index file open for preads, opened on the first read and kept: an open maps hundreds of
    /// indexes and reads from few (a lookup reads where the bloom filter admits its key). The file
    /// opened must be the one mapped, so its length and header (which holds the checks of the
    /// header and of the body) are compared with those read at open: an index written again for
    /// the same records is the same file, byte for byte; one that went (its pack compacted away)
    /// or changed is read through the mapping, which keeps the file it mapped. The header is
    /// compared with a copy, not the mapping: a touch of the mapping maps the page cache's whole
    /// folio (2 MiB for a file written in large pieces) into the process's memory.
    /// </summary>
    private sealed class IndexFile(string path, byte[] header, long length) : IDisposable
    {
        private readonly object _gate = new();
        private SafeFileHandle? _handle;
        private bool _unavailable;
        private bool _disposed;

        // The open file, or null when it is not the one mapped (read the mapping instead).
        public SafeFileHandle? Handle()
        {
            if (Volatile.Read(ref _handle) is { } open)
            {
                return open;
            }

            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_handle is not null || _unavailable)
                {
                    return _handle;
                }

                _handle = TryOpenSame();
                _unavailable = _handle is null;
                return _handle;
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                _handle?.Dispose();
                _handle = null;
            }
        }

        private SafeFileHandle? TryOpenSame()
        {
            SafeFileHandle? handle = null;
            try
            {
                handle = System.IO.File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                Span<byte> head = stackalloc byte[HeaderLength];
                if (RandomAccess.GetLength(handle) == length && PositionalRead.Fill(handle, head, 0) == head.Length && head.SequenceEqual(header))
                {
                    return handle;
                }
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
            {
            }

            handle?.Dispose();
            return null;
        }
    }

    // SHA-256 of the header's first 64 bytes and the fanout.
    private static void HeadCheck(ReadOnlySpan<byte> file, Span<byte> destination)
    {
        // One call on a copy rather than an incremental hash: an open checks hundreds of indexes.
        Span<byte> head = stackalloc byte[64 + FanoutLength];
        file[..64].CopyTo(head);
        file.Slice(HeaderLength, FanoutLength).CopyTo(head[64..]);
        Sha256.HashData(head, destination);
    }

    // The bloom block of a key: its low 32 bits scaled to the block count (the fanout uses the high byte).
    private static int BloomBlockOf(UInt128 key, int blocks) => (int)((((ulong)key & 0xFFFFFFFF) * (ulong)blocks) >> 32);

    // The bits probed within the block: 6 × 9 bits of the key, mixed so they do not repeat the block's choice.
    private static ulong BloomBits(UInt128 key) => (ulong)(key >> 64) * 0x9E3779B97F4A7C15UL;

    // Probe i's bit of the 512 in a bloom block.
    private static int BloomBit(ulong bits, int probe) => (int)((bits >> (probe * 9)) & 511);

    // A bloom filter's 64-byte blocks for this many keys: 10 bits a key, none for no key.
    private static int BloomBlocksFor(int keys) =>
        keys == 0 ? 0 : (int)Math.Max(1, (((long)keys * BloomBitsPerKey) + (BloomBlockLength * 8) - 1) / (BloomBlockLength * 8));

    // Sets a key's bits in a blocked bloom filter of this many blocks.
    private static void BloomAdd(Span<byte> filter, int blocks, UInt128 key)
    {
        var block = filter.Slice(BloomBlockOf(key, blocks) * BloomBlockLength, BloomBlockLength);
        ulong bits = BloomBits(key);
        for (int i = 0; i < BloomProbes; i++)
        {
            int bit = BloomBit(bits, i);
            block[bit >> 3] |= (byte)(1 << (bit & 7));
        }
    }

    // The tombstone bloom filter's key for a record: its pack and offset mixed (splitmix64's
    // finalizer) into 128 bits that spread like a CID's key.
    private static UInt128 TargetKey(ulong pack, long recordOffset)
    {
        ulong low = Mix(pack ^ Mix((ulong)recordOffset));
        return new UInt128(Mix(low + 0x9E3779B97F4A7C15UL), low);

        static ulong Mix(ulong x)
        {
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
            return x ^ (x >> 31);
        }
    }
}
