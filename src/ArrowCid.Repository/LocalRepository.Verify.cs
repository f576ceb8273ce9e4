using ArrowCid.Content.Multiformats;
using ArrowCid.Content;
using ArrowCid.Content.Stores;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

// Verification: every row has its block and every block file hashes to its CID.
public sealed partial class LocalRepository
{
    /// <summary>
    /// Checks that every registry row has its block, that every block file hashes to its CID, and
    /// lists unregistered blocks and temporary files. With <paramref name="repair"/>: rows whose
    /// block is missing are deleted; corrupt files are moved to <c>quarantine/</c> and their rows
    /// deleted; orphans linked by a pinned block are re-registered (kind read from the bytes), other
    /// orphans deleted (they were never acknowledged); temporary files removed. Idempotent: a
    /// second repair finds nothing to do.
    /// </summary>
    /// <param name="repair">Whether to fix what is found (takes the exclusive lock).</param>
    /// <returns>What was found, and done.</returns>
    public VerifyReport Verify(bool repair = false)
    {
        // This instance's queued rows first (they hold the shared lock a repair waits for).
        WaitApplied();
        using (repair ? _lock.Exclusive() : _lock.Shared())
        {
            // Rows a lost registry commit left only in a pack's log are registered first, so their
            // blocks are not taken for orphans (under the shared lock only dead writers' packs:
            // a live writer's last entry may be its group in flight).
            _log.Replay(everyPack: repair);
            var registered = _registry.ListCids().ToHashSet();
            var stored = Blocks.Enumerate().ToHashSet();
            var packed = Blocks.Packs.ListCopies().ToLookup(c => c.Cid, c => c.Block);
            var corrupt = stored.Where(cid => !IsIntact(cid, packed[cid])).OrderBy(c => c.ToString(), StringComparer.Ordinal).ToList();
            int tornTails = Blocks.Packs.ListTornTails().Count;
            var missing = registered.Where(cid => !stored.Contains(cid)).OrderBy(c => c.ToString(), StringComparer.Ordinal).ToList();
            var orphans = stored.Where(cid => !registered.Contains(cid) && !corrupt.Contains(cid)).OrderBy(c => c.ToString(), StringComparer.Ordinal).ToList();
            int temps = Blocks.ListTempFiles().Count;
            var report = new VerifyReport
            {
                RecordsChecked = registered.Count,
                BlocksChecked = stored.Count,
                CorruptBlocks = corrupt,
                MissingBlocks = missing,
                OrphanBlocks = orphans,
                TempFiles = temps,
                TornPackTails = tornTails,
            };
            return repair ? _reserve.FreeingSpace(() => Repair(report)) : report;
        }
    }

    // Every copy: the block's own file and each packed copy.
    private bool IsIntact(Cid cid, IEnumerable<Content.Stores.Packs.PackedBlock> packedCopies)
    {
        foreach (var copy in packedCopies)
        {
            if (!Blocks.Packs.IsIntact(cid, copy))
            {
                return false;
            }
        }

        try
        {
            using var file = new FileStream(Blocks.GetBlockPath(cid), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return BlockIntegrity.Matches(cid, file);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // Packed only, or deleted since it was listed: nothing there to be corrupt.
            return true;
        }
    }
}
