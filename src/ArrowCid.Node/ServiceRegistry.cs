using ArrowCid.Content;
using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using ArrowCid.Repository;


namespace ArrowCid.Node;

/// <summary>
/// The registry the service answers from (the shared one when there is one, else the repository's
/// own) and the step that makes content stored here visible in it: with a shared registry the
/// local record is copied there with this node's location. Every registration wakes subscribers.
/// A put publishes through <see cref="ForPut"/>, which with a durable tier writes each block there
/// before any registry beyond the repository names it.
/// </summary>
/// <param name="content">The node's content.</param>
/// <param name="shared">The shared registry, journaled (every change copied to the tier's journal when there is a tier), or null.</param>
/// <param name="self">The node.</param>
/// <param name="changes">Wakes subscribers.</param>
/// <param name="tier">The durable tier, or null.</param>
/// <param name="unjournaled">The shared registry beneath its journal: where the records of packed blocks are published, their journal entries being in their pack already; null: <paramref name="shared"/>.</param>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "a SemaphoreSlim holds no handle until its AvailableWaitHandle is read, which this never does; it lives as long as the node")]
public sealed class ServiceRegistry(ContentRepository content, IRegistry? shared, NodeIdentity self, ChangeNotifier changes, ObjectStorage.S3BlockTier? tier = null, IRegistry? unjournaled = null)
{
    private NameChain? _sharedNames;

    /// <summary>The registry listings, lookups and the change feed come from.</summary>
    public IRegistry Registry => shared ?? content.Repository.Registry;

    /// <summary>Whether several nodes share the registry.</summary>
    public bool IsShared => shared is not null;

    /// <summary>The record of a CID: the registry's, or the local one for content only this node has registered.</summary>
    public BlockRecord? Find(Cid cid) => Registry.Find(cid) ?? (shared is null ? null : content.Repository.GetRecord(cid));

    /// <summary>
    /// Records a CID (already <see cref="Registered"/>) as the next version of a name in the registry:
    /// the shared registry when there is one, else the repository (under its lock, so a collection
    /// never misses it). Wakes subscribers.
    /// </summary>
    public NamedVersion AddVersion(string name, Cid cid) => Linked(Recorded(name, cid), Names.Publish);

