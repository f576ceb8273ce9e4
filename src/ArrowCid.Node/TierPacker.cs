using ArrowCid.Content;
using ArrowCid.ObjectStorage;
using ArrowCid.Registry;
using ArrowCid.Repository;

namespace ArrowCid.Node;

/// <summary>
/// Writes the small blocks of every put on a node to the durable tier in pack objects
/// (<see cref="S3BlockTier.PutPackAsync"/>): a store that takes a few hundred PUTs a second would
/// otherwise bound how many small tables a second the node takes. Blocks wait for the next pack
/// (<see cref="Batcher{TItem, TResult}"/>, up to <see cref="PacksAtOnce"/> written at once), so
/// under load one request carries the blocks of many puts, and alone a block is written at once.
/// <para>
/// Before its pack is written each block is guarded in the registry for the pack (one transaction
/// a pack), so no collection on any host deletes it before a name or pin keeps it; the guard is let
/// go once every put with a block in the pack has let go of it (<see cref="PackedBlock.Release"/>).
/// A block is always written anew, never found in the tier: its copy in the new pack is what its
/// record lists, so a collection deleting an older copy meanwhile takes nothing it needs.
/// </para>
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "a SemaphoreSlim holds no handle until its AvailableWaitHandle is read, which this never does; it lives as long as the node")]
internal sealed class TierPacker
{
    /// <summary>
    /// Packs being written at once on a node: one. A store answers one larger request sooner than
    /// several smaller ones at once (a one-node Ceph: 7.5 ms for a pack of 11 blocks alone, 9.8 ms
    /// each for two of 6.4 at once, 17 ms for eight), and under more load a pack grows instead.
    /// </summary>
    public const int PacksAtOnce = 1;

    /// <summary>A pack's blocks at most (a block larger than the threshold is never packed).</summary>
    public const int MaxPackBytes = 16 << 20;

    // Blocks waiting for or in a pack at once on the node: their bytes are held in memory.
    private const int BlocksHeldAtOnce = 1024;

    private readonly S3BlockTier _tier;
    private readonly IRegistry _registry;
    private readonly Batcher<(HashedBlock Block, BlockRecord Row), PackedBlock> _packs;
    private readonly SemaphoreSlim _held = new(BlocksHeldAtOnce, BlocksHeldAtOnce);
    private readonly Batcher<string, bool> _releases;

    public TierPacker(S3BlockTier tier, IRegistry registry)
    {
        _tier = tier;
        _registry = registry;
        _packs = new Batcher<(HashedBlock Block, BlockRecord Row), PackedBlock>(WritePackAsync, PacksAtOnce, item => item.Block.Bytes.Length, MaxPackBytes);

        // Packs' guards go in the background, many to a transaction: a put's answer never waits on them.
        _releases = new Batcher<string, bool>(ReleaseAsync, batchesAtOnce: 1, _ => 1, ReleasedAtOnce);
    }

    // Pack guards let go of in one registry transaction.
    private const int ReleasedAtOnce = 256;

    private readonly object _releaseGate = new();

    // The release submitted last: releases run one batch at a time in the order submitted, so it
    // ends after every earlier one.
    private Task _lastRelease = Task.CompletedTask;

    /// <summary>
    /// Ends once every pack guard let go of so far is released in the registry (or left to lapse,
    /// the registry being unreachable): what a process that exits after its puts waits for.
    /// </summary>
    public Task ReleasedAsync()
    {
        lock (_releaseGate)
        {
            return _lastRelease;
        }
    }

    // Lets go of a pack's guard in the background, many to a transaction: a put's answer never waits on it.
    private void ReleaseLater(string holder)
    {
        lock (_releaseGate)
        {
            _lastRelease = _releases.SubmitAsync(holder);
        }
    }

    /// <summary>
    /// Writes a small block in the next pack, and its record in the journal the pack carries (so
    /// the record is in the bucket without a request of its own; <see cref="TierJournal"/>); the
    /// task ends once the pack is durable. The caller releases what it gets
    /// (<see cref="PackedBlock.Release"/>) once a name or pin keeps the block, or its put is given up.
    /// </summary>
    public async Task<PackedBlock> PackAsync(HashedBlock block, BlockRecord row)
    {
        await _held.WaitAsync().ConfigureAwait(false);
        try
        {
            return await _packs.SubmitAsync((block, row)).ConfigureAwait(false);
        }
        finally
        {
            _held.Release();
        }
    }

    private async Task<IReadOnlyList<PackedBlock>> WritePackAsync(IReadOnlyList<(HashedBlock Block, BlockRecord Row)> items)
    {
        var blocks = items.Select(i => i.Block).ToList();
        var guard = new PackGuard(this, "pack/" + Guid.NewGuid().ToString("N"), blocks.Count);

        // A block a collection is deleting now is written anew all the same: the old copy's
        // deletion takes only the old copy's location off its record.
        _registry.GuardTierBlocks(guard.Holder, blocks.Select(b => b.Cid).Distinct().ToList(), TierGc.DeletionLifetime);
        try
        {
            byte[] journal = LocalRepository.EncodeJournal([LocalRepository.JournalRows(items.Select(i => i.Row).ToList())]);
            var entries = await _tier.PutPackAsync(blocks, journal).ConfigureAwait(false);
            return entries.Select(e => new PackedBlock(_tier.LocationOf(e.At), guard)).ToList();
        }
        catch
        {
            guard.ReleaseAll();
            throw;
        }
    }

    private async Task<IReadOnlyList<bool>> ReleaseAsync(IReadOnlyList<string> holders)
    {
        await Task.Yield();
        try
        {
            _registry.ReleaseTierGuards(holders);
        }
        catch (RegistryUnavailableException)
        {
            // Left in the registry, the guards keep the blocks a while longer: they lapse after TierGc.GuardLifetime.
        }

        return holders.Select(_ => true).ToList();
    }

    // The guard a pack's blocks hold in the registry until each put with a block in it lets go.
    internal sealed class PackGuard(TierPacker packer, string holder, int blocks)
    {
        private int _held = blocks;

        public string Holder => holder;

        public void Release()
        {
            if (Interlocked.Decrement(ref _held) == 0)
            {
                ReleaseAll();
            }
        }

        public void ReleaseAll() => packer.ReleaseLater(holder);
    }
}

/// <summary>A block written in a pack: where its record says it is, and its part of the pack's guard.</summary>
/// <param name="Location">The block's location in the tier (<see cref="S3BlockTier.LocationOf"/>).</param>
/// <param name="Guard">The pack's guard.</param>
internal sealed record PackedBlock(string Location, TierPacker.PackGuard Guard)
{
    /// <summary>Lets go of the block's part of its pack's guard (once).</summary>
    public void Release() => Guard.Release();
}
