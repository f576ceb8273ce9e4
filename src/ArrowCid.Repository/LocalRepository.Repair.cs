using ArrowCid.Content.Multiformats;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

// Repair: what verify found is fixed (rows dropped, corrupt files quarantined, orphans re-registered or deleted).
public sealed partial class LocalRepository
{
    private const string RecoveredProvenance = "re-registered by verify: block linked by a pinned dataset had no registry row";

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

        var retained = _registry.ListRetained();
        var reregistered = new List<Cid>();
        foreach (var cid in found.OrphanBlocks)
        {
            if (retained.Contains(cid) && TryReregister(cid))
            {
                reregistered.Add(cid);
            }
            else
            {
                DeleteBlock(cid);
            }
        }

        Blocks.CleanTempFiles(TimeSpan.Zero);
        return found with { Repaired = true, Reregistered = reregistered, Quarantined = quarantined };
    }

    private bool TryReregister(Cid cid)
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
            record = Describe(cid, bytes.Span, new BlockRecord { Cid = cid, Kind = found.Kind, Schema = found.Schema, Rows = found.Rows, Provenance = RecoveredProvenance }, hashed: false);
        }
        catch (Content.ContentFormatException)
        {
            return false;
        }

        _registry.Upsert(record);
        return true;
    }

    private string? Quarantine(Cid cid)
    {
        string source = Blocks.GetBlockPath(cid);
        if (!File.Exists(source))
        {
            return null;
        }

        string folder = Path.Combine(Root, QuarantineFolderName);
        Directory.CreateDirectory(folder);
        string target = Path.Combine(folder, $"{cid}.{DateTime.UtcNow.Ticks}");
        File.Move(source, target);
        return target;
    }
}
