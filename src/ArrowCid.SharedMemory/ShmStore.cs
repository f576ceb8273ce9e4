using System.Security.Cryptography;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Validation;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Multiformats;
using ArrowCid.SharedMemory.Arena;
using ArrowCid.SharedMemory.Native;
using ArrowCid.SharedMemory.Notifications;
using ArrowCid.SharedMemory.Segments;

namespace ArrowCid.SharedMemory;

/// <summary>
/// Same-host, zero-copy exchange of record batches by content. <see cref="Publish"/> writes a
/// batch's canonical bytes once into shared memory on tmpfs — a slot of the store's arena for
/// small batches (the fast path: one mapping per process, no system calls per attach), else a
/// segment file named by its CID — and announces it on the store's notification feed;
/// <see cref="Attach"/>, in any process, verifies the bytes and returns a batch whose buffers point
/// into the mapping, under a cross-process lease that keeps the bytes from being evicted until the
/// batch is disposed. Layout and protocols are described in docs/shared-memory.md. Safe for use
/// from many threads.
/// </summary>
public sealed class ShmStore : IDisposable
{
    private readonly ShmStoreLayout _layout;
    private readonly ShmStoreOptions _options;
    private readonly ShmControlBlock _control;
    private readonly ShmFeed _feed;
    private readonly UnixFileMode _fileMode;
    private readonly bool _publishToArena;
    private readonly Lock _arenaGate = new();
    private ShmArenas? _arena;
    private bool _disposed;
    private readonly ShmArena.PinnedDigest _isPinnedDigest;
    private readonly ShmArena.EvictedSlot _onSlotEvicted;

    // The small-batch path encodes into this per-thread buffer, so a publish allocates no byte array.
    [ThreadStatic]
    private static MemoryStream? t_encodeBuffer;

    private ShmStore(ShmStoreOptions options, ShmStoreLayout layout, ShmControlBlock control, ShmFeed feed, UnixFileMode fileMode, ShmArenas? arena)
    {
        _options = options;
        _layout = layout;
        _control = control;
        _feed = feed;
        _fileMode = fileMode;
        _arena = arena;
        _publishToArena = arena is not null;
        _isPinnedDigest = digest => IsPinned(CidOfDigest(digest));
        _onSlotEvicted = OnSlotEvicted;
    }

    /// <summary>The store's folder.</summary>
    public string Directory => _layout.Root;

    /// <summary>The options it was opened with.</summary>
    public ShmStoreOptions Options => _options;

    /// <summary>Newest notification sequence (0 before the first publish).</summary>
    public long PublishedSequence => _feed.PublishedSequence;

    /// <summary>Opens (creating when needed) the store the options name.</summary>
    public static ShmStore Open(ShmStoreOptions? options = null)
    {
        LinuxNative.EnsureSupported();
        options ??= new ShmStoreOptions();
        if (options.CapacityBytes is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.CapacityBytes, "the capacity must be positive");
        }

