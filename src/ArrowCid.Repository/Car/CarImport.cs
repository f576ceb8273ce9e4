using ArrowCid.Content.Car;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>
/// Reads a CAR into the repository. Every block whose hash verifies is stored: canonical batches
/// and other blocks as they are read (one block in memory at a time); dataset manifests, which are
/// small, wait until the end so that they are registered only after every batch they link is
/// present. What is not a batch or a manifest is kept as it is and registered as an Arrow stream
/// (described) or a foreign block (its links recorded); with <c>strict</c> it is refused instead,
/// as is a manifest whose batches are missing. Everything stored stays pinned until the end, so a
/// concurrent GC cannot remove blocks a manifest or DAG node about to be registered links;
/// afterwards only the roots keep their pins (when the options ask for pins). A block whose hash
/// does not verify stops the import (the CAR is damaged); one whose hash function cannot be
/// verified is refused on its own.
/// </summary>
internal static class CarImport
{
    // A canonical batch may be large; the reader grows its buffer with the bytes that really arrive,
    // so a lying section length cannot make it allocate this much up front.
    private static readonly CarReaderOptions ReaderOptions = new() { MaxBlockLength = Array.MaxLength - Cid.MaxBinaryLength - 64 };

    public static CarImportReport Read(ContentRepository content, Stream source, PutOptions options, bool strict)
    {
        ArgumentNullException.ThrowIfNull(source);
        var reader = CarReader.Open(source, ReaderOptions);
        var import = new Import(content, options, reader.Roots.ToHashSet());
        var refused = new List<RefusedBlock>();
        var unverifiable = new List<UnverifiableBlock>();
        var manifests = new List<(CarBlock Block, BlockDescription Found)>();
        int blocksRead = 0;
        try
        {
            while (true)
            {
                CarBlock block;
                try
                {
                    if (!reader.TryReadBlock(out block))
                    {
                        break;
                    }
                }
                catch (UnsupportedHashFunctionException e)
                {
                    blocksRead++;
                    unverifiable.Add(new UnverifiableBlock(e.Cid, Multicodec.NameOf(e.HashFunction), e.Message));
                    continue;
                }

                blocksRead++;
                var found = BlockClassifier.Describe(block.Cid, block.Data);
                switch (found.Kind)
                {
                    case BlockKind.Batch:
                        import.Store(block, found, ImportedBlockKind.Batch, note: null);
                        break;
                    case BlockKind.Dataset:
                        // Kept whole: the CAR reader reuses nothing, so the bytes stay valid.
                        manifests.Add((block, found));
                        break;
                    case var _ when strict:
                        refused.Add(new RefusedBlock(block.Cid, found.Note!));
                        break;
                    default:
                        import.Store(block, found, ImportedKindOf(block.Cid, found.Kind), found.Note);
                        break;
                }
            }

            foreach (var (block, found) in manifests)
            {
                if (found.Manifest!.Batches.FirstOrDefault(b => !content.Repository.Blocks.Has(b.Cid) || content.Repository.GetRecord(b.Cid) is null) is { } missing)
                {
                    string reason = $"the dataset links batch {missing.Cid}, which is neither in the CAR nor in the repository";
                    if (strict)
                    {
                        refused.Add(new RefusedBlock(block.Cid, reason));
                    }
                    else
                    {
                        // Kept as the DAG-CBOR block it is; importing its batches and it again registers the dataset.
                        import.Store(block, found with { Kind = BlockKind.Foreign, Schema = null, Rows = 0 }, ImportedBlockKind.DagCbor, reason + "; kept as a plain DAG-CBOR block, not registered as a dataset");
                    }

                    continue;
                }

                import.Store(block, found, ImportedBlockKind.Dataset, note: null);
            }

            return new CarImportReport
            {
                Roots = reader.Roots,
                BlocksRead = blocksRead,
                Strict = strict,
                Blocks = import.Stored,
                Batches = [.. import.Stored.Where(b => b.Kind == ImportedBlockKind.Batch).Select(b => b.Cid)],
                Datasets = [.. import.Stored.Where(b => b.Kind == ImportedBlockKind.Dataset).Select(b => b.Cid)],
                Refused = refused,
                Unverifiable = unverifiable,
                MissingRoots = reader.Roots.Where(r => content.Repository.GetRecord(r) is null).ToArray(),
            };
        }
        finally
        {
            import.ReleaseGuards();
        }
    }

    private static ImportedBlockKind ImportedKindOf(Cid cid, BlockKind kind) => (kind, cid.Codec) switch
    {
        (BlockKind.ArrowStream, _) => ImportedBlockKind.ArrowStream,
        (_, Multicodec.Raw) => ImportedBlockKind.Raw,
        (_, Multicodec.DagCbor) => ImportedBlockKind.DagCbor,
        (_, Multicodec.DagPb) => ImportedBlockKind.DagPb,
        _ => ImportedBlockKind.Other,
    };

    /// <summary>The blocks one import stored, and the pins that guard them until it ends (the put's one pin policy, <see cref="PinGuard"/>).</summary>
    private sealed class Import(ContentRepository content, PutOptions options, HashSet<Cid> roots)
    {
        private readonly PinGuard _guard = new(content.Repository);

        public List<ImportedBlock> Stored { get; } = [];

        /// <summary>Stores and registers one block. Batches and foreign blocks are pinned until the import ends; a dataset is registered last, pinned only as a root.</summary>
        public void Store(CarBlock block, BlockDescription found, ImportedBlockKind kind, string? note)
        {
            string? undecodable = null;
            if (found.Kind == BlockKind.Foreign)
            {
                // Only for the report: PutBlock records the links itself.
                ForeignLinks.Of(block.Cid, block.Data.Span, out undecodable);
            }

            // Checked once here; the store then takes it as it is.
            var hashed = HashedBlock.Verify(block.Cid, block.Data);
            var stored = found.Kind == BlockKind.Dataset
                ? content.Repository.PutBlock(hashed, DatasetWriter.DatasetRecord(block.Cid, found.Manifest!.Schema.ToString(), found.Manifest.Rows, options, options.Pin && roots.Contains(block.Cid)), guard: null)
                : content.Repository.PutBlock(hashed, found.ToRecord(block.Cid, options, pinned: false), _guard);
            Stored.Add(new ImportedBlock(block.Cid, kind, block.Data.Length)
            {
                Rows = found.Rows,
                Schema = found.Schema,
                Links = found.Kind == BlockKind.Foreign ? stored.Batches.Count : 0,
                Canonical = found.Canonical,
                Note = undecodable is null ? note : $"{note}; {undecodable}",
            });
        }

        /// <summary>Drops the import's own pins, except on the roots when the options pin.</summary>
        public void ReleaseGuards()
        {
            if (options.Pin)
            {
                foreach (var root in roots)
                {
                    _guard.Keep(root);
                }
            }

            _guard.Release();
        }
    }
}
