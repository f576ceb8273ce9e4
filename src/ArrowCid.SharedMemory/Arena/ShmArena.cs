using System.Buffers.Binary;
using System.Runtime.Intrinsics.X86;
using ArrowCid.SharedMemory.Native;

namespace ArrowCid.SharedMemory.Arena;

/// <summary>
/// The small-batch fast path: one preallocated file of fixed-size slots (<c>arena</c>,
/// <c>arena-small</c>), mapped MAP_SHARED once per opened store and kept, so publishing or
/// attaching a small batch costs no system call beyond the writer lock. Each slot holds one
/// canonical IPC stream at a fixed offset (any Arrow library can map the file and read it at
/// offset/length). The class is unsafe because the arena is shared memory addressed by pointer:
/// slot headers and lease counts are read and written in place with atomic operations, which
/// Span cannot express across processes; every offset is computed from the validated geometry.
/// <para>
/// Layout (little-endian): page 0 the header (magic "ACSHMAR1", slot bytes, slot count, ways,
/// lease records, their high-water mark, at 28 a flag set when the slot bytes were all backed at
/// creation, at 32 the smallest length ever stored in a slot (int.MaxValue at creation; 0 in an
/// arena from before the field, meaning unknown), and at 64 + 8·i the pid of lease record i); then one
/// 64-byte header per slot (0 state, 4 length, 8 bytes known to be backed, 16 last access in
/// UTC ticks, 32 the SHA-256 digest); then one table of int32 lease counts per lease record (one
/// count per slot); then the slot bytes.
/// </para>
/// <para>
/// Placement is set-associative with two choices: a CID's digest picks two sets of
/// <see cref="Ways"/> slots, so a lookup reads at most 16 slot headers and needs no shared index. Slots are claimed and
/// evicted only under the store's writer lock (flock(LOCK_EX) on <c>feed.log</c>, which the
/// publisher holds anyway to announce the batch, so a publish takes one lock; robust: the kernel
/// drops it when the holder dies) — callers of <see cref="Publish"/> and <see cref="Remove"/> hold
/// it — so a slot found Writing or Evicting under the lock was left by a dead process and is
/// repaired. Readers never lock: a reader raises its own lease count for the slot and then checks
/// the slot is still Ready with the digest it wants; an evictor moves the slot Ready→Evicting and
/// then checks every live lease record's count. With both steps full fences, either the reader
/// sees Evicting and backs off or the evictor sees the lease (Dekker's pattern).
/// </para>
/// <para>
/// Each opened arena owns one lease record, claimed with an open-file-description lock on one
/// byte (far past the file's end) that the kernel drops when the process dies: counts of a
/// record whose lock byte is free belong to a dead process and are ignored, and the next process
/// to claim the record clears them.
/// </para>
/// </summary>
internal sealed unsafe class ShmArena : IDisposable
{
    /// <summary>Ways per set: a CID may occupy any slot of its two sets.</summary>
    public const int Ways = 8;

    /// <summary>Lease records: how many opened stores (across all processes) can attach from the arena at once.</summary>
    public const int LeaseRecords = 128;

    private const ulong Magic = 0x3152414D48534341; // "ACSHMAR1"
    private const int HeaderBytes = 4096;
    private const int SmallestLengthOffset = 32;
    private const int SlotHeaderBytes = 64;
    private const int PageBytes = 4096;
    private const long LockByteBase = 1L << 40;
    private const long WritableChunkBytes = 2L << 20;
    private const int Free = 0;
    private const int Writing = 1;
    private const int Ready = 2;
    private const int Evicting = 3;

    private readonly LockedFile _file;
    private readonly byte* _base;
    private readonly long _mapLength;
    private readonly long _leaseTables;
    private readonly long _data;
    private readonly int _sets;
    private readonly int _record;
    private readonly int* _ownCounts;
    private readonly bool _committed;

    // A committed arena's 2 MiB chunks of slot bytes this process has mapped writable (one bit each).
    private readonly ulong[]? _mappedWritable;
    private int _references = 1;

