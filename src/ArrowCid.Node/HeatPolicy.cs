namespace ArrowCid.Node;

/// <summary>
/// Which blocks a cache of bounded bytes keeps: adaptive replacement (ARC, Megiddo and Modha 2003)
/// weighed in bytes. Blocks used once sit in a recency list, blocks used again in a frequency list;
/// each list has a ghost list of keys recently evicted from it, and a hit on a ghost moves the
/// target split between the two towards the list that would have kept it. A scan of blocks used
/// once therefore evicts other blocks used once, not the ones read again and again.
/// </summary>
/// <remarks>
/// Not thread-safe: its owner serializes the calls. Sizes are bytes; <see cref="Victims"/> hands
/// out what to evict while the resident bytes exceed the capacity, and the owner evicts them (or
/// <see cref="Hold"/>s one that must stay). Ghost lists keep keys only, at most the capacity's
/// worth of the bytes their blocks had.
/// </remarks>
/// <typeparam name="TKey">What names a block.</typeparam>
public sealed class HeatPolicy<TKey>
    where TKey : notnull
{
    private readonly LinkedList<Entry> _recent = new();      // T1: resident, used once since admitted
    private readonly LinkedList<Entry> _frequent = new();    // T2: resident, used again
    private readonly LinkedList<Entry> _recentGhosts = new();   // B1: evicted from T1, keys only
    private readonly LinkedList<Entry> _frequentGhosts = new(); // B2: evicted from T2, keys only
    private readonly Dictionary<TKey, LinkedListNode<Entry>> _entries = [];
    private readonly Dictionary<TKey, long> _held = [];
    private long _recentBytes;
    private long _frequentBytes;
    private long _recentGhostBytes;
    private long _frequentGhostBytes;
    private long _recentTarget; // p: the bytes ARC aims to give the recency list
    private bool _lastAdmittedFromFrequentGhost;

    /// <summary>A policy for a cache of <paramref name="capacity"/> bytes.</summary>
    public HeatPolicy(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    /// <summary>The bytes the resident blocks (held ones aside) may take.</summary>
    public long Capacity { get; }

    /// <summary>The bytes of the resident blocks the policy may evict.</summary>
    public long ResidentBytes => _recentBytes + _frequentBytes;

    /// <summary>The bytes of blocks held outside the policy (<see cref="Hold"/>): never evicted, not counted against the capacity.</summary>
    public long HeldBytes { get; private set; }

    /// <summary>How many blocks are resident, held ones included.</summary>
    public int Count => _recent.Count + _frequent.Count + _held.Count;

    /// <summary>Whether the block is resident (or held).</summary>
    public bool Contains(TKey key) => _held.ContainsKey(key) || (_entries.TryGetValue(key, out var node) && node.Value.Resident);

    /// <summary>
    /// A read of a resident block (a hit): it moves to the front of the frequency list. False when
    /// the block is not resident (the caller then fetches it and <see cref="Admit"/>s it).
    /// </summary>
    public bool Touch(TKey key)
    {
        if (_held.ContainsKey(key))
        {
            return true;
        }

        if (!_entries.TryGetValue(key, out var node) || !node.Value.Resident)
        {
            return false;
        }

        Unlink(node);
        Link(node, _frequent);
        return true;
    }

    /// <summary>
    /// A block that is now resident: fetched after a miss, or stored by a put. A key found in a
    /// ghost list adapts the split and goes to the frequency list; a new one goes to the recency
    /// list. An already resident block counts as a <see cref="Touch"/>.
    /// </summary>
    public void Admit(TKey key, long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        if (Touch(key))
        {
            return;
        }

        if (_entries.TryGetValue(key, out var ghost))
        {
            bool fromRecent = ghost.List == _recentGhosts;
            if (fromRecent)
            {
                // B1 hit: recency would have kept it; grow its share.
                long step = Math.Max(_frequentGhostBytes / Math.Max(_recentGhostBytes, 1), 1) * Math.Max(size, 1);
                _recentTarget = Math.Min(Capacity, _recentTarget + step);
            }
            else
            {
                long step = Math.Max(_recentGhostBytes / Math.Max(_frequentGhostBytes, 1), 1) * Math.Max(size, 1);
                _recentTarget = Math.Max(0, _recentTarget - step);
            }

            _lastAdmittedFromFrequentGhost = !fromRecent;
            Unlink(ghost);
            ghost.Value.Size = size;
            ghost.Value.Resident = true;
            Link(ghost, _frequent);
            return;
        }

        _lastAdmittedFromFrequentGhost = false;
        var entry = new LinkedListNode<Entry>(new Entry(key) { Size = size, Resident = true });
        _entries[key] = entry;
        Link(entry, _recent);
        TrimGhosts();
    }

    /// <summary>
    /// The blocks to evict, least valuable first, until the resident bytes fit the capacity. Each
    /// is moved to its ghost list as it is handed out: the caller evicts it, or gives it back with
    /// <see cref="Hold"/>. Enumerate it whole (or stop early, leaving the rest resident).
    /// </summary>
    public IEnumerable<(TKey Key, long Size)> Victims()
    {
        while (ResidentBytes > Capacity)
        {
            // ARC's REPLACE: from the recency list while it is over its target (or at it, when the
            // block being admitted was a frequency ghost), else from the frequency list.
            bool fromRecent = _recent.Count > 0
                && (_frequent.Count == 0 || _recentBytes > _recentTarget || (_lastAdmittedFromFrequentGhost && _recentBytes == _recentTarget));
            var list = fromRecent ? _recent : _frequent;
            var victim = list.Last!;
            Unlink(victim);
            victim.Value.Resident = false;
            Link(victim, fromRecent ? _recentGhosts : _frequentGhosts);
            TrimGhosts();
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

    /// <summary>A held block the policy may evict again: it goes to the cold end of the recency list, the next victim.</summary>
    public void Release(TKey key)
    {
        if (_held.Remove(key, out long size))
        {
            HeldBytes -= size;
            var entry = new LinkedListNode<Entry>(new Entry(key) { Size = size, Resident = true });
            _entries[key] = entry;
            _recent.AddLast(entry);
            _recentBytes += size;
        }
    }

    /// <summary>
    /// A resident block gone for another reason (gc, a repair): the policy forgets it. A ghost stays
    /// (the block is not resident anyway, and its history still tells the split).
    /// </summary>
    public void Forget(TKey key)
    {
        if (_held.Remove(key, out long size))
        {
            HeldBytes -= size;
        }

        if (_entries.TryGetValue(key, out var node) && node.Value.Resident)
        {
            _entries.Remove(key);
            Unlink(node);
        }
    }

    // Ghost lists hold about the capacity's worth of bytes in all, the recency ghosts at most what the recency list leaves of it.
    private void TrimGhosts()
    {
        while (_recentGhosts.Count > 0 && _recentBytes + _recentGhostBytes > Capacity)
        {
            Drop(_recentGhosts.Last!);
        }

        while (_frequentGhosts.Count > 0 && ResidentBytes + _recentGhostBytes + _frequentGhostBytes > 2 * Capacity)
        {
            Drop(_frequentGhosts.Last!);
        }

        void Drop(LinkedListNode<Entry> ghost)
        {
            Unlink(ghost);
            _entries.Remove(ghost.Value.Key);
        }
    }

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
        if (list == _recent)
        {
            _recentBytes += delta;
        }
        else if (list == _frequent)
        {
            _frequentBytes += delta;
        }
        else if (list == _recentGhosts)
        {
            _recentGhostBytes += delta;
        }
        else
        {
            _frequentGhostBytes += delta;
        }
    }

    private sealed class Entry(TKey key)
    {
        public TKey Key { get; } = key;

        public long Size { get; set; }

        public bool Resident { get; set; }
    }
}
