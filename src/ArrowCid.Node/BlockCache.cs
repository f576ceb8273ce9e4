using System.Diagnostics.Metrics;
using ArrowCid.Content;
using ArrowCid.Content.Multiformats;
using ArrowCid.Repository;

namespace ArrowCid.Node;

/// <summary>
/// The node's disk as a cache of its durable tier, bounded in bytes and evicted by heat
/// (<see cref="HeatPolicy{TKey}"/>, W-TinyLFU weighed in bytes): issue 66's local tier.
/// A block enters once it is durable in the tier (a put's block after its upload, a block read from
/// the tier), and at start every block file on disk; a read served from disk is a hit; when the
/// block files exceed the capacity (checked after each entry, and by <see cref="Trim"/> once the
/// node's location is known at start), the coldest go (<see cref="LocalRepository.Evict"/>), and this node's location with them in the
/// shared registry, whose record keeps the tier's. A block a pin on this node retains stays,
/// outside the bound. The bound is on block files: a node with a cache stores every block as one
/// (<see cref="NodeHost"/>), and blocks packed on disk before stay, outside it. So does a block the
/// shared registry does not list in the tier (stored in the folder by other means, or before the
/// node kept a bucket): the copy here may be its only one. It becomes evictable once it is stored
/// in the tier.
/// </summary>
/// <remarks>
/// Reads of a cached block stay mapped and zero-copy: the cache only decides which files exist.
/// Only with a shared registry that names everything: a row evicted here is never a name lost.
/// </remarks>
public sealed class BlockCache : IDisposable
{
    private readonly ContentRepository _content;
    private readonly ServiceRegistry _registrations;
    private readonly string _tier;
    private readonly HeatPolicy<Cid> _policy;

    // Blocks held outside the bound because the tier does not hold them (as the shared registry says).
    private readonly HashSet<Cid> _onlyHere = [];
    private readonly object _gate = new();
    private readonly SemaphoreSlim _trimming = new(1, 1);
    private readonly Meter _meter;
    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private readonly Counter<long> _evictions;
    private readonly Counter<long> _evictedBytes;