        var layout = new ShmStoreLayout(options.ResolveDirectory());
        var folderMode = options.GroupReadable
            ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
            : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        var fileMode = options.GroupReadable
            ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead
            : UnixFileMode.UserRead | UnixFileMode.UserWrite;
        // The base folder is shared by every user's stores: ordinary permissions. The store's own
        // folders are the user's only (or the group's, when asked).
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(layout.Root)!);
        foreach (string folder in new[] { layout.Root, layout.Segments, layout.Pins })
        {
            LinuxNative.CreateDirectory(folder, (int)folderMode);
        }

        // Group members could not write their lease counts into the owner's arena: a store shared
        // with a group keeps every batch in a segment file of its own.
        bool useArena = options.ArenaSlotBytes > 0 && !options.GroupReadable;
        if (useArena)
        {
            ShmArena.ValidateGeometry(options.ArenaSlotBytes, options.ArenaSlots);
            if (options.ArenaSmallSlots > 0 && options.ArenaSmallSlotBytes > 0)
            {
                ShmArena.ValidateGeometry(options.ArenaSmallSlotBytes, options.ArenaSmallSlots);
            }
        }

        var control = ShmControlBlock.OpenOrCreate(layout.Control, fileMode);
        ShmFeed? feed = null;
        try
        {
            feed = new ShmFeed(layout.Feed, control, (int)fileMode);
            var arena = useArena ? ShmArenas.Open(layout, options, fileMode) : null;
            return new ShmStore(options, layout, control, feed, fileMode, arena);
        }
        catch
        {
            // Once built, the feed owns the control block.
            if (feed is not null)
            {
                feed.Dispose();
            }
            else
            {
                control.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Writes the batch's canonical bytes into a segment (once: publishing an existing CID only
    /// hashes the batch), hands it to <see cref="ShmStoreOptions.Published"/> when set, announces
    /// it on the feed and returns its CID. Tags travel with the notification (at most 144 bytes of
    /// <c>key=value</c> lines).
    /// </summary>
    /// <exception cref="ShmStoreFullException">The capacity cannot take the segment.</exception>
    public ShmPublishResult Publish(RecordBatch batch, IReadOnlyDictionary<string, string>? tags = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(batch);
        byte[] encodedTags = FeedRecord.EncodeTags(tags);
        long bufferBytes = SegmentWriter.BufferBytes(batch);
        if (_publishToArena && _arena is { } arena && bufferBytes <= arena.SlotBytes)
        {
            // Encoded once into a reused buffer, hashed there, copied once into the slot.
            var buffer = t_encodeBuffer ??= new MemoryStream(arena.SlotBytes);
            buffer.SetLength(0);
            CanonicalEncoder.Encode(batch, buffer);
            var bytes = new ReadOnlySpan<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
            if (buffer.Length > 64 << 20)
            {
                // Never keep a huge buffer alive per thread (a batch whose buffers are small can
                // still encode large, e.g. a long schema); not expected on this path.
                t_encodeBuffer = null;
            }

            return PublishEncoded(arena, bytes, batch, tags, encodedTags);
        }

        Cid cid;
        string temp;
        long length;
        if (bufferBytes < SegmentWriter.ParallelThreshold)
        {
            // Small: hash first, so republishing costs no I/O at all.
            (cid, length) = SegmentWriter.Hash(batch);
            if (File.Exists(_layout.SegmentPath(cid)))
            {
                return Existing(cid, length, batch.Length);
            }

            (temp, long written) = SegmentWriter.WriteTemp(batch, _layout.Segments, _fileMode);
            if (written != length)
            {
                File.Delete(temp);
                throw new ShmException($"the canonical encoder wrote {written} bytes but hashed {length}");
            }
        }
        else
        {
            (cid, temp, length) = SegmentWriter.HashAndWriteTemp(batch, _layout.Segments, _fileMode);
        }

        string path = _layout.SegmentPath(cid);
        try
        {
            MakeRoom(length);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        return CommitFile(temp, cid, length, batch, tags, encodedTags);
    }

    private ShmPublishResult CommitFile(string temp, Cid cid, long length, RecordBatch batch, IReadOnlyDictionary<string, string>? tags, byte[] encodedTags)
    {
        string path = _layout.SegmentPath(cid);
        if (!LinkSegmentFile(temp, cid, path))
        {
            return Existing(cid, length, batch.Length);
        }

        _control.AddBytes(length);
        NotifyPublished(cid, path, length, batch, tags);
        long sequence = _feed.Append(cid, length, batch.Length, encodedTags);
        return new ShmPublishResult(cid, path, length, batch.Length, sequence);
    }

    private ShmPublishResult PublishEncoded(ShmArenas arena, ReadOnlySpan<byte> bytes, RecordBatch batch, IReadOnlyDictionary<string, string>? tags, byte[] encodedTags)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes, digest);
        var cid = CidOfDigest(digest);
        // The control block's file filter usually proves no segment file holds the CID: no stat then.
        if (_control.MayHaveFile(digest) && File.Exists(_layout.SegmentPath(cid)))
        {
            return Existing(cid, bytes.Length, batch.Length);
        }

        var outcome = ShmArena.PublishOutcome.NoRoom;
        long sequence = 0;
        if (bytes.Length <= arena.SlotBytes)
        {
            MakeRoom(bytes.Length);
            // One lock for the slot and the notice (the feed's writer lock), unless a Published
            // callback must run between the two, which is not done while other publishers wait.
            using (_feed.EnterWriter())
            {
                outcome = arena.Publish(digest, bytes, _isPinnedDigest, _onSlotEvicted);
                if (outcome == ShmArena.PublishOutcome.Created)
                {
                    _control.AddBytes(bytes.Length);
                    if (_options.Published is null)
                    {
                        sequence = _feed.AppendLocked(cid, bytes.Length, batch.Length, encodedTags);
                    }
                }
            }
        }

        switch (outcome)
        {
            case ShmArena.PublishOutcome.Existing:
                return Existing(cid, bytes.Length, batch.Length);
            case ShmArena.PublishOutcome.Created:
                string path = _layout.SegmentPath(cid);
                if (sequence == 0)
                {
                    NotifyPublished(cid, path, bytes.Length, batch, tags);
                    sequence = _feed.Append(cid, bytes.Length, batch.Length, encodedTags);
                }

                return new ShmPublishResult(cid, path, bytes.Length, batch.Length, sequence);
            default:
                // Every slot of the CID's set is leased or pinned (or the batch outgrew a slot): a file of its own.
                string temp = SegmentWriter.WriteTemp(bytes, _layout.Segments, _fileMode);
                try
                {
                    MakeRoom(bytes.Length);
                }
                catch
                {
                    File.Delete(temp);
                    throw;
                }

                return CommitFile(temp, cid, bytes.Length, batch, tags, encodedTags);
        }
    }

    // Under the writer lock, for a slot about to be reused. In a store without a capacity limit
    // nothing published may disappear, so the bytes move to a segment file of their own; with a
    // limit, eviction is what the limit asks for and the bytes are dropped.
    private void OnSlotEvicted(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> bytes)
    {
        if (_options.CapacityBytes is null)
        {
            WriteSegmentFile(CidOfDigest(digest), bytes);
        }
        else
        {
            _control.AddBytes(-bytes.Length);
        }
    }

    // Gives arena bytes a segment file of their own (temp, link); false when one already existed.
    private bool WriteSegmentFile(Cid cid, ReadOnlySpan<byte> bytes)
    {
        string path = _layout.SegmentPath(cid);
        if (File.Exists(path))
        {
            return false;
        }

        return LinkSegmentFile(SegmentWriter.WriteTemp(bytes, _layout.Segments, _fileMode), cid, path);
    }

    // Links a written temp file as the segment of cid (false when one already existed). The file
    // filter bit is set before the link, so no publisher can skip its existence check for the file.
    private bool LinkSegmentFile(string temp, Cid cid, string path)
    {
        _control.NoteFile(cid.Hash.Digest);
        return SegmentWriter.Commit(temp, path);
    }

    private static Cid CidOfDigest(ReadOnlySpan<byte> digest) =>
        Cid.CreateV1(Multicodec.Raw, new Multihash(Multicodec.Sha2256, digest));

    /// <summary>
    /// Maps the segment of <paramref name="cid"/> read-only and returns its batch without copying
    /// (buffers point into the mapping), after verifying it as <see cref="ShmStoreOptions.Verification"/>
    /// says. The batch holds a lease: dispose it to let the segment go.
    /// </summary>
    /// <exception cref="ShmSegmentNotFoundException">No segment holds the CID.</exception>
    /// <exception cref="ShmSegmentCorruptedException">The segment does not hash to the CID or is not a valid stream.</exception>
    public RecordBatch Attach(Cid cid) => TryAttach(cid) ?? throw new ShmSegmentNotFoundException(cid);

    /// <summary>Like <see cref="Attach"/>, but null when no segment holds the CID.</summary>
    public RecordBatch? TryAttach(Cid cid)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(cid);
        if (cid.Codec != Multicodec.Raw || cid.Hash.Code != Multicodec.Sha2256)
        {
            throw new ArgumentException($"{cid}: segments hold raw sha2-256 CIDs (bafkrei…)", nameof(cid));
        }

        if (ArenaIfAny() is { } arena && TryAttachFromArena(arena, cid) is { } fromArena)
        {
            return fromArena;
        }

        string path = _layout.SegmentPath(cid);
        var batch = SegmentAttacher.TryAttach(cid, path, _options.Verification);
        if (batch is not null)
        {
            Touch(path);
        }

        return batch;
    }

    // A store that does not publish into the arena (ArenaSlotBytes = 0, or opened before another
    // process created the arena) still finds batches there: the arena is opened when it appears.
    private ShmArenas? ArenaIfAny()
    {
        var arena = Volatile.Read(ref _arena);
        if (arena is not null || !File.Exists(_layout.Arena))
        {
            return arena;
        }

        lock (_arenaGate)
        {
            if (_arena is null && !_disposed)
            {
                try
                {
                    _arena = ShmArenas.Open(_layout, options: null, _fileMode);
                }
                catch (IOException e) when (e is not ShmException)
                {
                    // Gone again, or not ours to write (a group member cannot hold leases in it).
                    return null;
                }
                catch (UnauthorizedAccessException)
                {
                    return null;
                }
            }

            return _arena;
        }
    }

    // The arena, when there is one and the CID's digest is of the size its slots are keyed by.
    private ShmArenas? ArenaFor(Cid cid) =>
        cid.Hash.Digest.Length == SHA256.HashSizeInBytes ? ArenaIfAny() : null;

    private RecordBatch? TryAttachFromArena(ShmArenas arenas, Cid cid)
    {
        // No system call here: the arena is mapped already and the lease is a count in it.
        var (arena, slot) = arenas.TryLease(cid.Hash.Digest, out var bytes, out long offset);
        if (arena is null)
        {
            return null;
        }

        var owner = new SharedLease(new ArenaLease(arena, slot));
        try
        {
            bool hash = _options.Verification == SegmentVerification.Full || !arena.OwnPrivate;
            // Only described when something is refused; the label costs nothing otherwise.
            var where = new ArenaLocation(arena.Path, offset);
            if (hash)
            {
                SegmentAttacher.VerifyHash(cid, where, bytes.Span);
            }

            return SegmentAttacher.ReadSingleBatch(where, bytes, owner, hash ? ValidationLevel.Full : ValidationLevel.Structural);
        }
        finally
        {
            owner.Release();
        }
    }

    /// <summary>
    /// The canonical bytes of a batch held in the arena, in place (no copy) under a lease and
    /// checked against the CID — always hashed, whatever <see cref="ShmStoreOptions.Verification"/>
    /// says, since the caller may hand them to another host. For servers that send a block's bytes
    /// as they are (Flight DoGet); a batch with a segment file of its own is mapped from
    /// <see cref="PathOf"/> instead. Dispose the result to let the slot go.
    /// </summary>
    /// <returns>The leased bytes, or null when no arena slot holds the CID.</returns>
    /// <exception cref="ShmSegmentCorruptedException">The slot does not hash to the CID.</exception>
    public ShmLeasedBytes? TryLeaseArenaBytes(Cid cid)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(cid);
        if (cid.Codec != Multicodec.Raw || cid.Hash.Code != Multicodec.Sha2256)
        {
            throw new ArgumentException($"{cid}: segments hold raw sha2-256 CIDs (bafkrei…)", nameof(cid));
        }

        if (ArenaFor(cid) is not { } arenas)
        {
            return null;
        }

        var (arena, slot) = arenas.TryLease(cid.Hash.Digest, out var bytes, out long offset);
        if (arena is null)
        {
            return null;
        }

        var lease = new ArenaLease(arena, slot);
        try
        {
            var where = new ArenaLocation(arena.Path, offset);
            SegmentAttacher.VerifyHash(cid, where, bytes.Span);
            return new ShmLeasedBytes(bytes, where.ToString(), lease);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>Whether a segment file or the arena holds <paramref name="cid"/>.</summary>
    public bool Contains(Cid cid)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(cid);
        return (ArenaFor(cid) is { } arena && arena.Contains(cid.Hash.Digest)) || File.Exists(_layout.SegmentPath(cid));
    }

    /// <summary>
    /// The segment file that holds (or would hold) <paramref name="cid"/>. A batch in the arena has
    /// no file of its own until <see cref="SegmentFile"/> gives it one.
    /// </summary>
    public string PathOf(Cid cid) => _layout.SegmentPath(cid);

    /// <summary>
    /// A segment file holding exactly the canonical bytes of <paramref name="cid"/>, for programs
    /// that map a file (pyarrow, apache-arrow): the existing file, or for a batch in the arena a new
    /// one, copied once from its slot after verifying the slot hashes to the CID.
    /// </summary>
    /// <exception cref="ShmSegmentNotFoundException">Neither a file nor the arena holds the CID.</exception>
    /// <exception cref="ShmSegmentCorruptedException">The arena slot does not hash to the CID.</exception>
    public string SegmentFile(Cid cid)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(cid);
        string path = _layout.SegmentPath(cid);
        if (File.Exists(path))
        {
            return path;
        }

        if (ArenaFor(cid) is not { } arenas)
        {
            throw new ShmSegmentNotFoundException(cid);
        }

        var (arena, slot) = arenas.TryLease(cid.Hash.Digest, out var bytes, out long offset);
        if (arena is null)
        {
            // Evicted (perhaps into a file) since we looked.
            return File.Exists(path) ? path : throw new ShmSegmentNotFoundException(cid);
        }

        try
        {
            SegmentAttacher.VerifyHash(cid, new ArenaLocation(arena.Path, offset), bytes.Span);
            if (WriteSegmentFile(cid, bytes.Span))
            {
                _control.AddBytes(bytes.Length);
            }

            return path;
        }
        finally
        {
            arena.Release(slot);
        }
    }

    /// <summary>Subscribes to notifications after sequence <paramref name="afterSequence"/>, optionally only those carrying every tag of <paramref name="tagFilter"/>.</summary>
    public ShmSubscription Subscribe(long afterSequence = 0, IReadOnlyDictionary<string, string>? tagFilter = null) =>
        new(_feed, afterSequence, tagFilter);

    /// <summary>Keeps the segment through eviction (it may still be removed by <see cref="Remove"/>).</summary>
    public void Pin(Cid cid) => File.WriteAllBytes(_layout.PinPath(cid), []);

    /// <summary>Lets eviction take the segment again.</summary>
    public void Unpin(Cid cid) => File.Delete(_layout.PinPath(cid));

    /// <summary>Removes a segment unless a lease is held on it; false when leased or absent.</summary>
    public bool Remove(Cid cid)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(cid);
        bool removed = false;
        if (ArenaFor(cid) is { } arena && RemoveFromArena(arena, cid.Hash.Digest) == SegmentEvictor.Outcome.Removed)
        {
            removed = true;
        }

        string path = _layout.SegmentPath(cid);
        long bytes;
        try
        {
            bytes = new FileInfo(path).Length;
        }
        catch (FileNotFoundException)
        {
            return removed;
        }

        using (LockEviction())
        {
            if (SegmentEvictor.TryRemove(path) == SegmentEvictor.Outcome.Removed)
            {
                _control.AddBytes(-bytes);
                removed = true;
            }
        }

        return removed;
    }

    /// <summary>
    /// Takes the store-wide eviction lock (blocking flock on <c>evict.lock</c>; the kernel drops it
    /// if the holder dies). Everyone who takes a segment file's exclusive lock — evictors, removal,
    /// the lease probe of <see cref="List"/> — holds it first, so a refused exclusive lock always
    /// means a reader's lease, never another process removing the same segment at that moment
    /// (which made a full store be reported spuriously). Readers never take it.
    /// </summary>
    private LockedFile? TryLockEviction()
    {
        try
        {
            return LockEviction();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private LockedFile LockEviction()
    {
        var file = LockedFile.Open(_layout.EvictionLock, writable: false, create: true, createMode: (int)_fileMode);
        try
        {
            file.LockExclusive();
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Every segment, least recently attached first: one entry per CID. A CID both in the arena and
    /// in a file of its own (promoted by <see cref="SegmentFile"/>) is listed once, as the file,
    /// leased when either is.
    /// </summary>
    public IReadOnlyList<ShmSegmentInfo> List()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var slots = new Dictionary<Cid, ArenaSlotEntry>();
        foreach (var (arena, slot) in ArenaIfAny()?.List() ?? [])
        {
            slots[CidOfDigest(slot.Digest)] = new ArenaSlotEntry(arena.Path, slot.Length, slot.Offset, slot.LastAccessUtc, slot.Leased);
        }

        var found = new List<ShmSegmentInfo>();
        // A reader of another user's group-readable store may be unable to create the lock file:
        // its listing then probes without it (a probe's answer can change at once anyway).
        using (TryLockEviction())
        {
            foreach (var file in Segments.SegmentFile.Scan(_layout.Segments))
            {
                bool leasedInArena = slots.Remove(file.Cid, out var twin) && twin.Leased;
                found.Add(new ShmSegmentInfo(file.Cid, file.Path, file.Bytes, file.LastAccessUtc, IsPinned(file.Cid), leasedInArena || SegmentEvictor.IsLeased(file.Path)));
            }
        }

        foreach (var (cid, slot) in slots)
        {
            found.Add(new ShmSegmentInfo(cid, slot.Path, slot.Length, slot.LastAccessUtc, IsPinned(cid), slot.Leased, slot.Offset));
        }

        return [.. found.OrderBy(s => s.LastAccessUtc).ThenBy(s => s.Path, StringComparer.Ordinal).ThenBy(s => s.ArenaOffset)];
    }

    private readonly record struct ArenaSlotEntry(string Path, int Length, long Offset, DateTime LastAccessUtc, bool Leased);

    /// <summary>The store's totals.</summary>
    public ShmStoreStats Stats()
    {
        var segments = List();
        return new ShmStoreStats(Directory, segments.Count, segments.Sum(s => s.Bytes), _options.CapacityBytes,
            segments.Count(s => s.Pinned), segments.Count(s => s.Leased), PublishedSequence);
    }

    /// <summary>Unmaps the control block and closes the feed; attached batches stay valid (the arena stays mapped until the last is released).</summary>
    public void Dispose()
    {
        lock (_arenaGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _arena?.Dispose();
        }

        // The feed owns the control block: both mappings go when no subscription is reading them.
        _feed.Dispose();
    }

    private ShmPublishResult Existing(Cid cid, long length, long rows) => new(cid, _layout.SegmentPath(cid), length, rows, 0);

    private void MakeRoom(long needed)
    {
        if (_options.CapacityBytes is not { } capacity || _control.CountedBytes + needed <= capacity)
        {
            return;
        }

        using var evicting = LockEviction();
        var candidates = new List<EvictionCandidate>();
        foreach (var file in Segments.SegmentFile.Scan(_layout.Segments))
        {
            candidates.Add(new EvictionCandidate(file.Cid, file.Bytes, file.LastAccessUtc, file.Path, () => SegmentEvictor.TryRemove(file.Path)));
        }

        if (ArenaIfAny() is { } arenas)
        {
            foreach (var (arena, slot) in arenas.List())
            {
                byte[] digest = slot.Digest;
                // Counted bytes are reset from the scan afterwards, so the removal's own count is not applied twice.
                candidates.Add(new EvictionCandidate(CidOfDigest(digest), slot.Length, slot.LastAccessUtc, arena.Path + "@" + slot.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture), () => RemoveFromArena(arenas, digest)));
            }
        }

        long total = SegmentEvictor.MakeRoom(candidates, needed, capacity, IsPinned);
        _control.SetBytes(total);
    }

    // Frees the slot unless leased, under the writer lock, and uncounts its bytes.
    private SegmentEvictor.Outcome RemoveFromArena(ShmArenas arena, ReadOnlySpan<byte> digest)
    {
        ShmArena.RemoveOutcome outcome;
        int length;
        using (_feed.EnterWriter())
        {
            outcome = arena.Remove(digest, out length);
        }

        switch (outcome)
        {
            case ShmArena.RemoveOutcome.Removed:
                _control.AddBytes(-length);
                return SegmentEvictor.Outcome.Removed;
            case ShmArena.RemoveOutcome.Leased:
                return SegmentEvictor.Outcome.Leased;
            default:
                return SegmentEvictor.Outcome.Missing;
        }
    }

    private bool IsPinned(Cid cid) =>
        File.Exists(_layout.PinPath(cid)) || _options.IsPinnedElsewhere?.Invoke(cid) == true;

    private void NotifyPublished(Cid cid, string path, long length, RecordBatch batch, IReadOnlyDictionary<string, string>? tags) =>
        _options.Published?.Invoke(new ShmPublishedBatch(cid, path, length, batch, tags ?? new Dictionary<string, string>()));

    private static void Touch(string path)
    {
        try
        {
            // Eviction's recency: mapped reads do not move atime, so attach stamps it.
            File.SetLastAccessTimeUtc(path, DateTime.UtcNow);
        }
        catch (UnauthorizedAccessException)
        {
            // A group member cannot stamp the owner's file: recency then follows publish order.
        }
    }

    /// <summary>Names an arena slot in error messages (formatted only when one is thrown).</summary>
    private sealed record ArenaLocation(string Arena, long Offset)
    {
        public override string ToString() => $"{Arena} at offset {Offset}";
    }
}