    /// <summary>
    /// As <see cref="AddVersion"/>, holding no thread while what the name's chain reads and
    /// another node recorded (the nodes and tables of the versions below) comes here, or while the
    /// nodes it stores are written to the bucket: the chain is linked from what is held
    /// (<see cref="NameChain.PublishFromHeld"/>), and each block it lacks is fetched, or each node
    /// it stored is published, and the link tried again. A put waiting on a peer or the bucket
    /// holds no pool thread that the answer needs.
    /// </summary>
    public async Task<NamedVersion> AddVersionAsync(string name, Cid cid)
    {
        var version = Recorded(name, cid);
        if (shared is null && tier is null)
        {
            return Linked(version, Names.Publish);
        }

        var fetched = new HashSet<Cid>();
        var published = new HashSet<Cid>();
        while (true)
        {
            try
            {
                // Without a bucket, publishing a node is one registry write: done in place.
                return Linked(version, v => Names.PublishFromHeld(v, node => published.Contains(node) || (!HasTier && PublishedNow(node))));
            }
            catch (BlockNotFoundException missing) when (FetchMissingAsync is { } fetch && missing.Cid is { } needed && fetched.Add(needed))
            {
                try
                {
                    await fetch(needed, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (e is NodeException or BlockNotFoundException or ObjectStorage.ObjectStoreException)
                {
                    // Not to be had: the next link finds it missing again and says so.
                }
            }
            catch (UnpublishedNodeException unpublished) when (unpublished.Node is { } node && published.Add(node))
            {
                using var put = ForNode(node);
                await put.FlushAsync().ConfigureAwait(false);
            }
        }
    }

    private bool PublishedNow(Cid node)
    {
        PublishNode(node);
        return true;
    }

    // The version recorded in the registry answers come from.
    private NamedVersion Recorded(string name, Cid cid) => shared is null
        ? content.Repository.AddVersion(name, cid)
        : shared.AddVersion(name, cid) ?? throw NodeException.NotFound(cid.ToString());

    // The version linked into its name's signed chain; subscribers woken.
    private NamedVersion Linked(NamedVersion version, Func<NamedVersion, (Cid Cid, Names.VersionNode Node)> publish)
    {
        version = version with { Node = publish(version).Cid };
        changes.Notify();
        return version;
    }

    /// <summary>
    /// The signed chains of the names in the registry the service answers from: with a shared
    /// registry, each node this node stores is published there (pinned) before it is linked.
    /// </summary>
    public NameChain Names => shared is null && tier is null
        ? content.Names
        : LazyInitializer.EnsureInitialized(ref _sharedNames, () => new NameChain(content, Registry, PublishNode, cid => FetchMissing?.Invoke(cid)));

    /// <summary>A block another node or the bucket holds, fetched here (set by the node once it can fetch), or null when it cannot be had.</summary>
    public Func<Cid, byte[]?>? FetchMissing { get; set; }

    /// <summary>Brings a block (a table whole) another node or the bucket holds here, holding no thread while it comes (set by the node once it can fetch).</summary>
    public Func<Cid, CancellationToken, Task>? FetchMissingAsync { get; set; }

    /// <summary>A version node stored here, published as a put's block is: to the bucket first when there is one.</summary>
    internal void PublishNode(Cid node)
    {
        using var put = ForNode(node);
        put.Flush();
    }

    // A version node's publication, started: not pinned (its version's row keeps it).
    private PutPublication ForNode(Cid node)
    {
        var put = ForPut();
        try
        {
            put.Registered(node, pinned: false);
            return put;
        }
        catch
        {
            put.Dispose();
            throw;
        }
    }

    /// <summary>The latest version of a name in the registry the service answers from, or null.</summary>
    public NamedVersion? FindVersion(string name) => Registry.FindVersion(name);

    /// <summary>
    /// Publishes a locally stored CID to the shared registry (no-op without one) with this node's
    /// location, and wakes subscribers. The shared record is pinned only when <paramref name="pinned"/>
    /// says so (a pin there keeps the block on every node); registering never unpins it.
    /// </summary>
    public void Registered(Cid cid, bool pinned = false)
    {
        if (shared is not null && content.Repository.GetRecord(cid) is { } local)
        {
            shared.Upsert(local.PublishedFrom(self.Location, pinned));
        }

        changes.Notify();
    }

    /// <summary>
    /// The publisher of one put (a DoPut, an upload). Without a durable tier it publishes each
    /// block as it is registered. With one, it starts each block's upload as the block is
    /// registered: a small one into the node's next pack (<see cref="TierPacker"/>, with a shared
    /// registry to list where it lies), a larger one as an object of its own, at most
    /// <see cref="MaxUploadsAtOnce"/> at once on the node; and at
    /// <see cref="IPutPublisher.Flush"/> (before a name's version and the acknowledgement) waits
    /// for them all, then publishes the blocks in the order they were registered: no record or
    /// name points at an object the tier does not hold. Only a put writes to the tier: a pin, a
    /// tag or a fetch publishes what is already stored (<see cref="Registered"/>). Each block is
    /// guarded in the registry before its upload (<see cref="IRegistry.GuardTierBlocks"/>; a packed
    /// one for its pack), so a
    /// collection of the tier on any host leaves it alone until the publication is disposed, after
    /// the put's name or pin keeps it. Dispose it when the put ends, acknowledged or not.
    /// </summary>
    public PutPublication ForPut() => new(this);

    /// <summary>The node's cache of the tier, told of each put's blocks once they are durable there; null without one.</summary>
    internal BlockCache? Cache { get; set; }

    // Whether the node has a durable tier (read by each put's publication).
    private bool HasTier => tier is not null;

    // A put's blocks, all in the tier now (each at the location given; a packed one with the record
    // its pack journaled), published in the order they were stored.
    private async Task PublishUploadedAsync(List<(Cid Cid, bool Pinned, string Location, BlockRecord? PackedRow)> blocks)
    {
        if (blocks.Count == 0)
        {
            // Without a tier every block was published as it was registered.
            return;
        }

        if (shared is not null)
        {
            // A thousand records a transaction, with other puts' when they publish at once: not one
            // transaction a block, nor one a put. The records list the tier as well as this node:
            // releasing this node's location (an eviction, a gc here) leaves the record, which names
            // where the block still is.
            var published = new List<Task<bool>>();
            foreach (bool packed in PackedFirst)
            {
                var records = new List<BlockRecord>(Math.Min(blocks.Count, PublishedAtOnce));
                foreach (var (cid, pinned, location, packedRow) in blocks.Where(b => (b.PackedRow is not null) == packed))
                {
                    if ((packedRow ?? content.Repository.GetRecord(cid)?.PublishedFrom(self.Location, pinned)) is { } record)
                    {
                        records.Add(record.PublishedFrom(location, pinned));
                    }

                    if (records.Count == PublishedAtOnce)
                    {
                        published.Add(_publications!.SubmitAsync((records, packed)));
                        records = new List<BlockRecord>(PublishedAtOnce);
                    }
                }

                if (records.Count > 0)
                {
                    published.Add(_publications!.SubmitAsync((records, packed)));
                }
            }

            await Task.WhenAll(published).ConfigureAwait(false);
        }

        changes.Notify();

        if (shared is not null)
        {
            // The put's pin is the shared registry's now (it keeps the table in the tier, and a gc
            // here keeps what that registry keeps); a pin here would keep it on this disk too, past
            // a cache's bound (this node's, or one a later node on the folder has), which only a
            // pin asked for does.
            foreach (var (cid, pinned, _, _) in blocks)
            {
                if (pinned)
                {
                    content.Repository.Unpin(cid);
                }
            }
        }

        // Durable in the tier now: the cache may evict them (and keeps the disk within its bound).
        Cache?.Stored(blocks.ConvertAll(b => b.Cid));
    }

    /// <summary>
    /// Ends once the guards of every put ended so far are let go of in the registry (a packed
    /// block's go in the background): what a process that exits after its puts waits for, so that
    /// no guard is left to lapse.
    /// </summary>
    public Task GuardsReleasedAsync() => _packer?.ReleasedAsync() ?? Task.CompletedTask;

    // Packed blocks' records, then the others.
    private static readonly bool[] PackedFirst = [true, false];

    // Records of puts published together: one registry transaction for each batch (two when it
    // holds packed blocks' records, which go beneath the journal, and others).
    private static Batcher<(List<BlockRecord> Records, bool Packed), bool> Publications(IRegistry shared, IRegistry unjournaled) => new(
        async batch =>
        {
            await Task.Yield();
            foreach (bool packed in PackedFirst)
            {
                var records = batch.Where(b => b.Packed == packed).SelectMany(b => b.Records).ToList();
                if (records.Count > 0)
                {
                    (packed ? unjournaled : shared).UpsertAll(records);
                }
            }

            return batch.Select(_ => true).ToList();
        },
        batchesAtOnce: 1,
        item => item.Records.Count,
        PublishedAtOnce);

    /// <summary>Uploads to the durable tier at once on this node, over all puts.</summary>
    public const int MaxUploadsAtOnce = 16;

    // Records a put publishes in one registry transaction.
    private const int PublishedAtOnce = 1000;

    // Blocks a put guards in one registry transaction (the last ones at its flush).
    private const int GuardedAtOnce = 64;

    private readonly SemaphoreSlim _uploads = new(MaxUploadsAtOnce, MaxUploadsAtOnce);

    // Small blocks go to the tier in packs, where a shared registry lists where each is.
    private readonly TierPacker? _packer = tier is not null && shared is not null && tier.PackThreshold > 0 ? new TierPacker(tier, shared) : null;

    // Puts' records, published together.
    private readonly Batcher<(List<BlockRecord> Records, bool Packed), bool>? _publications = shared is null ? null : Publications(shared, unjournaled ?? shared);

    /// <summary>Writes a stored block to the durable tier as an object of its own (a 412 there is a block already held), guarded for <paramref name="holder"/> first; returns the tier's location.</summary>
    private async Task<string> UploadAsync(Cid cid, string holder, bool guarded)
    {
        await _uploads.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!guarded)
            {
                await GuardAsync(cid, holder).ConfigureAwait(false);
            }

            // Read once a slot is free: at most MaxUploadsAtOnce blocks held at once. Not hashed
            // here: the tier checks the bytes against the CID as it uploads them (PutStoredAsync).
            using var leased = content.Reader.TryOpen(cid, verify: false);
            if (leased is null)
            {
                // Stored here before, and evicted by the cache meanwhile: it is evicted only once in the tier.
                if (!await tier!.ExistsAsync(cid).ConfigureAwait(false))
                {
                    throw new BlockNotFoundException(cid);
                }

                return tier.Location.ToString();
            }

            await tier!.PutStoredAsync(cid, leased.Memory).ConfigureAwait(false);
            return tier.Location.ToString();
        }
        finally
        {
            _uploads.Release();
        }
    }

