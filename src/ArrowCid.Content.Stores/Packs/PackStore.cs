using System.Globalization;
using ArrowCid.Arrow.IO;
using ArrowCid.Arrow.Memory;
using ArrowCid.Content.Multiformats;
using Microsoft.Win32.SafeHandles;

namespace ArrowCid.Content.Stores.Packs;

/// <summary>
/// Small blocks appended to append-only pack files (docs/repository.md, "Pack files"): each block
/// is one record (<see cref="PackFormat"/>) whose bytes lie 64-byte aligned, so a mapped pack hands
/// it out as a slice. Every record names its CID, so the packs are the whole truth; a pack's
/// records up to its last seal are also listed in its persisted index (<see cref="PackIndex"/>,
/// mapped, not read), so opening reads only what came after (an open pack's tail) and costs the
/// same at any size. An index that is missing or does not check is rebuilt from its pack.
/// <para>
/// Each process appends to a pack of its own, held by an exclusive flock on <c>&lt;id&gt;.lock</c>;
/// appends are not synced one by one: <see cref="Sync"/> makes everything appended so far durable
/// with one fsync, which is what group commit waits on. A pack is sealed (synced, then a seal
/// record written and synced) when it is full or closed; on open, a pack whose writer died is
/// checked from its last seal — every block after it hashed — and cut at the first record that is
/// torn, then sealed. Deletions append a tombstone naming the exact record they remove;
/// <see cref="Compact"/> copies the live records of mostly dead packs into the current pack and
/// deletes the old files (a mapping of a deleted file stays valid, so a reader's lease is never
/// cut short). Another process's appends and deletions are seen when this one next misses a CID
/// (<see cref="Refresh"/>).
/// </para>
/// <para>
/// The packs also carry the repository's write-ahead log: <see cref="AppendLogEntry(ReadOnlySpan{byte})"/> appends an
/// opaque, checked entry (a group's registry rows) that the same <see cref="Sync"/> makes durable
/// with the group's blocks. This store only keeps and lists the entries; the repository knows how
/// far each pack's entries have been applied (<see cref="ReadLogEntries"/>), and a compaction never
/// drops an entry that was not.
/// </para>
/// <para>Thread-safe.</para>
/// </summary>
public sealed partial class PackStore : IDisposable
{
    /// <summary>The pack folder's name inside a block store.</summary>
    public const string FolderName = "packs";

    /// <summary>A pack file's extension.</summary>
    public const string PackExtension = ".pack";

    /// <summary>A pack's writer lock file's extension.</summary>
    public const string LockExtension = ".lock";

    /// <summary>The default size at which a pack is sealed and a new one started.</summary>
    public const long DefaultPackLimit = 64L << 20;

    /// <summary>
    /// The default number of tombstones at which a pack is sealed and a new one started (and
    /// beyond which none is adopted): a deleting process holds its open pack's tombstones in
    /// memory until the pack is indexed, so a gc removing millions of blocks holds at most this
    /// many (4 MiB of pack).
    /// </summary>
    public const int DefaultMaxTombstonesPerPack = 1 << 15;

    private readonly object _gate = new();
    private readonly Dictionary<Cid, PackedBlock[]> _blocks = [];
    private readonly Dictionary<ulong, PackState> _packs = [];
    // Tombstones no index lists yet (an open pack's, a tail's): by target pack, each target offset
    // with how many such records remove it. Indexed tombstones stay in their index, looked up there.
    private readonly Dictionary<ulong, Dictionary<long, int>> _looseTombstones = [];
    private readonly HashSet<ulong> _foreignToSync = [];

    // Packs whose index failed its checksum in this instance's verify without repair: read whole, their index file left alone.
    private readonly HashSet<ulong> _distrusted = [];
    private readonly Dictionary<ulong, PackMapping> _mappings = [];
    private readonly long _packLimit;
    private readonly int _maxTombstonesPerPack;
    private PackWriter? _writer;
    private bool _disposed;
    private long _recordsScanned;

