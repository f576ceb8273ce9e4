using ArrowCid.Content.Multiformats;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

// Repair: what verify found is fixed (rows dropped, corrupt files quarantined, orphans re-registered or deleted).
public sealed partial class LocalRepository
{
    private const string RecoveredProvenance = "re-registered by verify: block linked by a pinned dataset had no registry row";

    private const string RegistryLostProvenance = "re-registered by verify: the registry had no rows (lost or replaced); pinned so that nothing is collected";

    private VerifyReport Repair(VerifyReport found)
    {
        var quarantined = new List<string>();
        foreach (var cid in found.CorruptBlocks)
        {
            // Row first: a crash here leaves a corrupt orphan, which the next verify finds again.
            _registry.Delete(cid);
            if (Quarantine(cid) is { } moved)
            {
                quarantined.Add(moved);
            }
        }

        foreach (var cid in found.MissingBlocks)
        {
            _registry.Delete(cid);
        }

        using var retained = NewKeySet();
        _registry.AddRetained(retained);
        var reregistered = new List<Cid>();

        // A registry without a single row beside stored blocks was lost or replaced, not cut short
        // by a crash: its orphans may be acknowledged tables (the log that could name them is
        // dropped as it is applied). So none is deleted: each is registered again and pinned, and
        // the owner decides what to unpin (names and tags are not recoverable yet).
        bool registryLost = found.RecordsChecked == 0 && found.OrphanBlocks.Count > 0;
        foreach (var cid in found.OrphanBlocks)
        {
            if (registryLost)
            {
                if (TryReregister(cid, RegistryLostProvenance))
                {
                    _registry.Pin(cid);
                    reregistered.Add(cid);
                }
            }
            else if (retained.Contains(cid) && TryReregister(cid, RecoveredProvenance))
            {
                reregistered.Add(cid);
            }
            else
            {
                DeleteBlock(cid);
            }
        }

        Blocks.CleanTempFiles(TimeSpan.Zero);

        // Under the exclusive lock no writer of this repository appends; a pack still locked is a live process's.
        Blocks.Packs.RecoverDeadPacks();
        return found with { Repaired = true, Reregistered = reregistered, Quarantined = quarantined };
    }

    private bool TryReregister(Cid cid, string provenance)
    {
        using var block = Reader.TryOpen(cid, verify: Blocks.VerifyOnRead);
        if (block is null)
        {
            return false;
        }

        var bytes = block.Memory;

        BlockRecord record;
        try
        {
            // The kind is read from the bytes: a batch, a dataset, an Arrow stream or a foreign block.
            var found = BlockClassifier.Describe(cid, bytes);
            record = Describe(cid, bytes.Span, new BlockRecord { Cid = cid, Kind = found.Kind, Schema = found.Schema, Rows = found.Rows, Provenance = provenance }, hashed: false);
        }
        catch (Content.ContentFormatException)
        {
            return false;
        }

        _registry.Upsert(record);
        return true;
    }

    /// <summary>
    /// Moves this repository's damaged copies of a block to <c>quarantine/</c>, as
    /// <c>verify --repair</c> does, keeping its row: the block is not held here until it is stored
    /// again. For a repository whose disk is a cache of a durable tier (a node with a bucket), which
    /// then stores the block again from there instead of answering that it is lost.
    /// </summary>
    /// <param name="cid">A block found not to hash to its CID.</param>
    /// <returns>True when a damaged copy was moved; false when none was found (a copy elsewhere, as in shared memory, was the damaged one, or the block was stored again meanwhile).</returns>
    public bool SetAsideDamaged(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        using (_lock.Shared())
        {
            if (Quarantine(cid) is null)
            {
                return false;
            }

            Reader.Forget(cid);
            BlockDeleted?.Invoke(cid);
            return true;
        }
    }

    // Every damaged copy goes: a packed one is copied out and tombstoned, a file moved.
    private string? Quarantine(Cid cid)
    {
        string folder = Path.Combine(Root, QuarantineFolderName);
        string? moved = null;
        foreach (var copy in Blocks.Packs.CopiesOf(cid))
        {
            if (Blocks.Packs.IsIntact(cid, copy))
            {
                continue;
            }

            byte[] bytes = new byte[copy.Length];
            Arrow.IO.PrivateFiles.CreateFolder(folder);
            string target = Path.Combine(folder, $"{cid}.{DateTime.UtcNow.Ticks}");
            if (Blocks.Packs.TryRead(copy, bytes))
            {
                Arrow.IO.FileFaults.Check(Arrow.IO.FileOperation.Create, target);
                using (var file = Arrow.IO.PrivateFiles.Open(target, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    file.Write(bytes);
                }

                moved = target;
            }

            Blocks.Packs.DeleteCopy(cid, copy);
        }

        string source = Blocks.GetBlockPath(cid);
        if (!File.Exists(source) || IsFileIntact(cid, out _))
        {
            return moved;
        }

        Arrow.IO.PrivateFiles.CreateFolder(folder);
        string fileTarget = Path.Combine(folder, $"{cid}.{DateTime.UtcNow.Ticks}");
        Arrow.IO.FileFaults.Check(Arrow.IO.FileOperation.Rename, source);
        File.Move(source, fileTarget);
        return fileTarget;
    }
}
