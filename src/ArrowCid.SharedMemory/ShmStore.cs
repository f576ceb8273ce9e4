using ArrowCid.Arrow.Arrays;
using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using ArrowCid.SharedMemory.Native;
using ArrowCid.SharedMemory.Notifications;
using ArrowCid.SharedMemory.Segments;

namespace ArrowCid.SharedMemory;

/// <summary>
/// Same-host, zero-copy exchange of record batches by content. <see cref="Publish"/> writes a
/// batch's canonical bytes once into a segment file on tmpfs named by its CID and announces it on
/// the store's notification feed; <see cref="Attach"/>, in any process, maps the segment
/// read-only, verifies it and returns a batch whose buffers point into the mapping, under a
/// cross-process lease that keeps the segment from being evicted until the batch is disposed.
/// Layout and protocols are described in docs/shared-memory.md. Safe for use from many threads.
/// </summary>
public sealed class ShmStore : IDisposable
{
    private readonly ShmStoreLayout _layout;
    private readonly ShmStoreOptions _options;
    private readonly ShmControlBlock _control;
    private readonly ShmFeed _feed;
    private readonly UnixFileMode _fileMode;

    private ShmStore(ShmStoreOptions options, ShmStoreLayout layout, ShmControlBlock control, ShmFeed feed, UnixFileMode fileMode)
    {
        _options = options;
        _layout = layout;
        _control = control;
        _feed = feed;
        _fileMode = fileMode;
    }

    /// <summary>The store's folder.</summary>
    public string Directory => _layout.Root;

    /// <summary>The options it was opened with.</summary>
    public ShmStoreOptions Options => _options;

    /// <summary>Newest notification sequence (0 before the first publish).</summary>
    public long PublishedSequence => _control.PublishedSequence;

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

        var control = ShmControlBlock.OpenOrCreate(layout.Control, fileMode);
        try
        {
            var feed = new ShmFeed(layout.Feed, control, (int)fileMode);
            return new ShmStore(options, layout, control, feed, fileMode);
        }
        catch
        {
            control.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes the batch's canonical bytes into a segment (once: publishing an existing CID only
    /// hashes the batch), registers it when the store has a registry, announces it on the feed and
    /// returns its CID. Tags travel with the notification (at most 144 bytes of <c>key=value</c> lines).
    /// </summary>
    /// <exception cref="ShmStoreFullException">The capacity cannot take the segment.</exception>
    public ShmPublishResult Publish(RecordBatch batch, IReadOnlyDictionary<string, string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        byte[] encodedTags = FeedRecord.EncodeTags(tags);
        Cid cid;
        string temp;
        long length;
        if (SegmentWriter.BufferBytes(batch) < SegmentWriter.ParallelThreshold)
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

        if (!SegmentWriter.Commit(temp, path))
        {
            return Existing(cid, length, batch.Length);
        }

        _control.AddBytes(length);
        Register(cid, path, length, batch, tags);
        long sequence = _feed.Append(cid, length, batch.Length, encodedTags);
        return new ShmPublishResult(cid, path, length, batch.Length, sequence);
    }

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
        ArgumentNullException.ThrowIfNull(cid);
        if (cid.Codec != Multicodec.Raw || cid.Hash.Code != Multicodec.Sha2256)
        {
            throw new ArgumentException($"{cid}: segments hold raw sha2-256 CIDs (bafkrei…)", nameof(cid));
        }

        string path = _layout.SegmentPath(cid);
        var batch = SegmentAttacher.TryAttach(cid, path, _options.Verification);
        if (batch is not null)
        {
            Touch(path);
        }

        return batch;
    }

    /// <summary>Whether a segment holds <paramref name="cid"/>.</summary>
    public bool Contains(Cid cid) => File.Exists(_layout.SegmentPath(cid));

    /// <summary>The segment file that holds (or would hold) <paramref name="cid"/>.</summary>
    public string PathOf(Cid cid) => _layout.SegmentPath(cid);

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
        var segment = SegmentFile.Scan(_layout.Segments).Find(s => s.Cid == cid);
        if (segment is null || SegmentEvictor.TryRemove(segment.Path) != SegmentEvictor.Outcome.Removed)
        {
            return false;
        }

        _control.AddBytes(-segment.Bytes);
        return true;
    }

    /// <summary>Every segment, least recently attached first.</summary>
    public IReadOnlyList<ShmSegmentInfo> List() =>
        [.. SegmentFile.Scan(_layout.Segments)
            .OrderBy(s => s.LastAccessUtc).ThenBy(s => s.Path, StringComparer.Ordinal)
            .Select(s => new ShmSegmentInfo(s.Cid, s.Path, s.Bytes, s.LastAccessUtc, IsPinned(s.Cid), SegmentEvictor.IsLeased(s.Path)))];

    /// <summary>The store's totals.</summary>
    public ShmStoreStats Stats()
    {
        var segments = List();
        return new ShmStoreStats(Directory, segments.Count, segments.Sum(s => s.Bytes), _options.CapacityBytes,
            segments.Count(s => s.Pinned), segments.Count(s => s.Leased), PublishedSequence);
    }

    /// <summary>Unmaps the control block and closes the feed; attached batches stay valid.</summary>
    public void Dispose()
    {
        _feed.Dispose();
        _control.Dispose();
    }

    private ShmPublishResult Existing(Cid cid, long length, long rows) => new(cid, _layout.SegmentPath(cid), length, rows, 0);

    private void MakeRoom(long needed)
    {
        if (_options.CapacityBytes is not { } capacity || _control.CountedBytes + needed <= capacity)
        {
            return;
        }

        long total = SegmentEvictor.MakeRoom(SegmentFile.Scan(_layout.Segments), needed, capacity, IsPinned);
        _control.SetBytes(total);
    }

    private bool IsPinned(Cid cid) =>
        File.Exists(_layout.PinPath(cid)) || _options.Registry?.Find(cid)?.Pinned == true;

    private void Register(Cid cid, string path, long length, RecordBatch batch, IReadOnlyDictionary<string, string>? tags)
    {
        _options.Registry?.Upsert(new BlockRecord
        {
            Cid = cid,
            Kind = BlockKind.Batch,
            Schema = batch.Schema.ToString(),
            Rows = batch.Length,
            Bytes = length,
            Producer = _options.Producer,
            Tags = tags ?? new Dictionary<string, string>(),
            Locations = ["shm:" + path],
        });
    }

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
}
