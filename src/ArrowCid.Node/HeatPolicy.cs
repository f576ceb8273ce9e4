namespace ArrowCid.Node;

/// <summary>
/// Which blocks a cache of bounded bytes keeps: W-TinyLFU (Einziger, Friedman and Manes 2017, as
/// Caffeine runs it) weighed in bytes. A new block enters a small window kept by recency (1% of the
/// capacity); what leaves the window enters the main space on probation, and a block read again
/// there is protected (80% of the main space). When the cache is over its capacity, the newest
/// block on probation is kept over the oldest only if it has been used more often lately
/// (<see cref="FrequencySketch"/>): a scan of blocks used once evicts other blocks used once, and
/// on a skewed mix the cache holds about the most used blocks, which is the best any policy that
/// does not know the future can do when reads are drawn independently.
/// </summary>
/// <remarks>
/// Not thread-safe: its owner serializes the calls. Sizes are bytes; <see cref="Victims"/> hands
/// out what to evict while the resident bytes exceed the capacity, and the owner evicts them (or
/// <see cref="Hold"/>s one that must stay). Chosen over adaptive replacement (ARC), which reached
/// 0.85 of the offline optimum on <c>bench s3</c>'s skewed mix, where this reaches 0.9
/// (docs/performance.md).
/// </remarks>
/// <typeparam name="TKey">What names a block.</typeparam>
public sealed class HeatPolicy<TKey>
    where TKey : notnull
{
    private readonly LinkedList<Entry> _window = new();     // the newest blocks, by recency
    private readonly LinkedList<Entry> _probation = new();  // main space: out of the window, not read since
    private readonly LinkedList<Entry> _protected = new();  // main space: read again on probation
    private readonly Dictionary<TKey, LinkedListNode<Entry>> _entries = [];
    private readonly Dictionary<TKey, long> _held = [];
    private readonly FrequencySketch _frequency = new();
    private readonly long _windowTarget;
    private readonly long _protectedTarget;
    private long _windowBytes;
    private long _probationBytes;
    private long _protectedBytes;

    /// <summary>A policy for a cache of <paramref name="capacity"/> bytes.</summary>
    public HeatPolicy(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        _windowTarget = Math.Max(1, capacity / 100);
        _protectedTarget = (long)((capacity - _windowTarget) * 0.8);
    }

    /// <summary>The bytes the resident blocks (held ones aside) may take.</summary>
    public long Capacity { get; }

    /// <summary>The bytes of the resident blocks the policy may evict.</summary>
    public long ResidentBytes => _windowBytes + _probationBytes + _protectedBytes;

    /// <summary>The bytes of blocks held outside the policy (<see cref="Hold"/>): never evicted, not counted against the capacity.</summary>
    public long HeldBytes { get; private set; }

    /// <summary>How many blocks are resident, held ones included.</summary>
    public int Count => _entries.Count + _held.Count;

    /// <summary>Whether the block is resident (or held).</summary>
    public bool Contains(TKey key) => _held.ContainsKey(key) || _entries.ContainsKey(key);

    /// <summary>
    /// A read of a resident block (a hit): it counts as a use, and a block on probation becomes
    /// protected. False when the block is not resident (the caller then fetches it and
    /// <see cref="Admit"/>s it, which counts the use).
    /// </summary>
    public bool Touch(TKey key)
    {
        if (_held.ContainsKey(key))
        {
            return true;
        }

        if (!_entries.TryGetValue(key, out var node))
        {
            return false;
        }

        _frequency.Increment(Hash(key), Count);
        var list = node.List!;
        Unlink(node);
        if (list == _window)
        {
            Link(node, _window);
        }
        else
        {
            Link(node, _protected);
            // Protected beyond its share: its least recent go back on probation, as the newest there.
            while (_protectedBytes > _protectedTarget && _protected.Count > 1)
            {
                var demoted = _protected.Last!;
                Unlink(demoted);
                Link(demoted, _probation);
            }
        }

        return true;
    }

    /// <summary>
    /// A block that is now resident: fetched after a miss, or stored by a put. It counts as a use
    /// and enters the window; what the window no longer holds goes on probation. An already
    /// resident block counts as a <see cref="Touch"/>.
    /// </summary>
    public void Admit(TKey key, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        if (Touch(key))
        {
            return;
        }

        var entry = new LinkedListNode<Entry>(new Entry(key) { Size = size });
        _entries[key] = entry;
        _frequency.Increment(Hash(key), Count);
        Link(entry, _window);
        while (_windowBytes > _windowTarget && _window.Count > 0)
        {
            var oldest = _window.Last!;
            Unlink(oldest);
            Link(oldest, _probation);
        }
    }

    /// <summary>
    /// The blocks to evict, least valuable first, until the resident bytes fit the capacity: of the
    /// newest and the oldest block on probation, the newest unless it was used more lately (a
    /// newcomer has to earn its place, so neither a tie nor a counter it shares lets a block used
    /// once push out one used again); then protected blocks, least recent first; then the
    /// window's. Each leaves the policy as it is handed out: the caller evicts it, or gives it back
    /// with <see cref="Hold"/>. Enumerate it whole (or stop early, leaving the rest resident).
    /// </summary>
    public IEnumerable<(TKey Key, long Size)> Victims()
    {
        while (ResidentBytes > Capacity)
        {
            LinkedListNode<Entry> victim;
            if (_probation.Count >= 2)
            {
                var newest = _probation.First!;
                var oldest = _probation.Last!;
                victim = _frequency.Estimate(Hash(newest.Value.Key)) > _frequency.Estimate(Hash(oldest.Value.Key)) ? oldest : newest;
            }
            else
            {
                victim = _probation.Last ?? _protected.Last ?? _window.Last!;
            }

            Unlink(victim);
            _entries.Remove(victim.Value.Key);
            yield return (victim.Value.Key, victim.Value.Size);
        }
    }

    /// <summary>
    /// Keeps a block outside the policy: never a victim, not counted against the capacity (a
    /// pinned table's block). <see cref="Release"/> gives it back.
    /// </summary>
    public void Hold(TKey key, long size)
    {
        if (_entries.Remove(key, out var node))
        {
            Unlink(node);
        }

        if (_held.Remove(key, out long before))
        {
            HeldBytes -= before;
        }

        _held[key] = size;
        HeldBytes += size;
    }

    /// <summary>Every held block, for the owner to look at again.</summary>
    public IReadOnlyCollection<TKey> Held => _held.Keys;

    /// <summary>A held block the policy may evict again: it goes on probation as its newest block, the next victim unless it was used more than the oldest there.</summary>
    public void Release(TKey key)
    {
        if (_held.Remove(key, out long size))
        {
            HeldBytes -= size;
            var entry = new LinkedListNode<Entry>(new Entry(key) { Size = size });
            _entries[key] = entry;
            Link(entry, _probation);
        }
    }

    /// <summary>A resident block gone for another reason (gc, a repair): the policy forgets it; its use count fades with the others.</summary>
    public void Forget(TKey key)
    {
        if (_held.Remove(key, out long size))
        {
            HeldBytes -= size;
        }

        if (_entries.Remove(key, out var node))
        {
            Unlink(node);
        }
    }

    private static int Hash(TKey key) => EqualityComparer<TKey>.Default.GetHashCode(key);

    private void Link(LinkedListNode<Entry> node, LinkedList<Entry> list)
    {
        list.AddFirst(node);
        Adjust(list, node.Value.Size);
    }

    private void Unlink(LinkedListNode<Entry> node)
    {
        var list = node.List!;
        list.Remove(node);
        Adjust(list, -node.Value.Size);
    }

    private void Adjust(LinkedList<Entry> list, long delta)
    {
        if (list == _window)
        {
            _windowBytes += delta;
        }
        else if (list == _probation)
        {
            _probationBytes += delta;
        }
        else
        {
            _protectedBytes += delta;
        }
    }

    private sealed class Entry(TKey key)
    {
        public TKey Key { get; } = key;

        public long Size { get; set; }
    }
}