    // Guards a block against collections of the tier; one a collection is deleting now is
    // guarded once its deletion ends (then uploaded anew), or once the deletion's mark is stale.
    private async Task GuardAsync(Cid cid, string holder)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (Registry.GuardTierBlocks(holder, [cid], TierGc.DeletionLifetime).Count > 0)
        {
            if (waited.Elapsed > TierGc.DeletionLifetime)
            {
                throw new ObjectStorage.ObjectStoreException(
                    ObjectStorage.ObjectStoreFault.Unavailable, $"{cid} is being deleted from {tier!.Describe()} by a collection that has not finished in {TierGc.DeletionLifetime.TotalMinutes:0} minutes");
            }

            // Another host's collection holds the block's deletion mark for one request to the store.
            await Task.Delay(TierGc.DeletionPoll).ConfigureAwait(false);
        }
    }

    /// <summary>One put's publication (<see cref="ForPut"/>); disposing it lets go of the guards its uploads took.</summary>
    public sealed class PutPublication : IPutPublisher, IDisposable
    {
        private readonly ServiceRegistry registry;
        private readonly List<(Cid Cid, bool Pinned, Task<string> Upload, BlockRecord? PackedRow)> _pending = [];
        private readonly List<(Cid Cid, bool Pinned)> _unguarded = [];
        private readonly List<Task<PackedBlock>> _packed = [];
        private readonly string _holder = "put/" + Guid.NewGuid().ToString("N");
        private bool _guarded;

        internal PutPublication(ServiceRegistry registry) => this.registry = registry;

        /// <inheritdoc/>
        public void Registered(Cid cid, bool pinned)
        {
            if (!registry.HasTier)
            {
                registry.Registered(cid, pinned);
                return;
            }

            _unguarded.Add((cid, pinned));
            if (_unguarded.Count == GuardedAtOnce)
            {
                StartUploads();
            }
        }

        /// <inheritdoc/>
        public void Flush() => FlushAsync(waitInPlace: true).GetAwaiter().GetResult();

        /// <inheritdoc/>
        public Task FlushAsync() => FlushAsync(waitInPlace: false);

        private async Task FlushAsync(bool waitInPlace)
        {
            StartUploads();

            // Once per put, for the uploads that ran while it wrote: a synchronous finish waits in
            // place, an asynchronous one (a DoPut's) holds no thread meanwhile.
            var uploads = Task.WhenAll(_pending.Select(p => p.Upload));
            if (waitInPlace)
            {
                uploads.GetAwaiter().GetResult();
            }
            else
            {
                await uploads.ConfigureAwait(false);
            }

            var published = registry.PublishUploadedAsync(_pending.ConvertAll(p => (p.Cid, p.Pinned, p.Upload.Result, p.PackedRow)));
            _pending.Clear();
            if (waitInPlace)
            {
                published.GetAwaiter().GetResult();
            }
            else
            {
                await published.ConfigureAwait(false);
            }
        }

        // Starts the uploads of the blocks registered since the last call: the small ones into the
        // node's next pack, the others as objects of their own, guarded first for this put in one
        // registry transaction; a block a collection is deleting now waits in its upload for its guard.
        private void StartUploads()
        {
            if (_unguarded.Count == 0)
            {
                return;
            }

            var large = new List<(Cid Cid, bool Pinned)>(_unguarded.Count);
            foreach (var (cid, pinned) in _unguarded)
            {
                if (registry.SmallBlock(cid, pinned) is { } small)
                {
                    var packed = registry._packer!.PackAsync(small.Block, small.Row);
                    _packed.Add(packed);
                    Track(cid, pinned, LocationOf(packed), small.Row);
                }
                else
                {
                    large.Add((cid, pinned));
                }
            }

            _unguarded.Clear();
            if (large.Count == 0)
            {
                return;
            }

            _guarded = true;
            var beingDeleted = registry.Registry.GuardTierBlocks(_holder, large.ConvertAll(b => b.Cid), TierGc.DeletionLifetime).ToHashSet();
            foreach (var (cid, pinned) in large)
            {
                Track(cid, pinned, registry.UploadAsync(cid, _holder, guarded: !beingDeleted.Contains(cid)), packedRow: null);
            }
        }

        // Where a packed block is, once its pack is written; the pack's failure as it was thrown.
        private static async Task<string> LocationOf(Task<PackedBlock> packed) => (await packed.ConfigureAwait(false)).Location;

        // packedRow: the record a packed block's pack journaled, published as it is (with the pack's range).
        private void Track(Cid cid, bool pinned, Task<string> upload, BlockRecord? packedRow)
        {
            // A put given up before Flush leaves its uploads to finish alone: their failure is nobody's to see.
            _ = upload.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            _pending.Add((cid, pinned, upload, packedRow));
        }

        /// <inheritdoc/>
        public NamedVersion AddVersion(string name, Cid cid)
        {
            Flush();
            return registry.AddVersion(name, cid);
        }

        /// <inheritdoc/>
        public async Task<NamedVersion> AddVersionAsync(string name, Cid cid)
        {
            await FlushAsync().ConfigureAwait(false);
            return await registry.AddVersionAsync(name, cid).ConfigureAwait(false);
        }

        /// <inheritdoc/>
        public NamedVersion? FindVersion(string name) => registry.FindVersion(name);

        /// <summary>Lets go of the guards the put's uploads took: its name or pin keeps its blocks now, or nothing does.</summary>
        public void Dispose()
        {
            // Each packed block's part of its pack's guard, once its pack is written (a put given up
            // early lets go when it is); a pack that failed holds no guard.
            foreach (var packed in _packed)
            {
                _ = packed.ContinueWith(static t => t.Result.Release(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            _packed.Clear();
            if (!_guarded)
            {
                return;
            }

            _guarded = false;
            try
            {
                registry.Registry.ReleaseTierGuards([_holder]);
            }
            catch (RegistryUnavailableException)
            {
                // Left in the registry, the guards keep the blocks a while longer: they lapse after TierGc.GuardLifetime.
            }
        }
    }

    // A stored block small enough for a pack, read and hashed, with its record as it is published
    // (journaled in the pack; the pack's range is added when published); null when the node packs
    // nothing, or the block is larger, or no longer here (evicted: it is in the tier already).
    private (HashedBlock Block, BlockRecord Row)? SmallBlock(Cid cid, bool pinned)
    {
        if (_packer is null)
        {
            return null;
        }

        using var leased = content.Reader.TryOpen(cid, verify: false);
        if (leased is null || leased.Memory.Length > tier!.PackThreshold || content.Repository.GetRecord(cid) is not { } local)
        {
            return null;
        }

        return (HashedBlock.Verify(cid, leased.Memory.ToArray()), local.PublishedFrom(self.Location, pinned));
    }

    /// <summary>
    /// Records in the shared registry that this node dropped its copy (no-op without one): only
    /// this node's location goes, and the record only with its last location.
    /// </summary>
    public void Dropped(Cid cid)
    {
        if (shared is not null && self.Location is { } location)
        {
            shared.ReleaseLocation(cid, location);
        }

        changes.Notify();
    }
}
