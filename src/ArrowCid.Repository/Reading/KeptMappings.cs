using ArrowCid.Arrow.Memory;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Repository;

/// <summary>
/// The block files a <see cref="BlockReader"/> keeps mapped for <see cref="BlockAccess.Keep"/>: a
/// block sent again and again (a server streaming a hot table) is then served from the mapping it
/// already has, with no open, read, unmap or page fault per send. Bounded by count and bytes. When
/// full, the least recently used mapping makes room only if it has been idle for
/// <see cref="IdleTime"/>; otherwise the new block is not kept (the caller reads it), so a scan over
/// more than fits keeps what it has rather than unmapping everything once per pass.
/// <para>Thread-safe: one lock around the map and the recency list, held for lookups only.</para>
/// </summary>
internal sealed class KeptMappings
{
    /// <summary>How long the least recently used mapping must have gone unused before a new block may take its place.</summary>
    public static readonly TimeSpan IdleTime = TimeSpan.FromSeconds(30);

    private readonly object _gate = new();
    private readonly Dictionary<Cid, LinkedListNode<Kept>> _byCid = [];
    private readonly LinkedList<Kept> _recency = new();
    private readonly int _maxCount;
    private readonly long _maxBytes;
    private long _bytes;

    /// <summary>Keeps at most <paramref name="maxCount"/> mappings of at most <paramref name="maxBytes"/> bytes in all.</summary>
    public KeptMappings(int maxCount, long maxBytes)
    {
        _maxCount = maxCount;
        _maxBytes = maxBytes;
    }

    /// <summary>How many mappings are kept (for tests).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byCid.Count;
            }
        }
    }

    /// <summary>
    /// A new reference to the kept mapping of <paramref name="cid"/> when it was made of a file with
    /// <paramref name="stamp"/>; null when none is kept. A mapping kept under another stamp is
    /// dropped (the file was replaced or changed) and null returned.
    /// </summary>
    public (ReadOnlyMemory<byte> Memory, IDisposable Reference)? TryAcquire(Cid cid, FileStamp stamp, DateTime now)
    {
        lock (_gate)
        {
            if (!_byCid.TryGetValue(cid, out var node))
            {
                return null;
            }

            if (node.Value.Stamp != stamp)
            {
                RemoveLocked(node);
                return null;
            }

            node.Value.LastUsed = now;
            _recency.Remove(node);
            _recency.AddFirst(node);
            return (node.Value.Mapping.Memory, node.Value.Lease.Acquire());
        }
    }

    /// <summary>Whether a mapping of <paramref name="length"/> bytes would be kept now (the answer may change before <see cref="TryKeep"/>).</summary>
    public bool HasRoomFor(long length, DateTime now)
    {
        lock (_gate)
        {
            return (_byCid.Count < _maxCount && _bytes + length <= _maxBytes)
                || (_recency.Last is { } oldest && now - oldest.Value.LastUsed >= IdleTime);
        }
    }

    /// <summary>
    /// Keeps <paramref name="mapping"/> (whose first reference the caller gives up) and returns a
    /// reference for the caller; when there is no room, nothing is kept and null is returned (the
    /// caller still owns the mapping).
    /// </summary>
    public IDisposable? TryKeep(Cid cid, FileStamp stamp, MappedFileMemory mapping, DateTime now)
    {
        lock (_gate)
        {
            if (_byCid.TryGetValue(cid, out var existing))
            {
                RemoveLocked(existing);
            }

            while (_byCid.Count >= _maxCount || _bytes + mapping.Length > _maxBytes)
            {
                var oldest = _recency.Last;
                if (oldest is null || now - oldest.Value.LastUsed < IdleTime)
                {
                    return null;
                }

                RemoveLocked(oldest);
            }

            var kept = new Kept(cid, stamp, mapping, new SharedLease(mapping)) { LastUsed = now };
            _byCid[cid] = _recency.AddFirst(kept);
            _bytes += mapping.Length;
            return kept.Lease.Acquire();
        }
    }

    /// <summary>Drops the kept mapping of <paramref name="cid"/>, if any (it is unmapped once no lease holds it).</summary>
    public void Drop(Cid cid)
    {
        lock (_gate)
        {
            if (_byCid.TryGetValue(cid, out var node))
            {
                RemoveLocked(node);
            }
        }
    }

    // The keeper's reference goes; blocks still being sent hold theirs until they are disposed.
    private void RemoveLocked(LinkedListNode<Kept> node)
    {
        _recency.Remove(node);
        _byCid.Remove(node.Value.Cid);

        _bytes -= node.Value.Mapping.Length;
        node.Value.Lease.Release();
    }

    private sealed class Kept(Cid cid, FileStamp stamp, MappedFileMemory mapping, SharedLease lease)
    {
        public Cid Cid { get; } = cid;

        public FileStamp Stamp { get; } = stamp;

        public MappedFileMemory Mapping { get; } = mapping;

        public SharedLease Lease { get; } = lease;

        public DateTime LastUsed { get; set; }
    }
}
