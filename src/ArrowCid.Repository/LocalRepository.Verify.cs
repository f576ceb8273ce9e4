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
    /// <param name="hashed">Told the length of each block once it is hashed (progress: the registry's bytes are the whole, <see cref="IRegistry.CountByKind"/>).</param>
    /// <returns>What was found, and done.</returns>
    public VerifyReport Verify(bool repair = false, Action<long>? hashed = null)
    {
        // This instance's queued rows first (they hold the shared lock a repair waits for).
        WaitApplied();
        using (repair ? _lock.Exclusive() : _lock.Shared())
        {
            // Rows a lost registry commit left only in a pack's log are registered first, so their
            // blocks are not taken for orphans (under the shared lock only dead writers' packs:
            // a live writer's last entry may be its group in flight).
            _log.Replay(everyPack: repair);
            // A pack index that fails its checksum is set aside first (rebuilt with --repair), so it hides no block from the walk below.
            int damagedIndexes = Blocks.Packs.VerifyIndexes(repair).Count;

            // Walked, not gathered: every packed copy in file order (hashed), every block file, each
            // block looked up in the registry once; then every row (looked up in the store). Memory
            // holds what is found wrong (and the few blocks held twice), not the repository.
            var corrupt = new List<Cid>();
            var orphans = new List<Cid>();
            long blocksChecked = 0;
            foreach (var (cid, copy, first) in Blocks.Packs.ListCopies())
            {
                bool intact = Blocks.Packs.IsIntact(cid, copy);
                if (!first)
                {
                    // A second copy of a block already counted: only its damage is news.
                    if (!intact)
                    {
                        AlsoCorrupt(cid);
                    }

                    continue;
                }

                blocksChecked++;
                hashed?.Invoke(copy.Length);
                CheckBlock(cid, intact);
            }

            foreach (var cid in Blocks.EnumerateFiles())
            {
                bool intact = IsFileIntact(cid, out long length);
                if (Blocks.Packs.TryLocate(cid, out _))
                {
                    // Counted with its packed copies.
                    if (!intact)
                    {
                        AlsoCorrupt(cid);
                    }

                    continue;
                }

                blocksChecked++;
                hashed?.Invoke(length);
                CheckBlock(cid, intact);
            }

            void CheckBlock(Cid cid, bool intact)
            {
                if (!intact)
                {
                    corrupt.Add(cid);
                }
                else if (!_registry.Contains(cid))
                {
                    orphans.Add(cid);
                }
            }

            // Another copy of a block counted already is damaged (rare: lists searched, not indexed).
            void AlsoCorrupt(Cid cid)
            {
                if (!corrupt.Contains(cid))
                {
                    corrupt.Add(cid);
                    orphans.Remove(cid);
                }
            }

            var missing = new List<Cid>();
            long recordsChecked = 0;
            foreach (var cid in _registry.WalkCids())
            {
                recordsChecked++;
                if (!Blocks.Has(cid))
                {
                    missing.Add(cid);
                }
            }

            corrupt.Sort(static (a, b) => string.CompareOrdinal(a.ToString(), b.ToString()));
            orphans.Sort(static (a, b) => string.CompareOrdinal(a.ToString(), b.ToString()));
            int tornTails = Blocks.Packs.ListTornTails().Count;
            int temps = Blocks.ListTempFiles().Count;
            var report = new VerifyReport
            {
                RecordsChecked = checked((int)recordsChecked),
                BlocksChecked = checked((int)blocksChecked),
                CorruptBlocks = corrupt,
                MissingBlocks = missing,
                OrphanBlocks = orphans,
                TempFiles = temps,
                TornPackTails = tornTails,
                DamagedPackIndexes = damagedIndexes,
            };
            return repair ? _reserve.FreeingSpace(() => Repair(report)) : report;
        }
    }

    // A block's own file hashes to its CID (true when it has none: packed only, or deleted since it was listed).
    private bool IsFileIntact(Cid cid, out long length)
    {
        length = 0;
        try
        {
            using var file = new FileStream(Blocks.GetBlockPath(cid), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            length = file.Length;
            return BlockIntegrity.Matches(cid, file);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return true;
        }
    }
}
