using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using ArrowCid.Arrow.IO;
using ArrowCid.Arrow.Memory;
using ArrowCid.Content.Multiformats;
using Microsoft.Win32.SafeHandles;

namespace ArrowCid.Content.Stores.Packs;

/// <summary>
/// Small blocks appended to append-only pack files (docs/repository.md, "Pack files"): each block
/// is one record (<see cref="PackFormat"/>) whose bytes lie 64-byte aligned, so a mapped pack hands
/// it out as a slice. The index (CID → pack, offset, length) is held in memory and rebuilt from
/// the packs themselves: every record names its CID, so the packs are the whole truth.
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
public sealed class PackStore : IDisposable
{
    /// <summary>The pack folder's name inside a block store.</summary>
    public const string FolderName = "packs";

    /// <summary>A pack file's extension.</summary>
    public const string PackExtension = ".pack";

    /// <summary>A pack's writer lock file's extension.</summary>
    public const string LockExtension = ".lock";

    /// <summary>The default size at which a pack is sealed and a new one started.</summary>
    public const long DefaultPackLimit = 64L << 20;

    private readonly object _gate = new();
    private readonly Dictionary<Cid, PackedBlock[]> _blocks = [];
    private readonly Dictionary<ulong, PackState> _packs = [];
    private readonly HashSet<(ulong Pack, long Offset)> _tombstoned = [];
    private readonly HashSet<ulong> _foreignToSync = [];
    private readonly Dictionary<ulong, PackMapping> _mappings = [];
    private readonly long _packLimit;
    private PackWriter? _writer;
    private bool _disposed;

    /// <summary>Opens (creating if needed) the packs in <paramref name="folder"/>, recovering those whose writer died.</summary>
    /// <param name="folder">The pack folder.</param>
    /// <param name="packLimit">The size at which a pack is sealed and a new one started.</param>
    public PackStore(string folder, long packLimit = DefaultPackLimit)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentOutOfRangeException.ThrowIfLessThan(packLimit, 1L << 16);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(packLimit, 1L << 30);
        Folder = Path.GetFullPath(folder);
        _packLimit = packLimit;
        if (!Directory.Exists(Folder))
        {
            Directory.CreateDirectory(Folder);
            DurableFile.FlushDirectory(Path.GetDirectoryName(Folder)!);
        }