    private ShmArena(LockedFile file, byte* pointer, long mapLength, int slotBytes, int slotCount, int record, bool ownPrivate, bool committed)
    {
        _committed = committed;
        _file = file;
        _base = pointer;
        _mapLength = mapLength;
        SlotBytes = slotBytes;
        SlotCount = slotCount;
        _sets = slotCount / Ways;
        (_leaseTables, _data, _) = Geometry(slotBytes, slotCount);
        _record = record;
        _ownCounts = (int*)(_base + _leaseTables + (long)record * slotCount * sizeof(int));
        OwnPrivate = ownPrivate;
        if (committed)
        {
            long chunks = (((long)slotCount * slotBytes) + WritableChunkBytes - 1) / WritableChunkBytes;
            _mappedWritable = new ulong[(chunks + 63) / 64];
        }
    }

    /// <summary>What a publish into the arena did.</summary>
    public enum PublishOutcome
    {
        /// <summary>The bytes were written into a slot.</summary>
        Created,

        /// <summary>A slot already holds the digest.</summary>
        Existing,

        /// <summary>Every slot of both sets is leased or pinned (or tmpfs is full): use a file.</summary>
        NoRoom,
    }

    /// <summary>Called under the writer lock for a slot about to be reused, with its digest and bytes.</summary>
    public delegate void EvictedSlot(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> bytes);

    /// <summary>Whether a digest is pinned (eviction must keep its slot).</summary>
    public delegate bool PinnedDigest(ReadOnlySpan<byte> digest);

    /// <summary>Bytes per slot: batches whose canonical bytes fit go into the arena.</summary>
    public int SlotBytes { get; }

    /// <summary>Number of slots.</summary>
    public int SlotCount { get; }

    /// <summary>The arena file.</summary>
    public string Path => _file.Path;

    /// <summary>Whether the arena file belongs to this user and nobody else can write it (see <see cref="SegmentVerification.TrustOwnSegments"/>).</summary>
    public bool OwnPrivate { get; }