    /// <summary>A cache of <paramref name="capacity"/> bytes over the node's repository, loaded with the block files it holds.</summary>
    /// <param name="content">The node's repository.</param>
    /// <param name="registrations">Where an eviction releases this node's location.</param>
    /// <param name="capacity">The bytes the cached block files may take (pinned ones aside).</param>
    /// <param name="tier">The durable tier's location as records list it (<c>s3://BUCKET/PREFIX</c>): only a block whose record lists it is evicted.</param>
    public BlockCache(ContentRepository content, ServiceRegistry registrations, long capacity, string tier)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(registrations);
        ArgumentException.ThrowIfNullOrEmpty(tier);
        _content = content;
        _registrations = registrations;
        _tier = tier;
        _policy = new HeatPolicy<Cid>(capacity);
        _meter = new Meter(ArrowCidMeter.Name);
        _hits = _meter.CreateCounter<long>("arrowcid.cache.hits", "{block}", "Block reads the node's disk served (the cache of the durable tier)");
        _misses = _meter.CreateCounter<long>("arrowcid.cache.misses", "{block}", "Blocks the node read from the durable tier (or a peer) because its disk lacked them");
        _evictions = _meter.CreateCounter<long>("arrowcid.cache.evictions", "{block}", "Blocks evicted from the node's disk (the durable tier keeps them)");
        _evictedBytes = _meter.CreateCounter<long>("arrowcid.cache.evicted", "By", "Bytes of the blocks evicted from the node's disk");
        _meter.CreateObservableGauge("arrowcid.cache.held", () => ResidentBytes, "By", "Bytes of the block files the cache holds, pinned ones included");
        _meter.CreateObservableGauge("arrowcid.cache.capacity", () => capacity, "By", "The cache's bound (--cache-size); pinned blocks are kept beyond it");
        content.Repository.BlockDeleted += Forget;
        Load();
    }

    /// <summary>The bytes the cache may hold (pinned blocks aside).</summary>
    public long Capacity => _policy.Capacity;

    /// <summary>The bytes of the block files the cache holds, pinned ones included.</summary>
    public long ResidentBytes
    {
        get
        {
            lock (_gate)
            {
                return _policy.ResidentBytes + _policy.HeldBytes;
            }
        }
    }

    /// <summary>A read the node's disk served: the block grows hotter.</summary>
    public void Hit(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        lock (_gate)
        {
            if (!_policy.Touch(cid))
            {
                // A packed block, or a file the cache does not track (stored under another name): not counted.
                return;
            }
        }

        _hits.Add(1);
    }

    /// <summary>A put's block, now durable in the tier: cached, and the coldest evicted if the disk is over its bound.</summary>
    public void Stored(IEnumerable<Cid> cids)
    {
        ArgumentNullException.ThrowIfNull(cids);
        var stored = cids.ToList();
        lock (_gate)
        {
            // Held because the tier lacked them, and stored there now: evictable again.
            foreach (var cid in stored)
            {
                if (_onlyHere.Remove(cid))
                {
                    _policy.Release(cid);
                }
            }
        }

        Admit(stored);
        Trim();
    }

    /// <summary>Blocks read from the tier (or a peer) because the disk lacked them: misses, cached, then the coldest evicted.</summary>
    public void Fetched(IReadOnlyCollection<Cid> cids)
    {
        ArgumentNullException.ThrowIfNull(cids);
        _misses.Add(cids.Count);
        Admit(cids);
        Trim();
    }

    /// <summary>
    /// A pin on this node was removed: the blocks pins kept become candidates again (the coldest
    /// first, and those another pin still retains are kept again).
    /// </summary>
    public void Unpinned()
    {
        lock (_gate)
        {
            foreach (var cid in _policy.Held.ToList())
            {
                _policy.Release(cid);
            }

            // Looked at again by the next trim, with the pinned ones.
            _onlyHere.Clear();
        }

        Trim();
    }

    /// <summary>Evicts the coldest blocks until the block files fit the capacity. One trim runs at a time; a caller that finds one running leaves it to that one.</summary>
    public void Trim()
    {
        while (_trimming.Wait(0))
        {
            try
            {
                if (!TrimOnce())
                {
                    // The registry is away: the next trim (the next put or fetch) tries again.
                    return;
                }
            }
            finally
            {
                _trimming.Release();
            }

            lock (_gate)
            {
                // What was admitted while the trim let go of its turn is another trim's, unless a caller took it.
                if (_policy.ResidentBytes <= _policy.Capacity)
                {
                    return;
                }
            }
        }
    }

    // Evicts until the policy hands out no victim; the caller holds the turn. False when the shared
    // registry could not say where the victims are (they are admitted again, none evicted).
    private bool TrimOnce()
    {
        while (true)
        {
            List<(Cid Key, long Size)> victims;
            lock (_gate)
            {
                victims = _policy.Victims().ToList();
            }

            if (victims.Count == 0)
            {
                return true;
            }

            // Only what the tier holds goes: a block whose record does not list the tier is kept,
            // outside the bound, until a put stores it there.
            List<(Cid Key, long Size)> inTier;
            try
            {
                inTier = victims.FindAll(v => _registrations.Find(v.Key)?.Locations.Contains(_tier, StringComparer.OrdinalIgnoreCase) == true);
            }
            catch (Registry.RegistryUnavailableException)
            {
                lock (_gate)
                {
                    foreach (var (cid, size) in victims)
                    {
                        _policy.Admit(cid, size);
                    }
                }

                return false;
            }

            lock (_gate)
            {
                foreach (var (cid, size) in victims.Except(inTier))
                {
                    _onlyHere.Add(cid);
                    _policy.Hold(cid, size);
                }
            }

            if (inTier.Count == 0)
            {
                continue;
            }

            var report = _content.Repository.Evict(inTier.ConvertAll(v => v.Key));
            lock (_gate)
            {
                var sizes = inTier.ToDictionary(v => v.Key, v => v.Size);
                foreach (var cid in report.Kept)
                {
                    _policy.Hold(cid, sizes[cid]);
                }
            }

            foreach (var (cid, bytes) in report.Evicted)
            {
                _registrations.Dropped(cid);
                _evictions.Add(1);
                _evictedBytes.Add(bytes);
            }
        }
    }

    /// <summary>Lets the metrics and the repository's event go.</summary>
    public void Dispose()
    {
        _content.Repository.BlockDeleted -= Forget;
        _meter.Dispose();
        _trimming.Dispose();
    }

    private void Admit(IEnumerable<Cid> cids)
    {
        var blocks = _content.Repository.Blocks;
        lock (_gate)
        {
            foreach (var cid in cids)
            {
                // Block files only: a packed block is not evicted one by one.
                if (!blocks.Packs.TryLocate(cid, out _) && blocks.TryGetSize(cid, out long size))
                {
                    _policy.Admit(cid, size);
                }
            }
        }
    }

    // At start, the block files on disk enter newest first (their last write as the only heat
    // known): of blocks used as often, the policy evicts the one that entered last, so the oldest
    // file goes first. The bound is kept from the first trim on: once the node knows its location
    // (NodeHost.Announce), so an eviction takes that location off the shared registry's record.
    private void Load()
    {
        var blocks = _content.Repository.Blocks;
        var files = blocks.EnumerateFiles()
            .Select(cid => (Cid: cid, Written: File.GetLastWriteTimeUtc(blocks.GetBlockPath(cid))))
            .OrderByDescending(f => f.Written)
            .Select(f => f.Cid);
        Admit(files);
    }

    // Deleted by gc or a repair (or an eviction, already forgotten): the policy forgets it.
    private void Forget(Cid cid)
    {
        lock (_gate)
        {
            _policy.Forget(cid);
            _onlyHere.Remove(cid);
        }
    }
}
