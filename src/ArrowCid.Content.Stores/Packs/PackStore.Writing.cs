using System.Buffers;
using System.Security.Cryptography;
using ArrowCid.Arrow.IO;
using ArrowCid.Content.Multiformats;
using Microsoft.Win32.SafeHandles;

namespace ArrowCid.Content.Stores.Packs;

/// <summary>Appending: this process's own pack (its writer, rolled when full and sealed when closed), blocks, tombstones naming the exact record a deletion removes, and the one sync group commit waits on.</summary>
public sealed partial class PackStore
{
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
            if (LocateLocked(cid) is { } found)
            {
                if ((_writer is null || found.Pack != _writer.Id) && !IsSealedThroughLocked(found))
                {
                    // Another process may not have synced it yet; the group's sync covers it.
                    _foreignToSync.Add(found.Pack);
                }

                return found;
            }

            StoreMetrics.NewBytes.Add(bytes.Length);
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
                FileFaults.Check(FileOperation.Sync, PathOf(pack));
                DurableFile.FlushData(file);
            }
            catch (FileNotFoundException)
            {
                // Compacted away by a collection, which copied and synced its records first.
            }
        }

        if (writer is not null)
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            writer.Sync();
            StoreMetrics.FsyncDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
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
            var copies = CopiesLocked(cid);
            if (copies.Count == 0)
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

    /// <summary>Drops one copy of a block (a tombstone, synced): for a copy found corrupt.</summary>
    /// <param name="cid">The CID.</param>
    /// <param name="block">The copy.</param>
    public void DeleteCopy(Cid cid, PackedBlock block)
    {
        lock (_gate)
        {
            if (CopiesLocked(cid).Contains(block))
            {
                AppendTombstoneLocked(cid, block);
            }
        }

        Sync();
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
            if (length >= _packLimit / 2 || state.TombstoneCount >= _maxTombstonesPerPack || TryLockPack(state.Id) is not { } held)
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
        AddLooseTombstoneLocked(target.Pack, target.RecordOffset);
        RemoveCopyLocked(cid, target.Pack, target.RecordOffset);
        RollIfFullLocked(writer);
    }

    // Sealed (and indexed) when it reaches the size limit, or holds as many tombstones as one pack may.
    private void RollIfFullLocked(PackWriter writer)
    {
        if (writer.End >= _packLimit || _packs[writer.Id].TombstoneCount >= _maxTombstonesPerPack)
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
        _writer = null;
        if (_packs.TryGetValue(writer.Id, out var state))
        {
            state.ScannedTo = writer.End;
            state.SealedTo = writer.End;
            IndexPackLocked(state);
        }
    }

    // Whether a copy lies before its pack's last seal, which was written after a sync: it is durable already.
    private bool IsSealedThroughLocked(PackedBlock block) =>
        _packs.TryGetValue(block.Pack, out var state) && state.SealedTo >= block.End;

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
        private readonly string _path;

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
            _path = file.Name;
            _handle = file.SafeFileHandle;
            _lock = lockFile;
            End = end;
            _allocated = end;
            _limit = limit;
        }

        public ulong Id { get; }

        /// <summary>Where the records end: the pack's logical length, which every append and reader goes by.</summary>
        public long End { get; private set; }

        public static PackWriter Create(ulong id, string path, FileStream lockFile, long limit)
        {
            FileFaults.Check(FileOperation.Create, path);
            return new(id, PrivateFiles.Open(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete), lockFile, 0, limit);
        }

        // Adopts a recovered or sealed pack whose records end at end; a longer file (zeros a crash
        // left, which recovery trims already) is cut there, so appends follow the records.
        public static PackWriter? Open(ulong id, string path, FileStream lockFile, long end, long limit)
        {
            try
            {
                var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
                if (file.Length != end)
                {
                    FileFaults.Check(FileOperation.Delete, path);
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
            FileFaults.Check(FileOperation.Write, _path);
            RandomAccess.Write(_handle, record[PackFormat.HeaderLength..], offset + PackFormat.HeaderLength);
            FileFaults.Check(FileOperation.Write, _path);
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
                    FileFaults.Check(FileOperation.Sync, _path);
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

                FileFaults.Check(FileOperation.Sync, _path);
                DurableFile.FlushData(_handle);
                Span<byte> seal = stackalloc byte[PackFormat.Alignment];
                PackFormat.WriteHead(seal, PackRecordType.Seal, null, 0);
                FileFaults.Check(FileOperation.Write, _path);
                RandomAccess.Write(_handle, seal, End);
                End += seal.Length;
                if (_allocated > End)
                {
                    FileFaults.Check(FileOperation.Delete, _path);
                    RandomAccess.SetLength(_handle, End);
                    _allocated = End;
                }

                FileFaults.Check(FileOperation.Sync, _path);
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

            FileFaults.Check(FileOperation.Write, _path);
            RandomAccess.Write(_handle, zeros, _allocated);
            _allocated = target;
        }

        private static long RoundUpToPage(long value) => (value + PageSize - 1) & ~(long)(PageSize - 1);
    }
}