    /// <summary>
    /// Opens the arena at <paramref name="path"/>; when absent, creates it with the geometry
    /// <paramref name="create"/> gives (an existing arena keeps its own), or, when that is null,
    /// throws <see cref="FileNotFoundException"/>.
    /// </summary>
    public static ShmArena Open(string path, (int SlotBytes, int SlotCount, bool Commit)? create, UnixFileMode mode)
    {
        if (create is { } geometry && !File.Exists(path))
        {
            CreateAtomically(path, geometry.SlotBytes, geometry.SlotCount, geometry.Commit, mode);
        }

        var file = LockedFile.Open(path, writable: true);
        int slotBytes;
        int slotCount;
        byte* pointer = null;
        long mapLength = 0;
        try
        {
            var status = file.Status();
            Span<byte> header = stackalloc byte[32];
            if (status.Size < HeaderBytes || RandomAccess.Read(file.Handle, header, 0) != header.Length)
            {
                throw new ShmSegmentCorruptedException($"{path}: the arena file is truncated ({status.Size} bytes)");
            }

            (slotBytes, slotCount) = ReadGeometry(path, header, status.Size);
            bool committed = BinaryPrimitives.ReadInt32LittleEndian(header[28..]) == 1;
            mapLength = status.Size;
            pointer = LinuxNative.MapSharedReadWrite(file.Descriptor, mapLength);
            int record = ClaimLeaseRecord(file, pointer, slotCount);
            bool ownPrivate = status.UserId == LinuxNative.EffectiveUserId() && (status.Mode & 0b000_010_010) == 0;
            return new ShmArena(file, pointer, mapLength, slotBytes, slotCount, record, ownPrivate, committed);
        }
        catch
        {
            if (pointer is not null)
            {
                LinuxNative.Unmap(pointer, mapLength);
            }

            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether a block of <paramref name="length"/> bytes may be in a slot: false when every block
    /// ever stored here was longer. A publisher checks it under the writer lock before probing the
    /// arena it does not publish into, whose sixteen slot headers are then never read (an arena of
    /// large slots rarely holds a small block: only one that overflowed a full smaller arena).
    /// </summary>
    public bool MayHold(int length)
    {
        int smallest = Volatile.Read(ref *(int*)(_base + SmallestLengthOffset));
        return smallest == 0 || length >= smallest;
    }

    /// <summary>
    /// Starts loading the slot headers a publish or lookup of <paramref name="digest"/> reads (its
    /// two sets, a cache line a slot), so that their cache misses overlap each other and the
    /// caller's work until it reads them, rather than following one another in the scan. A hint:
    /// it reads and changes nothing.
    /// </summary>
    public void Prefetch(ReadOnlySpan<byte> digest)
    {
        Span<int> candidates = stackalloc int[2 * Ways];
        PrefetchHeaders(candidates[..Candidates(digest, candidates)]);
    }

    private void PrefetchHeaders(ReadOnlySpan<int> slots)
    {
        if (Sse.IsSupported)
        {
            foreach (int slot in slots)
            {
                Sse.Prefetch0(_base + SlotHeader(slot));
            }
        }
    }

    /// <summary>The slot that holds <paramref name="digest"/> now, or -1 (a probe: it may be evicted at once).</summary>
    public int Find(ReadOnlySpan<byte> digest)
    {
        Span<int> candidates = stackalloc int[2 * Ways];
        foreach (int slot in candidates[..Candidates(digest, candidates)])
        {
            if (Volatile.Read(ref *State(slot)) == Ready && Digest(slot).SequenceEqual(digest))
            {
                return slot;
            }
        }

        return -1;
    }

    /// <summary>
    /// Leases the slot holding <paramref name="digest"/> and returns it with its bytes, or -1 when
    /// no slot holds it. The bytes stay mapped and unchanged until <see cref="Release"/>.
    /// </summary>
    /// <exception cref="ShmSegmentCorruptedException">The slot's recorded length is impossible.</exception>
    public int TryLease(ReadOnlySpan<byte> digest, out ReadOnlyMemory<byte> bytes, out long offset)
    {
        Span<int> candidates = stackalloc int[2 * Ways];
        candidates = candidates[..Candidates(digest, candidates)];
        // The scan stops at the first match, each header a likely cache miss: load them all at once.
        PrefetchHeaders(candidates);
        foreach (int slot in candidates)
        {
            if (Volatile.Read(ref *State(slot)) != Ready || !Digest(slot).SequenceEqual(digest))
            {
                continue;
            }

            // Raise our count first, then confirm: see the class comment for why this order is safe.
            Interlocked.Increment(ref _ownCounts[slot]);
            if (Volatile.Read(ref *State(slot)) != Ready || !Digest(slot).SequenceEqual(digest))
            {
                Interlocked.Decrement(ref _ownCounts[slot]);
                continue;
            }

            int length = Volatile.Read(ref *Length(slot));
            if (length <= 0 || length > SlotBytes)
            {
                Interlocked.Decrement(ref _ownCounts[slot]);
                throw new ShmSegmentCorruptedException($"{Path}: slot {slot} records {length} bytes in a slot of {SlotBytes} (corrupted arena refused)");
            }

            Interlocked.Increment(ref _references);
            Volatile.Write(ref *LastAccess(slot), DateTime.UtcNow.Ticks);
            offset = SlotOffset(slot);
            bytes = new SlotMemory(_base + offset, length).Memory;
            return slot;
        }

        bytes = default;
        offset = 0;
        return -1;
    }

    /// <summary>Drops the lease <see cref="TryLease"/> took on <paramref name="slot"/>.</summary>
    public void Release(int slot)
    {
        Interlocked.Decrement(ref _ownCounts[slot]);
        DropReference();
    }

    /// <summary>
    /// The caller holds the store's writer lock. Writes <paramref name="bytes"/> (whose SHA-256 is <paramref name="digest"/>) into a slot of
    /// the digest's two sets: a free one (one whose pages are already backed first, then one in the set with more free slots), else the least
    /// recently used unleased, unpinned one of the two sets, which
    /// <paramref name="evicted"/> sees first (to keep its bytes elsewhere or count them gone).
    /// The slot's last access is <paramref name="utcTicks"/> (the publish's one clock reading), or now when 0.
    /// </summary>
    public PublishOutcome Publish(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> bytes, PinnedDigest isPinned, EvictedSlot evicted, long utcTicks = 0)
    {
        if (bytes.Length == 0 || bytes.Length > SlotBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes.Length, $"an arena slot holds 1 to {SlotBytes} bytes");
        }

        Span<int> candidates = stackalloc int[2 * Ways];
        candidates = candidates[..Candidates(digest, candidates)];
        {
            // Per set (the first Ways candidates, then the second): its free slots and the one of
            // them whose pages tmpfs already backs most (no allocation, no page fault).
            Span<int> free = [-1, -1];
            Span<int> freeCount = [0, 0];
            for (int i = 0; i < candidates.Length; i++)
            {
                int slot = candidates[i];
                int state = RepairUnderLock(slot);
                if (state == Ready && Digest(slot).SequenceEqual(digest))
                {
                    return PublishOutcome.Existing;
                }

                if (state == Free)
                {
                    int set = i / Ways;
                    freeCount[set]++;
                    if (free[set] < 0 || *Reserved(slot) > *Reserved(free[set]))
                    {
                        free[set] = slot;
                    }
                }
            }

            // The two choices balance the sets: of two equally backed slots, the one in the set
            // with more room, so a set fills (and overflows into the next arena, or evicts) only
            // when both are nearly full. Taking the first set first overflowed at 60% occupancy.
            int chosen = free[0];
            if (free[1] >= 0 && (chosen < 0 || *Reserved(free[1]) > *Reserved(chosen)
                || (*Reserved(free[1]) == *Reserved(chosen) && freeCount[1] > freeCount[0])))
            {
                chosen = free[1];
            }

            if (chosen < 0)
            {
                chosen = EvictLeastRecentUnderLock(candidates, isPinned, evicted);
                if (chosen < 0)
                {
                    return PublishOutcome.NoRoom;
                }
            }

            return Fill(chosen, digest, bytes, utcTicks) ? PublishOutcome.Created : PublishOutcome.NoRoom;
        }
    }

    /// <summary>Outcome of <see cref="Remove"/>.</summary>
    public enum RemoveOutcome
    {
        /// <summary>The slot was freed.</summary>
        Removed,

        /// <summary>A live lease holds it.</summary>
        Leased,

        /// <summary>No slot holds the digest.</summary>
        Missing,
    }

    /// <summary>The caller holds the store's writer lock. Frees the slot of <paramref name="digest"/> unless a live lease holds it.</summary>
    public RemoveOutcome Remove(ReadOnlySpan<byte> digest, out int length)
    {
        Span<int> candidates = stackalloc int[2 * Ways];
        length = 0;
        {
            foreach (int slot in candidates[..Candidates(digest, candidates)])
            {
                if (RepairUnderLock(slot) != Ready || !Digest(slot).SequenceEqual(digest))
                {
                    continue;
                }

                length = *Length(slot);
                if (!TryBeginEvict(slot))
                {
                    return RemoveOutcome.Leased;
                }

                Volatile.Write(ref *State(slot), Free);
                return RemoveOutcome.Removed;
            }
        }

        return RemoveOutcome.Missing;
    }

    /// <summary>One occupied slot as a listing sees it.</summary>
    public readonly record struct SlotInfo(byte[] Digest, int Length, long Offset, DateTime LastAccessUtc, bool Leased);

    /// <summary>Every Ready slot (a snapshot; slots may change at once).</summary>
    public List<SlotInfo> List()
    {
        var found = new List<SlotInfo>();
        for (int slot = 0; slot < SlotCount; slot++)
        {
            if (Volatile.Read(ref *State(slot)) == Ready)
            {
                long ticks = Math.Clamp(Volatile.Read(ref *LastAccess(slot)), DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks);
                found.Add(new SlotInfo(Digest(slot).ToArray(), *Length(slot), SlotOffset(slot), new DateTime(ticks, DateTimeKind.Utc), IsLeased(slot)));
            }
        }

        return found;
    }

    /// <summary>Unmaps the arena once the store and every lease let go of it.</summary>
    public void Dispose() => DropReference();

    private void DropReference()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            // Nothing points into the mapping any more; unlocking the record's byte frees our lease
            // record even while a child being spawned holds a copy of the descriptor (see LockedFile.Dispose).
            LinuxNative.Unmap(_base, _mapLength);
            LinuxNative.UnlockByte(_file.Descriptor, LockByteBase + _record);
            _file.Dispose();
        }
    }

    private bool Fill(int slot, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> bytes, long utcTicks)
    {
        Volatile.Write(ref *State(slot), Writing);
        if (!_committed && *Reserved(slot) < bytes.Length)
        {
            // Bytes of the slot not yet known to be backed by tmpfs memory: a store through the
            // mapping into an unbacked page when tmpfs is full would be SIGBUS, so the first fill
            // writes with pwrite, which allocates the pages (or fails with ENOSPC) in one system
            // call. Later fills find their pages and copy through the mapping with no system call.
            // (An arena committed at creation is backed everywhere: always the copy.)
            if (!LinuxNative.TryWriteAt(_file.Descriptor, bytes, SlotOffset(slot)))
            {
                Volatile.Write(ref *State(slot), Free);
                return false;
            }

            *Reserved(slot) = bytes.Length;
        }
        else
        {
            EnsureMappedWritable(slot, bytes.Length);
            bytes.CopyTo(new Span<byte>(_base + SlotOffset(slot), bytes.Length));
        }

        *Length(slot) = bytes.Length;
        int* smallest = (int*)(_base + SmallestLengthOffset);
        if (*smallest != 0 && bytes.Length < *smallest)
        {
            // Before the slot is Ready: a publisher that reads the field under the lock after this
            // one released it sees the new length.
            Volatile.Write(ref *smallest, bytes.Length);
        }

        digest.CopyTo(new Span<byte>(_base + SlotHeader(slot) + 32, 32));
        *LastAccess(slot) = utcTicks != 0 ? utcTicks : DateTime.UtcNow.Ticks;
        // Release: a reader that sees Ready sees the bytes, length and digest above.
        Volatile.Write(ref *State(slot), Ready);
        return true;
    }

    private int EvictLeastRecentUnderLock(ReadOnlySpan<int> candidates, PinnedDigest isPinned, EvictedSlot evicted)
    {
        Span<int> order = stackalloc int[candidates.Length];
        candidates.CopyTo(order);

        // Insertion sort by last access: at most sixteen entries.
        for (int i = 1; i < order.Length; i++)
        {
            int slot = order[i];
            long key = *LastAccess(slot);
            int j = i - 1;
            while (j >= 0 && *LastAccess(order[j]) > key)
            {
                order[j + 1] = order[j];
                j--;
            }

            order[j + 1] = slot;
        }

        foreach (int slot in order)
        {
            if (*State(slot) != Ready || isPinned(Digest(slot)) || !TryBeginEvict(slot))
            {
                continue;
            }

            try
            {
                evicted(Digest(slot), new ReadOnlySpan<byte>(_base + SlotOffset(slot), *Length(slot)));
            }
            catch
            {
                Volatile.Write(ref *State(slot), Ready);
                throw;
            }

            Volatile.Write(ref *State(slot), Free);
            return slot;
        }

        return -1;
    }

    // Ready → Evicting, then look for leases; back to Ready when one is live. Under the lock.
    private bool TryBeginEvict(int slot)
    {
        if (Interlocked.CompareExchange(ref *State(slot), Evicting, Ready) != Ready)
        {
            return false;
        }

        if (IsLeased(slot))
        {
            Volatile.Write(ref *State(slot), Ready);
            return false;
        }

        return true;
    }

    private bool IsLeased(int slot)
    {
        int records = Math.Min(LeaseRecords, Volatile.Read(ref *(int*)(_base + 24)));
        for (int record = 0; record < records; record++)
        {
            int* counts = (int*)(_base + _leaseTables + (long)record * SlotCount * sizeof(int));
            if (Volatile.Read(ref counts[slot]) == 0)
            {
                continue;
            }

            // Our own record is live by definition (our own OFD lock never conflicts with us);
            // another record counts only while its owner holds its lock byte, i.e. is alive.
            if (record == _record || LinuxNative.IsByteLocked(_file.Descriptor, LockByteBase + record))
            {
                return true;
            }
        }

        return false;
    }

    // Under the lock no slot can legitimately be Writing or Evicting: those were left by a process
    // that died holding the lock. A half-written slot is freed; a half-evicted one is intact.
    private int RepairUnderLock(int slot)
    {
        int state = Volatile.Read(ref *State(slot));
        switch (state)
        {
            case Writing:
                Volatile.Write(ref *State(slot), Free);
                return Free;
            case Evicting:
                Volatile.Write(ref *State(slot), Ready);
                return Ready;
            case Free or Ready:
                return state;
            default:
                // A foreign value (corruption): the slot's content cannot be trusted, free it.
                Volatile.Write(ref *State(slot), Free);
                return Free;
        }
    }

    // Two choices: the digest names two sets (from two independent parts of it) and a CID may sit
    // in either. A publish overflows (evicts) only when both are full, which with random digests
    // is far rarer than one full set, and finds a freed slot with backed pages more often.
    private int Candidates(ReadOnlySpan<byte> digest, Span<int> slots)
    {
        int first = (int)(BinaryPrimitives.ReadUInt64LittleEndian(digest) % (ulong)_sets) * Ways;
        int second = (int)(BinaryPrimitives.ReadUInt64LittleEndian(digest[8..]) % (ulong)_sets) * Ways;
        for (int i = 0; i < Ways; i++)
        {
            slots[i] = first + i;
            slots[Ways + i] = second + i;
        }

        return first == second ? Ways : 2 * Ways;
    }

    private static long SlotHeader(int slot) => HeaderBytes + (long)slot * SlotHeaderBytes;

    private long SlotOffset(int slot) => _data + (long)slot * SlotBytes;

    // A committed arena's pages are backed but not yet mapped in this process, and a store into
    // each faults alone (a write fault maps one page; the first in the arena's life also clears
    // it): a publisher filling 1 KiB slots at random spent a third of each publish there. The
    // 2 MiB around a slot are mapped writable with one call the first time this process fills a
    // slot in them (MADV_POPULATE_WRITE; a kernel without it leaves the faults as they were).
    private void EnsureMappedWritable(int slot, int length)
    {
        if (_mappedWritable is null)
        {
            return;
        }

        long dataLength = (long)SlotCount * SlotBytes;
        long start = SlotOffset(slot) - _data;
        for (long chunk = start / WritableChunkBytes; chunk <= (start + length - 1) / WritableChunkBytes; chunk++)
        {
            ulong bit = 1UL << (int)(chunk & 63);
            if ((Volatile.Read(ref _mappedWritable[chunk >> 6]) & bit) == 0)
            {
                long from = chunk * WritableChunkBytes;
                LinuxNative.PopulateWritable(_base + _data + from, Math.Min(WritableChunkBytes, dataLength - from));
                Interlocked.Or(ref _mappedWritable[chunk >> 6], bit);
            }
        }
    }

    private int* State(int slot) => (int*)(_base + SlotHeader(slot));

    private int* Length(int slot) => (int*)(_base + SlotHeader(slot) + 4);

    private int* Reserved(int slot) => (int*)(_base + SlotHeader(slot) + 8);

    private long* LastAccess(int slot) => (long*)(_base + SlotHeader(slot) + 16);

    private ReadOnlySpan<byte> Digest(int slot) => new(_base + SlotHeader(slot) + 32, 32);

    private static long AlignUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;

    private static (long LeaseTables, long Data, long Total) Geometry(int slotBytes, int slotCount)
    {
        long leaseTables = AlignUp(HeaderBytes + (long)slotCount * SlotHeaderBytes, PageBytes);
        long data = AlignUp(leaseTables + (long)LeaseRecords * slotCount * sizeof(int), PageBytes);
        return (leaseTables, data, data + (long)slotCount * slotBytes);
    }

    /// <summary>Where the 64-byte header of the slot whose bytes start at <paramref name="slotOffset"/> lies (for tools and tests).</summary>
    public static long SlotHeaderOffsetOf(int slotBytes, int slotCount, long slotOffset) =>
        SlotHeader((int)((slotOffset - Geometry(slotBytes, slotCount).Data) / slotBytes));

    /// <summary>Checks the geometry options before anything is created.</summary>
    public static void ValidateGeometry(int slotBytes, int slotCount)
    {
        if (!ValidSlotBytes(slotBytes))
        {
            throw new ArgumentOutOfRangeException(nameof(slotBytes), slotBytes, "arena slots are 512 bytes to 16 MiB, a multiple of 512");
        }

        if (slotCount < Ways || slotCount > 1 << 22 || slotCount % Ways != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(slotCount), slotCount, $"an arena has {Ways} to {1 << 22} slots, a multiple of {Ways}");
        }
    }

    // Multiples of 512 keep every slot 8-byte aligned (Arrow buffers) and the slot table simple.
    private static bool ValidSlotBytes(int slotBytes) => slotBytes >= 512 && slotBytes <= 16 << 20 && slotBytes % 512 == 0;

    private static (int SlotBytes, int SlotCount) ReadGeometry(string path, ReadOnlySpan<byte> header, long size)
    {
        int slotBytes = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        int slotCount = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        bool valid = BinaryPrimitives.ReadUInt64LittleEndian(header) == Magic
            && BinaryPrimitives.ReadInt32LittleEndian(header[16..]) == Ways
            && BinaryPrimitives.ReadInt32LittleEndian(header[20..]) == LeaseRecords
            && ValidSlotBytes(slotBytes)
            && slotCount >= Ways && slotCount <= 1 << 22 && slotCount % Ways == 0;
        if (!valid || Geometry(slotBytes, slotCount).Total != size)
        {
            throw new ShmSegmentCorruptedException($"{path}: not an ArrowCid arena, or truncated ({size} bytes)");
        }

        return (slotBytes, slotCount);
    }

    private static int ClaimLeaseRecord(LockedFile file, byte* pointer, int slotCount)
    {
        long leaseTables = Geometry(PageBytes, slotCount).LeaseTables;
        for (int record = 0; record < LeaseRecords; record++)
        {
            if (!LinuxNative.TryLockByte(file.Descriptor, LockByteBase + record))
            {
                continue;
            }

            // A dead owner's counts are stale: give their pages back (they read as zeros).
            long tableBytes = (long)slotCount * sizeof(int);
            LinuxNative.PunchHole(file.Descriptor, leaseTables + record * tableBytes, tableBytes);
            *(int*)(pointer + 64 + record * 8) = Environment.ProcessId;
            int* highWater = (int*)(pointer + 24);
            int seen;
            while ((seen = Volatile.Read(ref *highWater)) <= record && Interlocked.CompareExchange(ref *highWater, record + 1, seen) != seen)
            {
            }

            return record;
        }

        throw new ShmException($"{file.Path}: all {LeaseRecords} lease records of the arena are held by open stores");
    }

    private static void CreateAtomically(string path, int slotBytes, int slotCount, bool commit, UnixFileMode mode)
    {
        ValidateGeometry(slotBytes, slotCount);
        string temp = path + ShmStoreLayout.TempPrefix + Guid.NewGuid().ToString("N");
        var header = new byte[36];
        BinaryPrimitives.WriteUInt64LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(SmallestLengthOffset), int.MaxValue);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), slotBytes);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), slotCount);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(16), Ways);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(20), LeaseRecords);
        try
        {
            using (var stream = LockedFile.CreateNew(temp, (int)mode, 0))
            {
                // Sparse on tmpfs: only pages written later take memory.
                var (_, data, total) = Geometry(slotBytes, slotCount);
                stream.SetLength(total);
                // Committed: the slot bytes are backed now, once (about 1 µs a page, paid here
                // instead of by publishes, and a reader's first touch maps a page that exists).
                // Without room the arena stays sparse and fills back their slots one by one.
                if (commit && LinuxNative.Reserve((int)stream.SafeFileHandle.DangerousGetHandle(), data, total - data))
                {
                    BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(28), 1);
                }

                stream.Write(header);
            }

            // link(2) never replaces: when another process created the arena first, theirs is kept.
            _ = LinuxNative.Link(temp, path);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>A slot's bytes as Memory, without copying; the arena's lease keeps them mapped.</summary>
    private sealed class SlotMemory(byte* pointer, int length) : System.Buffers.MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => new(pointer, length);

        public override System.Buffers.MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