        Refresh();
        RecoverDeadPacks();
    }

    /// <summary>The pack folder (absolute).</summary>
    public string Folder { get; }

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
            if (_blocks.TryGetValue(cid, out var copies))
            {
                block = copies[0];
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

    /// <summary>
    /// Appends a block (known to hash to <paramref name="cid"/>) to this process's pack, unless a
    /// pack already holds it. Not durable until <see cref="Sync"/> returns: group commit appends
    /// many, then syncs once. When the copy found is another process's, that pack is synced too.
    /// </summary>
    /// <param name="cid">The block's CID.</param>
    /// <param name="bytes">The block's bytes.</param>
    /// <returns>Where the block lies.</returns>
    public PackedBlock Append(Cid cid, ReadOnlySpan<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(cid);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_blocks.TryGetValue(cid, out var copies))
            {
                var found = copies[0];
                if ((_writer is null || found.Pack != _writer.Id) && !IsSealedThroughLocked(found))
                {
                    // Another process may not have synced it yet; the group's sync covers it.
                    _foreignToSync.Add(found.Pack);
                }

                return found;
            }

            return AppendBlockLocked(cid, bytes);
        }
    }

    /// <summary>
    /// Makes every append made so far durable: one fsync of this process's pack (and, first, of any
    /// other process's pack a deduplicated append relied on, so a log entry found durable never
    /// names a block that was not).
    /// </summary>
    public void Sync()
    {
        PackWriter? writer;
        ulong[] foreign;
        lock (_gate)
        {
            writer = _writer;
            foreign = [.. _foreignToSync];
            _foreignToSync.Clear();
        }

        foreach (ulong pack in foreign)
        {
            try
            {
                using var file = File.OpenHandle(PathOf(pack), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                DurableFile.FlushData(file);
            }
            catch (FileNotFoundException)
            {
                // Compacted away by a collection, which copied and synced its records first.
            }
        }

        writer?.Sync();
    }

    /// <summary>
    /// Appends an entry to the write-ahead log in this process's pack: <paramref name="payload"/>
    /// with a check, so a torn entry is cut on open like a torn block. Durable once <see cref="Sync"/>
    /// returns, together with every block appended before it.
    /// </summary>
    /// <param name="payload">What to log.</param>
    /// <returns>Where the entry lies.</returns>
    public PackLogPosition AppendLogEntry(ReadOnlySpan<byte> payload)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return AppendLogEntryLocked(EnsureWriterLocked(), payload);
        }
    }

    /// <summary>
    /// Like <see cref="AppendLogEntry(ReadOnlySpan{byte})"/>, with the payload encoded once the
    /// entry's position is known (and no other append can come between): an entry may then refer to
    /// earlier entries of the same pack.
    /// </summary>
    /// <param name="encode">Makes the payload of the entry that will lie at the position given.</param>
    /// <returns>Where the entry lies.</returns>
    public PackLogPosition AppendLogEntry(Func<PackLogPosition, byte[]> encode)
    {
        ArgumentNullException.ThrowIfNull(encode);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var writer = EnsureWriterLocked();
            return AppendLogEntryLocked(writer, encode(new PackLogPosition(writer.Id, writer.End)));
        }
    }

    /// <summary>The packs that hold log entries (other processes' appends read first).</summary>
    /// <returns>Their ids.</returns>
    public IReadOnlyList<ulong> ListLogPacks()
    {
        Refresh();
        lock (_gate)
        {
            return [.. _packs.Values.Where(s => s.LogEntries.Count > 0).Select(s => s.Id)];
        }
    }

    /// <summary>The log entries of a pack whose records start after <paramref name="after"/> (and before <paramref name="before"/>), in order.</summary>
    /// <param name="pack">The pack.</param>
    /// <param name="after">An offset; -1 for every entry.</param>
    /// <param name="before">An offset; entries from there on are left out.</param>
    /// <returns>The entries (empty when the pack is gone).</returns>
    public IReadOnlyList<PackLogEntry> ReadLogEntries(ulong pack, long after, long before = long.MaxValue)
    {
        List<(long Offset, long BodyOffset, int BodyLength)> wanted;
        lock (_gate)
        {
            if (!_packs.TryGetValue(pack, out var state))
            {
                return [];
            }

            // The entries lie in offset order (scanned and appended so): a search, not a scan, since
            // every group commit asks for the entries between the last applied one and its own.
            var logged = state.LogEntries;
            int low = 0;
            int high = logged.Count;
            while (low < high)
            {
                int middle = (low + high) >>> 1;
                if (logged[middle].Offset > after)
                {
                    high = middle;
                }
                else
                {
                    low = middle + 1;
                }
            }

            wanted = [];
            for (int i = low; i < logged.Count && logged[i].Offset < before; i++)
            {
                wanted.Add(logged[i]);
            }
        }

        if (wanted.Count == 0)
        {
            return [];
        }

        var entries = new List<PackLogEntry>(wanted.Count);
        foreach (var (offset, bodyOffset, bodyLength) in wanted)
        {
            byte[] body = new byte[bodyLength];
            if (!TryRead(new PackedBlock(pack, offset, bodyOffset, bodyLength), body))
            {
                // Gone since it was indexed: the pack was compacted away (every entry applied first).
                return [];
            }

            if (!PackFormat.IsWholeLogEntry(body))
            {
                // Damaged before a seal (one after the last seal is cut by recovery): nothing to replay from it.
                continue;
            }

            entries.Add(new PackLogEntry(new PackLogPosition(pack, offset), body.AsMemory(0, bodyLength - PackFormat.LogEntryCheckLength)));
        }

        return entries;
    }

    /// <summary>
    /// Holds a pack that no live process appends to (its writer finished or died): while held, no
    /// one appends to, recovers or compacts it. Null when a live writer (this process's included) holds it.
    /// </summary>
    /// <param name="pack">The pack.</param>
    /// <returns>The hold, to dispose; or null.</returns>
    public IDisposable? TryHoldIdlePack(ulong pack)
    {
        lock (_gate)
        {
            if (_writer?.Id == pack)
            {
                return null;
            }
        }

        return TryLockPack(pack);
    }

    /// <summary>Deletes every packed copy of a block (a tombstone per copy, synced before this returns).</summary>
    /// <param name="cid">The CID.</param>
    /// <returns>True when a copy was deleted.</returns>
    public bool Delete(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        Refresh();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_blocks.TryGetValue(cid, out var copies))
            {
                return false;
            }

            foreach (var copy in copies)
            {
                AppendTombstoneLocked(cid, copy);
            }
        }

        Sync();
        return true;
    }

    /// <summary>Every packed CID (other processes' appends read first).</summary>
    /// <returns>A snapshot.</returns>
    public IReadOnlyList<Cid> Enumerate()
    {
        Refresh();
        lock (_gate)
        {
            return [.. _blocks.Keys];
        }
    }

    /// <summary>Every packed copy of every block, for verification.</summary>
    /// <returns>A snapshot.</returns>
    public IReadOnlyList<(Cid Cid, PackedBlock Block)> ListCopies()
    {
        Refresh();
        lock (_gate)
        {
            return [.. _blocks.SelectMany(pair => pair.Value.Select(copy => (pair.Key, copy)))];
        }
    }

    /// <summary>
    /// The block's bytes in the mapped pack, with a reference that keeps the mapping alive (dispose
    /// it when done). The slice is 64-byte aligned. Null when the pack file is gone (compacted by
    /// another process: <see cref="Find"/> again).
    /// </summary>
    /// <param name="block">A location from <see cref="Find"/>.</param>
    /// <returns>The bytes and the reference, or null.</returns>
    public (ReadOnlyMemory<byte> Memory, IDisposable Reference)? Map(PackedBlock block)
    {
        lock (_mappings)
        {
            if (!_mappings.TryGetValue(block.Pack, out var mapping) || mapping.Length < block.End)
            {
                MappedFileMemory mapped;
                try
                {
                    using var file = new FileStream(PathOf(block.Pack), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
                    if (file.Length < block.End)
                    {
                        return null;
                    }

                    mapped = MappedFileMemory.Map(file);
                }
                catch (FileNotFoundException)
                {
                    Forget(block.Pack);
                    return null;
                }

                // The cache's reference on the old mapping goes; leases still holding it keep it mapped.
                mapping?.Lease.Release();
                mapping = new PackMapping(new SharedLease(mapped), mapped.Memory, mapped.Length);
                _mappings[block.Pack] = mapping;
            }

            return (mapping.Memory.Slice((int)block.Offset, block.Length), mapping.Lease.Acquire());
        }
    }

    /// <summary>Reads a block's bytes into <paramref name="destination"/> (at least <see cref="PackedBlock.Length"/> long) with one pread.</summary>
    /// <param name="block">A location from <see cref="Find"/>.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <returns>False when the pack file is gone or too short.</returns>
    public bool TryRead(PackedBlock block, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, block.Length);
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(PathOf(block.Pack), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
            Forget(block.Pack);
            return false;
        }

        using (handle)
        {
            int filled = 0;
            while (filled < block.Length)
            {
                int read = RandomAccess.Read(handle, destination[filled..block.Length], block.Offset + filled);
                if (read == 0)
                {
                    return false;
                }

                filled += read;
            }
        }

        return true;
    }

    /// <summary>Whether a packed copy's bytes hash to its CID.</summary>
    /// <param name="cid">The CID.</param>
    /// <param name="block">The copy.</param>
    /// <returns>True when intact (or gone since it was listed).</returns>
    public bool IsIntact(Cid cid, PackedBlock block)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(block.Length);
        try
        {
            return !TryRead(block, buffer) ? !File.Exists(PathOf(block.Pack)) : cid.Verify(buffer.AsSpan(0, block.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Drops one copy of a block (a tombstone, synced): for a copy found corrupt.</summary>
    /// <param name="cid">The CID.</param>
    /// <param name="block">The copy.</param>
    public void DeleteCopy(Cid cid, PackedBlock block)
    {
        lock (_gate)
        {
            if (_blocks.TryGetValue(cid, out var copies) && copies.Contains(block))
            {
                AppendTombstoneLocked(cid, block);
            }
        }

        Sync();
    }

    /// <summary>
    /// Packs whose writer is gone and whose tail holds bytes no whole record explains (a crash mid
    /// append): pack id, where the whole records end, and the file's length.
    /// </summary>
    /// <returns>The torn tails found.</returns>
    public IReadOnlyList<(ulong Pack, long WholeTo, long Length)> ListTornTails()
    {
        Refresh();
        var torn = new List<(ulong, long, long)>();
        foreach (var state in SnapshotPacks())
        {
            long length = LengthOf(state.Id);
            if (length > state.ScannedTo && TryLockPack(state.Id) is { } held)
            {
                using (held)
                {
                    // Zeros past the records are a preallocated end, not a torn tail.
                    if (!IsZeroTail(state.Id, state.ScannedTo, length))
                    {
                        torn.Add((state.Id, state.ScannedTo, length));
                    }
                }
            }
        }

        return torn;
    }

    /// <summary>Recovers every pack whose writer is gone and that was not sealed: tail checked, torn records cut, sealed.</summary>
    /// <returns>How many packs were cut.</returns>
    public int RecoverDeadPacks()
    {
        int cut = 0;
        foreach (var state in SnapshotPacks())
        {
            if (state.IsSealed(LengthOf(state.Id)) || (_writer?.Id == state.Id))
            {
                continue;
            }

            using var held = TryLockPack(state.Id);
            if (held is not null && Recover(state.Id))
            {
                cut++;
            }
        }

        return cut;
    }

    /// <summary>
    /// Drops every block <paramref name="keep"/> refuses and every second copy of a block (one
    /// tombstone each), then rewrites each pack (other than one a live writer holds) whose live
    /// records fill less than <paramref name="liveFraction"/> of it: its live records are copied to
    /// this process's pack, synced, and the old file deleted. Call it where no put runs (under the
    /// repository's exclusive lock).
    /// </summary>
    /// <param name="keep">Whether a block is retained.</param>
    /// <param name="liveFraction">Packs fuller than this keep their dead records (as tombstoned space).</param>
    /// <param name="logAppliedThrough">
    /// Where each pack's log entries have been applied to (the offset of the last applied, -1 for
    /// none); a rewrite drops applied entries as dead weight and leaves a pack holding one that was
    /// not as it is. Null when nothing reads the log: every entry counts as applied.
    /// </param>
    /// <returns>What was done.</returns>
    public PackCompaction Compact(Func<Cid, bool> keep, double liveFraction = 0.5, Func<ulong, long>? logAppliedThrough = null)
    {
        ArgumentNullException.ThrowIfNull(keep);
        Refresh();
        var removed = new List<(Cid, int)>();
        lock (_gate)
        {
            foreach (var (cid, copies) in _blocks.ToList())
            {
                bool kept = keep(cid);
                for (int i = kept ? 1 : 0; i < copies.Length; i++)
                {
                    AppendTombstoneLocked(cid, copies[i]);
                }

                if (!kept)
                {
                    removed.Add((cid, copies[0].Length));
                }
            }

            // Seal this process's pack so it may be rewritten like any other; later appends go to another.
            SealWriterLocked();
        }

        Sync();
        int rewritten = 0;
        long freed = 0;
        foreach (var state in SnapshotPacks())
        {
            long length = LengthOf(state.Id);
            long live = LiveBytes(state);
            if (length == 0 || live >= liveFraction * length || HasUnappliedLogEntries(state, logAppliedThrough))
            {
                continue;
            }

            using var held = TryLockPack(state.Id);
            if (held is null)
            {
                continue;
            }

            freed += length - Rewrite(state);
            rewritten++;
        }

        return new PackCompaction(removed, rewritten, freed);
    }

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

    private bool IsZeroTail(ulong pack, long from, long to)
    {
        try
        {
            using var handle = File.OpenHandle(PathOf(pack), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return IsZeroRange(handle, from, to);
        }
        catch (FileNotFoundException)
        {
            return true;
        }
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
        try
        {
            return new FileStream(LockPathOf(pack), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        }
        catch (IOException)
        {
            return null;
        }
    }

    // Reads the records of a pack from where this process last stopped; stops at the first record that is not whole yet.
    private void Scan(ulong pack)
    {
        long from;
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

            foreach (var (record, target) in found)
            {
                ApplyLocked(pack, record, target);
            }

            state.ScannedTo = offset;
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
                if (!_tombstoned.Contains((pack, record.Offset)))
                {
                    AddCopyLocked(record.Cid!, block);
                }

                break;
            case PackRecordType.Tombstone:
                var (targetPack, targetOffset) = target!.Value;
                state.Tombstones.Add((record.Cid!, targetPack, targetOffset, record.Offset, record.End - record.Offset));
                _tombstoned.Add((targetPack, targetOffset));
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

    private PackWriter EnsureWriterLocked()
    {
        if (_writer is { } current)
        {
            return current;
        }

        // Adopt a pack no live process holds that has room (a finished command's), so short-lived processes do not leave a pack each.
        foreach (var state in _packs.Values.OrderBy(s => s.Id))
        {
            long length = LengthOf(state.Id);
            if (length >= _packLimit / 2 || TryLockPack(state.Id) is not { } held)
            {
                continue;
            }

            if (!state.IsSealed(length))
            {
                RecoverLocked(state.Id);
            }

            var adopted = PackWriter.Open(state.Id, PathOf(state.Id), held, state.ScannedTo, _packLimit);
            if (adopted is null)
            {
                held.Dispose();
                continue;
            }

            state.ScannedTo = adopted.End;
            _writer = adopted;
            return adopted;
        }

        ulong id = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
        var lockFile = TryLockPack(id) ?? throw new IOException($"cannot lock the new pack {NameOf(id)}");
        var created = PackWriter.Create(id, PathOf(id), lockFile, _packLimit);
        DurableFile.FlushDirectory(Folder);
        _packs[id] = new PackState(id);
        _writer = created;
        return created;
    }

    private PackedBlock AppendBlockLocked(Cid cid, ReadOnlySpan<byte> bytes)
    {
        var writer = EnsureWriterLocked();
        int head = PackFormat.Align(PackFormat.HeaderLength + cid.EncodedLength);
        int total = checked((int)PackFormat.RecordLength(cid.EncodedLength, bytes.Length));
        byte[] buffer = ArrayPool<byte>.Shared.Rent(total);
        long offset;
        try
        {
            var record = buffer.AsSpan(0, total);
            PackFormat.WriteHead(record, PackRecordType.Block, cid, bytes.Length);
            bytes.CopyTo(record[head..]);
            record[(head + bytes.Length)..].Clear();
            offset = writer.Append(record);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var block = new PackedBlock(writer.Id, offset, offset + head, bytes.Length);
        var state = _packs[writer.Id];
        state.Blocks.Add((cid, block));
        state.ScannedTo = writer.End;
        AddCopyLocked(cid, block);
        RollIfFullLocked(writer);
        return block;
    }

    private PackLogPosition AppendLogEntryLocked(PackWriter writer, ReadOnlySpan<byte> payload)
    {
        int bodyLength = checked(payload.Length + PackFormat.LogEntryCheckLength);
        int total = PackFormat.LogEntryRecordLength(bodyLength);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(total);
        long offset;
        try
        {
            var record = buffer.AsSpan(0, total);
            record.Clear();
            PackFormat.WriteHead(record, PackRecordType.LogEntry, null, bodyLength);
            PackFormat.WriteLogEntryBody(record[PackFormat.HeaderLength..], payload);
            offset = writer.Append(record);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var state = _packs[writer.Id];
        state.LogEntries.Add((offset, offset + PackFormat.HeaderLength, bodyLength));
        state.ScannedTo = writer.End;
        RollIfFullLocked(writer);
        return new PackLogPosition(writer.Id, offset);
    }

    private void AppendTombstoneLocked(Cid cid, PackedBlock target)
    {
        var writer = EnsureWriterLocked();
        int head = PackFormat.Align(PackFormat.HeaderLength + cid.EncodedLength);
        int total = (int)PackFormat.RecordLength(cid.EncodedLength, PackFormat.TombstoneBodyLength);
        Span<byte> record = stackalloc byte[total];
        PackFormat.WriteHead(record, PackRecordType.Tombstone, cid, PackFormat.TombstoneBodyLength);
        PackFormat.WriteTombstoneBody(record[head..], cid, target.Pack, target.RecordOffset);
        record[(head + PackFormat.TombstoneBodyLength)..].Clear();
        long offset = writer.Append(record);
        var state = _packs[writer.Id];
        state.Tombstones.Add((cid, target.Pack, target.RecordOffset, offset, total));
        state.ScannedTo = writer.End;
        _tombstoned.Add((target.Pack, target.RecordOffset));
        RemoveCopyLocked(cid, target.Pack, target.RecordOffset);
        RollIfFullLocked(writer);
    }

    private void RollIfFullLocked(PackWriter writer)
    {
        if (writer.End >= _packLimit)
        {
            SealWriterLocked();
        }
    }

    private void SealWriterLocked()
    {
        if (_writer is not { } writer)
        {
            return;
        }

        writer.Seal();
        if (_packs.TryGetValue(writer.Id, out var state))
        {
            state.ScannedTo = writer.End;
            state.SealedTo = writer.End;
        }

        _writer = null;
    }

    // With the pack's lock held (no one appends): hash every block after the last seal, cut at the first torn record, seal.
    private bool Recover(ulong pack)
    {
        lock (_gate)
        {
            return RecoverLocked(pack);
        }
    }

    private bool RecoverLocked(ulong pack)
    {
        // Whatever its last writer appended since this process last looked is read first: recovery
        // checks from there and never takes another process's whole records for a torn tail.
        Scan(pack);
        if (!_packs.TryGetValue(pack, out var state))
        {
            return false;
        }

        long scanned = state.ScannedTo;
        long cut = scanned;
        foreach (var (cid, block) in state.Blocks.Where(b => b.Block.RecordOffset >= state.SealedTo).OrderBy(b => b.Block.RecordOffset))
        {
            if (!IsIntact(cid, block))
            {
                cut = Math.Min(cut, block.RecordOffset);
                break;
            }
        }

        // Log entries after the last seal are checked like blocks: a torn one ends the pack.
        foreach (var (offset, bodyOffset, bodyLength) in state.LogEntries.Where(e => e.Offset >= state.SealedTo && e.Offset < cut))
        {
            byte[] body = ArrayPool<byte>.Shared.Rent(bodyLength);
            try
            {
                if (!TryRead(new PackedBlock(pack, offset, bodyOffset, bodyLength), body) || !PackFormat.IsWholeLogEntry(body.AsSpan(0, bodyLength)))
                {
                    cut = offset;
                    break;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(body);
            }
        }

        FileStream file;
        try
        {
            file = new FileStream(PathOf(pack), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        }
        catch (FileNotFoundException)
        {
            return false;
        }

        bool wasCut = false;
        using (file)
        {
            long length = file.Length;

            // Zeros after the last whole record are the writer's preallocation (or a record none of
            // whose bytes reached the disk): the pack's end, trimmed, not a torn record.
            bool zeroTail = cut == scanned && IsZeroRange(file.SafeFileHandle, scanned, length);
            if (length > cut)
            {
                file.SetLength(cut);
                wasCut = !zeroTail;
                foreach (var (cid, block) in state.Blocks.Where(b => b.Block.RecordOffset >= cut).ToList())
                {
                    RemoveCopyLocked(cid, pack, block.RecordOffset);
                }

                state.Blocks.RemoveAll(b => b.Block.RecordOffset >= cut);

                // Deletions cut off were never synced, so never acknowledged: their targets live again.
                foreach (var tombstone in state.Tombstones.Where(t => t.RecordOffset >= cut).ToList())
                {
                    _tombstoned.Remove((tombstone.TargetPack, tombstone.TargetOffset));
                    if (_packs.TryGetValue(tombstone.TargetPack, out var target)
                        && target.Blocks.FirstOrDefault(b => b.Block.RecordOffset == tombstone.TargetOffset) is { Cid: { } revived } entry)
                    {
                        AddCopyLocked(revived, entry.Block);
                    }
                }

                state.Tombstones.RemoveAll(t => t.RecordOffset >= cut);

                // Log entries cut off were never synced, so their groups were never acknowledged.
                state.LogEntries.RemoveAll(e => e.Offset >= cut);
            }

            if (state.SealedTo == cut && !wasCut)
            {
                // Sealed already (by a writer that finished, or died between its seal and the trim): only the trim, made durable.
                if (length > cut)
                {
                    file.Flush(flushToDisk: true);
                }

                return wasCut;
            }

            file.Flush(flushToDisk: true);
            Span<byte> seal = stackalloc byte[PackFormat.Alignment];
            PackFormat.WriteHead(seal, PackRecordType.Seal, null, 0);
            file.Position = cut;
            file.Write(seal);
            file.Flush(flushToDisk: true);
            state.ScannedTo = cut + seal.Length;
            state.SealedTo = state.ScannedTo;
        }

        return wasCut;
    }

    // Whether a file holds nothing but zeros from one offset to another (or ends before).
    private static bool IsZeroRange(SafeFileHandle handle, long from, long to)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 << 10);
        try
        {
            for (long at = from; at < to;)
            {
                int read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, to - at)), at);
                if (read == 0)
                {
                    return true;
                }

                if (buffer.AsSpan(0, read).ContainsAnyExcept((byte)0))
                {
                    return false;
                }

                at += read;
            }

            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Whether a pack holds a log entry past where the log has been applied (a rewrite would lose it).
    private bool HasUnappliedLogEntries(PackState state, Func<ulong, long>? logAppliedThrough)
    {
        if (logAppliedThrough is null)
        {
            return false;
        }

        long last;
        lock (_gate)
        {
            if (state.LogEntries.Count == 0)
            {
                return false;
            }

            last = state.LogEntries[^1].Offset;
        }

        return last > logAppliedThrough(state.Id);
    }

    // Whether a copy lies before its pack's last seal, which was written after a sync: it is durable already.
    private bool IsSealedThroughLocked(PackedBlock block) =>
        _packs.TryGetValue(block.Pack, out var state) && state.SealedTo >= block.End;

    // Bytes a rewrite must keep: live block records and tombstones whose target pack still exists.
    private long LiveBytes(PackState state)
    {
        lock (_gate)
        {
            long live = 0;
            foreach (var (cid, block) in state.Blocks)
            {
                if (!_tombstoned.Contains((state.Id, block.RecordOffset)) && _blocks.TryGetValue(cid, out var copies) && copies[0] == block)
                {
                    live += PackFormat.RecordLength(cid.EncodedLength, block.Length);
                }
            }

            foreach (var tombstone in state.Tombstones)
            {
                if (tombstone.TargetPack != state.Id && _packs.ContainsKey(tombstone.TargetPack))
                {
                    live += tombstone.Length;
                }
            }

            return live;
        }
    }

    // Copies a pack's live records to this process's pack, syncs, deletes the pack; returns the bytes appended.
    private long Rewrite(PackState state)
    {
        long appended = 0;
        lock (_gate)
        {
            foreach (var (cid, block) in state.Blocks.ToList())
            {
                if (_tombstoned.Contains((state.Id, block.RecordOffset)) || !_blocks.TryGetValue(cid, out var copies) || copies[0] != block)
                {
                    continue;
                }

                byte[] buffer = ArrayPool<byte>.Shared.Rent(block.Length);
                try
                {
                    // A damaged copy is not carried over; verify reports the block missing if nothing else holds it.
                    if (TryRead(block, buffer) && cid.Verify(buffer.AsSpan(0, block.Length)))
                    {
                        RemoveCopyLocked(cid, state.Id, block.RecordOffset);
                        var moved = AppendBlockLocked(cid, buffer.AsSpan(0, block.Length));
                        appended += PackFormat.RecordLength(cid.EncodedLength, moved.Length);
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }

            foreach (var tombstone in state.Tombstones.ToList())
            {
                if (tombstone.TargetPack != state.Id && _packs.ContainsKey(tombstone.TargetPack))
                {
                    AppendTombstoneLocked(tombstone.Cid, new PackedBlock(tombstone.TargetPack, tombstone.TargetOffset, 0, 0));
                    appended += tombstone.Length;
                }
            }
        }

        Sync();
        lock (_gate)
        {
            RemovePackLocked(state.Id);
        }

        File.Delete(PathOf(state.Id));
        File.Delete(LockPathOf(state.Id));
        DurableFile.FlushDirectory(Folder);
        return appended;
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

        public bool IsSealed(long length) => SealedTo == length && ScannedTo == length;
    }

    private sealed record PackMapping(SharedLease Lease, ReadOnlyMemory<byte> Memory, long Length);

    /// <summary>
    /// This process's open pack: positioned appends, one sync for many, sealed when full or closed.
    /// The file is kept longer than its records by zeros written ahead of the end (docs/repository.md,
    /// "Pack files"), so an append does not change the file's size and a sync is an fdatasync that
    /// writes the data alone, not the inode as well; the records end where the first zero header
    /// is, and a seal trims the zeros.
    /// </summary>
    private sealed class PackWriter
    {
        // Zeros written ahead: a 64th of the pack (bounded), so an open pack's unused space stays
        // under 2% of it (the space goal is 1.2× the blocks, which log entries and padding already
        // take to ~1.17 for 1 KiB puts); each extension costs one sync that also commits the new size.
        private const long MinPreallocation = 16 << 10;
        private const long MaxPreallocation = 1 << 20;
        private const int PageSize = 4096;
        private static readonly ReadOnlyMemory<byte> Zeros = new byte[64 << 10];

        private readonly FileStream _file;

        // Taken once: FileStream.SafeFileHandle seeks the handle to the stream's position at every
        // access (an lseek per call), and every use here is positioned.
        private readonly SafeFileHandle _handle;
        private readonly FileStream _lock;
        private readonly long _limit;
        private readonly object _syncGate = new();
        private long _allocated;
        private bool _closed;

        private PackWriter(ulong id, FileStream file, FileStream lockFile, long end, long limit)
        {
            Id = id;
            _file = file;
            _handle = file.SafeFileHandle;
            _lock = lockFile;
            End = end;
            _allocated = end;
            _limit = limit;
        }

        public ulong Id { get; }

        /// <summary>Where the records end: the pack's logical length, which every append and reader goes by.</summary>
        public long End { get; private set; }

        public static PackWriter Create(ulong id, string path, FileStream lockFile, long limit) =>
            new(id, new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0), lockFile, 0, limit);

        // Adopts a recovered or sealed pack whose records end at end; a longer file (zeros a crash
        // left, which recovery trims already) is cut there, so appends follow the records.
        public static PackWriter? Open(ulong id, string path, FileStream lockFile, long end, long limit)
        {
            try
            {
                var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
                if (file.Length != end)
                {
                    file.SetLength(end);
                }

                return new PackWriter(id, file, lockFile, end, limit);
            }
            catch (FileNotFoundException)
            {
                return null;
            }
        }

        // Called under the store's gate: appends are serial.
        public long Append(ReadOnlySpan<byte> record)
        {
            long offset = End;
            long end = offset + record.Length;
            if (end > _allocated)
            {
                Preallocate(end);
            }

            // The fixed header last: another process scanning the pack meanwhile stops at its zeros,
            // so it never takes in a record whose body is still being copied (the file's size, which
            // used to tell it, no longer moves with the records).
            RandomAccess.Write(_handle, record[PackFormat.HeaderLength..], offset + PackFormat.HeaderLength);
            RandomAccess.Write(_handle, record[..PackFormat.HeaderLength], offset);
            End = end;
            return offset;
        }

        // May run beside appends: fdatasync covers every write that returned before it was called,
        // and the file's size when an extension changed it.
        public void Sync()
        {
            lock (_syncGate)
            {
                if (!_closed)
                {
                    DurableFile.FlushData(_handle);
                }
            }
        }

        // Under the store's gate: sync, seal record, zeros trimmed, sync, release the pack for others to adopt.
        public void Seal()
        {
            lock (_syncGate)
            {
                if (_closed)
                {
                    return;
                }

                DurableFile.FlushData(_handle);
                Span<byte> seal = stackalloc byte[PackFormat.Alignment];
                PackFormat.WriteHead(seal, PackRecordType.Seal, null, 0);
                RandomAccess.Write(_handle, seal, End);
                End += seal.Length;
                if (_allocated > End)
                {
                    RandomAccess.SetLength(_handle, End);
                    _allocated = End;
                }

                _file.Flush(flushToDisk: true);
                _closed = true;
                _file.Dispose();
                _lock.Dispose();
            }
        }

        // Writes zeros from the allocated end to past end (by a 64th of the pack, within the limit)
        // in one call. Written, not fallocated: ext4 keeps fallocated space as unwritten extents,
        // and the first write into each of their blocks is a metadata change that fdatasync must
        // commit to the journal, which is the cost this avoids.
        private void Preallocate(long end)
        {
            long ahead = Math.Clamp(End / 64, MinPreallocation, MaxPreallocation);
            long target = RoundUpToPage(Math.Max(end, Math.Min(end + ahead, _limit)));
            var zeros = new List<ReadOnlyMemory<byte>>();
            for (long at = _allocated; at < target; at += Zeros.Length)
            {
                zeros.Add(Zeros[..(int)Math.Min(Zeros.Length, target - at)]);
            }

            RandomAccess.Write(_handle, zeros, _allocated);
            _allocated = target;
        }

        private static long RoundUpToPage(long value) => (value + PageSize - 1) & ~(long)(PageSize - 1);
    }
}