    /// <summary>Opens (creating if needed) the packs in <paramref name="folder"/>, recovering those whose writer died.</summary>
    /// <param name="folder">The pack folder.</param>
    /// <param name="packLimit">The size at which a pack is sealed and a new one started.</param>
    /// <param name="maxTombstonesPerPack">The tombstones at which a pack is sealed and a new one started.</param>
    public PackStore(string folder, long packLimit = DefaultPackLimit, int maxTombstonesPerPack = DefaultMaxTombstonesPerPack)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentOutOfRangeException.ThrowIfLessThan(packLimit, 1L << 16);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(packLimit, 1L << 30);
        Folder = Path.GetFullPath(folder);
        _packLimit = packLimit;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTombstonesPerPack, 1);
        _maxTombstonesPerPack = maxTombstonesPerPack;
        if (!Directory.Exists(Folder))
        {
            PrivateFiles.CreateFolder(Folder);
            DurableFile.FlushDirectory(Path.GetDirectoryName(Folder)!);
        }

        Refresh();
        RecoverDeadPacks();
    }

    /// <summary>The pack folder (absolute).</summary>
    public string Folder { get; }

    /// <summary>Records this instance has read from packs to learn what they hold: only those no index lists (for tests and the scale benchmark).</summary>
    public long RecordsScanned => Interlocked.Read(ref _recordsScanned);

    /// <summary>Tombstones this instance holds in memory: only those no index lists (an open pack's, a tail's), however many the indexes hold (for tests).</summary>
    public int LooseTombstones
    {
        get
        {
            lock (_gate)
            {
                return _looseTombstones.Values.Sum(offsets => offsets.Count);
            }
        }
    }

    /// <summary>The pack file of a pack id.</summary>
    /// <param name="pack">The id.</param>
    /// <returns>The absolute path.</returns>
    public string PathOf(ulong pack) => Path.Combine(Folder, NameOf(pack) + PackExtension);

    /// <summary>Where a block lies, as far as this process knows (no look at other processes' appends).</summary>
    /// <param name="cid">The CID.</param>
    /// <param name="block">Its location.</param>
    /// <returns>True when it is packed.</returns>
    public bool TryLocate(Cid cid, out PackedBlock block)
    {
        ArgumentNullException.ThrowIfNull(cid);
        lock (_gate)
        {
            if (LocateLocked(cid) is { } found)
            {
                block = found;
                return true;
            }
        }

        block = default;
        return false;
    }

    /// <summary>Where a block lies; on a miss, other processes' appends are read first (<see cref="Refresh"/>).</summary>
    /// <param name="cid">The CID.</param>
    /// <returns>Its location, or null when no pack holds it.</returns>
    public PackedBlock? Find(Cid cid)
    {
        if (TryLocate(cid, out var block))
        {
            return block;
        }

        Refresh();
        return TryLocate(cid, out block) ? block : null;
    }

    /// <summary>Every packed CID, once each (other processes' appends read first), read pack by pack as it is walked: memory stays flat at any size.</summary>
    /// <returns>The CIDs.</returns>
    public IEnumerable<Cid> Enumerate() => WalkCopies().Where(c => c.First).Select(c => c.Cid);

    /// <summary>
    /// Every packed copy of every block, for verification, read pack by pack as it is walked. The
    /// first copy of each block the walk meets comes marked <c>First</c>, any other copy of it not.
    /// </summary>
    /// <returns>The copies.</returns>
    public IEnumerable<(Cid Cid, PackedBlock Block, bool First)> ListCopies() => WalkCopies().Select(c => (c.Cid, c.Block, c.First));

    /// <summary>Reads other processes' appends, tombstones and deletions of packs into the index.</summary>
    public void Refresh()
    {
        string[] files;
        try
        {
            files = Directory.GetFiles(Folder, "*" + PackExtension);
        }
        catch (DirectoryNotFoundException)
        {
            files = [];
        }

        var present = new HashSet<ulong>();
        foreach (string file in files)
        {
            if (IdOf(Path.GetFileNameWithoutExtension(file)) is { } id)
            {
                present.Add(id);
                Scan(id);
            }
        }

        lock (_gate)
        {
            foreach (ulong gone in _packs.Keys.Where(id => !present.Contains(id)).ToList())
            {
                RemovePackLocked(gone);
            }
        }
    }

    /// <summary>Seals this process's pack and releases its lock and mappings' cache references (leases keep theirs).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            SealWriterLocked();
            foreach (var state in _packs.Values)
            {
                state.Index?.Dispose();
                state.Index = null;
            }
        }

        lock (_mappings)
        {
            foreach (var mapping in _mappings.Values)
            {
                mapping.Lease.Release();
            }

            _mappings.Clear();
        }
    }

    private static string NameOf(ulong pack) => pack.ToString("x16", CultureInfo.InvariantCulture);

    private static ulong? IdOf(string name) =>
        name.Length == 16 && ulong.TryParse(name, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong id) ? id : null;

    private string LockPathOf(ulong pack) => Path.Combine(Folder, NameOf(pack) + LockExtension);

    private long LengthOf(ulong pack)
    {
        var info = new FileInfo(PathOf(pack));
        return info.Exists ? info.Length : 0;
    }

    private List<PackState> SnapshotPacks()
    {
        lock (_gate)
        {
            return [.. _packs.Values];
        }
    }

    // An exclusive flock on the pack's lock file: held by the process appending to it, or by one recovering or compacting it.
    private FileStream? TryLockPack(ulong pack)
    {
        FileFaults.Check(FileOperation.Create, LockPathOf(pack));
        try
        {
            return PrivateFiles.Open(LockPathOf(pack), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    // Reads the records of a pack from where this process last stopped (a new pack: from where its
    // index ends); stops at the first record that is not whole yet. A pack found sealed through its
    // end with records no index lists gets its index written.
    private void Scan(ulong pack)
    {
        long from;
        bool fresh = false;
        lock (_gate)
        {
            if (_packs.TryGetValue(pack, out var known))
            {
                if (_writer?.Id == pack)
                {
                    return;
                }

                from = known.ScannedTo;
            }
            else
            {
                _packs[pack] = new PackState(pack);
                from = 0;
                fresh = true;
            }
        }

        long packLength = LengthOf(pack);
        if (!fresh && packLength == from)
        {
            // Nothing appended since this process last read it (a refresh of hundreds of sealed
            // packs): a status call rather than an open.
            return;
        }

        if (fresh && !IsDistrusted(pack) && PackIndex.TryOpen(IndexPathOf(pack), packLength) is { } index)
        {
            lock (_gate)
            {
                if (!_packs.TryGetValue(pack, out var state) || state.ScannedTo != 0 || state.Index is not null)
                {
                    // Scanned by another thread meanwhile, or removed: its view stands.
                    index.Dispose();
                    return;
                }

                state.Attach(index);
                from = state.ScannedTo;
            }

            if (from == packLength)
            {
                // Indexed through its end (a sealed pack, the common case): nothing to read, and an
                // open of hundreds of packs opens none of them.
                return;
            }
        }

        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(PathOf(pack), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
            return;
        }

        var found = new List<(PackRecord Record, (ulong, long)? Target)>();
        long offset = from;
        using (handle)
        {
            long length = RandomAccess.GetLength(handle);
            Span<byte> head = stackalloc byte[PackFormat.MaxHeadLength];
            Span<byte> body = stackalloc byte[PackFormat.TombstoneBodyLength];
            while (offset < length)
            {
                int read = RandomAccess.Read(handle, head, offset);
                if (PackFormat.TryParse(head[..read], offset, length) is not { } record)
                {
                    break;
                }

                (ulong, long)? target = null;
                if (record.Type == PackRecordType.Tombstone)
                {
                    if (record.BodyLength != PackFormat.TombstoneBodyLength
                        || RandomAccess.Read(handle, body, record.BodyOffset) != body.Length
                        || PackFormat.ReadTombstoneBody(body, record.Cid!) is not { } parsed)
                    {
                        break;
                    }

                    target = parsed;
                }

                found.Add((record, target));
                offset = record.End;
            }
        }

        lock (_gate)
        {
            if (!_packs.TryGetValue(pack, out var state) || state.ScannedTo != from)
            {
                // Scanned by another thread meanwhile, or removed: its view stands.
                return;
            }

            _recordsScanned += found.Count;
            foreach (var (record, target) in found)
            {
                ApplyLocked(pack, record, target);
            }

            state.ScannedTo = offset;

            // Only records just read can make a pack newly sealed or leave some no index lists: a
            // refresh that found nothing new costs no status call of the file.
            if (found.Count > 0 && _writer?.Id != pack && state.IsSealed(LengthOf(pack)))
            {
                IndexPackLocked(state);
            }
        }
    }

    private bool IsDistrusted(ulong pack)
    {
        lock (_gate)
        {
            return _distrusted.Contains(pack);
        }
    }

    private void ApplyLocked(ulong pack, PackRecord record, (ulong Pack, long Offset)? target)
    {
        var state = _packs[pack];
        switch (record.Type)
        {
            case PackRecordType.Block:
                var block = new PackedBlock(pack, record.Offset, record.BodyOffset, record.BodyLength);
                state.Blocks.Add((record.Cid!, block));
                if (!IsTombstonedLocked(pack, record.Offset))
                {
                    AddCopyLocked(record.Cid!, block);
                }

                break;
            case PackRecordType.Tombstone:
                var (targetPack, targetOffset) = target!.Value;
                state.Tombstones.Add((record.Cid!, targetPack, targetOffset, record.Offset, record.End - record.Offset));
                AddLooseTombstoneLocked(targetPack, targetOffset);
                RemoveCopyLocked(record.Cid!, targetPack, targetOffset);
                break;
            case PackRecordType.Seal:
                state.SealedTo = record.End;
                break;
            case PackRecordType.LogEntry:
                state.LogEntries.Add((record.Offset, record.BodyOffset, record.BodyLength));
                break;
        }
    }

    private void AddCopyLocked(Cid cid, PackedBlock block)
    {
        _blocks[cid] = _blocks.TryGetValue(cid, out var copies) ? [.. copies, block] : [block];
    }

    private void RemoveCopyLocked(Cid cid, ulong pack, long recordOffset)
    {
        if (!_blocks.TryGetValue(cid, out var copies))
        {
            return;
        }

        var left = copies.Where(c => c.Pack != pack || c.RecordOffset != recordOffset).ToArray();
        if (left.Length == 0)
        {
            _blocks.Remove(cid);
        }
        else
        {
            _blocks[cid] = left;
        }
    }

    private void RemovePackLocked(ulong pack)
    {
        if (!_packs.Remove(pack, out var state))
        {
            return;
        }

        foreach (var (cid, block) in state.Blocks)
        {
            RemoveCopyLocked(cid, pack, block.RecordOffset);
        }

        ForgetLooseTombstonesLocked(state);
        state.Index?.Dispose();
        state.Index = null;
        Forget(pack);
    }

    private void Forget(ulong pack)
    {
        lock (_mappings)
        {
            if (_mappings.Remove(pack, out var mapping))
            {
                mapping.Lease.Release();
            }
        }
    }

    private sealed class PackState(ulong id)
    {
        public ulong Id { get; } = id;

        /// <summary>Where the whole records this process has read end.</summary>
        public long ScannedTo { get; set; }

        /// <summary>Where the last seal record ends: everything before it is whole.</summary>
        public long SealedTo { get; set; }

        public List<(Cid Cid, PackedBlock Block)> Blocks { get; } = [];

        public List<(Cid Cid, ulong TargetPack, long TargetOffset, long RecordOffset, long Length)> Tombstones { get; } = [];

        public List<(long Offset, long BodyOffset, int BodyLength)> LogEntries { get; } = [];

        /// <summary>The persisted index of the records before <see cref="PackIndex.PackLength"/>; the lists above hold only the records after it.</summary>
        public PackIndex? Index { get; set; }

        /// <summary>Writing the index failed (a full disk): not tried again by this process; the pack is scanned at the next open.</summary>
        public bool IndexFailed { get; set; }

        public int LogEntryCount => (Index?.LogEntryCount ?? 0) + LogEntries.Count;

        public int TombstoneCount => (Index?.TombstoneCount ?? 0) + Tombstones.Count;

        /// <summary>The offset of the pack's last log entry (there is one): the index reads none for it.</summary>
        public long LastLogEntryOffset => LogEntries.Count > 0 ? LogEntries[^1].Offset : Index!.LastLogEntryOffset;

        /// <summary>
        /// Takes an index read at open: its records are found through it, and its tombstones are
        /// looked up in it (IsTombstonedLocked), not read: an open costs the same however many it holds.
        /// </summary>
        public void Attach(PackIndex index)
        {
            Index = index;
            ScannedTo = index.PackLength;
            SealedTo = index.PackLength;
        }

        public bool IsSealed(long length) => SealedTo == length && ScannedTo == length;

        /// <summary>Log entry <paramref name="i"/> of the pack, in offset order: the index's, then those after it.</summary>
        public (long Offset, long BodyOffset, int BodyLength) LogEntryAt(int i)
        {
            int indexed = Index?.LogEntryCount ?? 0;
            return i < indexed ? Index!.LogEntryAt(i) : LogEntries[i - indexed];
        }

        /// <summary>Every block record of the pack: the index's, then those after it.</summary>
        public IEnumerable<PackedBlock> AllBlocks()
        {
            for (int i = 0; i < (Index?.BlockCount ?? 0); i++)
            {
                yield return Index!.BlockAt(Id, i);
            }

            foreach (var (_, block) in Blocks)
            {
                yield return block;
            }
        }

        /// <summary>Every tombstone record of the pack: the index's, then those after it.</summary>
        public IEnumerable<(Cid Cid, ulong TargetPack, long TargetOffset, long RecordOffset, long Length)> AllTombstones()
        {
            for (int i = 0; i < (Index?.TombstoneCount ?? 0); i++)
            {
                yield return Index!.TombstoneAt(i);
            }

            foreach (var tombstone in Tombstones)
            {
                yield return tombstone;
            }
        }
    }

    private sealed record PackMapping(SharedLease Lease, ReadOnlyMemory<byte> Memory, long Length);
}
