using ArrowCid.Content;
using ArrowCid.Content.Car;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>
/// Reads a CAR into the repository. Every block whose hash verifies is stored: canonical batches
/// and other blocks as they are read (one block in memory at a time); table manifests — roots
/// (version-1 manifests and version-2 tree roots) and the tree nodes below them, each at most
/// 1 MiB for a tree — wait until the end, so that a root is registered as a dataset only after
/// every node and chunk of its table is present, its nodes (as table nodes) just before it. What
/// is not a batch or a manifest is kept as it is and registered as an Arrow stream (described) or
/// a foreign block (its links recorded); with <c>strict</c> it is refused instead, as is a root
/// whose table lacks a node or a chunk, and a node no complete table links. Everything stored stays pinned until the end, so a
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

    public static CarImportReport Read(ContentRepository content, Stream source, PutOptions options, bool strict, IPutPublisher? publisher)
    {
        ArgumentNullException.ThrowIfNull(source);
        var reader = CarReader.Open(source, ReaderOptions);
        var import = new Import(content, options, reader.Roots.ToHashSet(), publisher);
        var refused = new List<RefusedBlock>();
        var unverifiable = new List<UnverifiableBlock>();
        var manifests = new List<(CarBlock Block, BlockDescription Found)>();
        var nodes = new Dictionary<Cid, (CarBlock Block, BlockDescription Found)>();
        var incomplete = new List<IncompleteTable>();
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
                // The CAR reader has hashed the section against its CID.
                var found = BlockClassifier.Describe(block.Cid, block.Data, hashed: true);
                switch (found.Kind)
                {
                    case BlockKind.Batch:
                        import.Store(block, found, ImportedBlockKind.Batch, note: null);
                        break;
                    case BlockKind.Dataset:
                        // Kept whole: the CAR reader reuses nothing, so the bytes stay valid.
                        manifests.Add((block, found));
                        break;
                    case BlockKind.TableNode:
                        // Small (at most 1 MiB); registered with the first complete table that links it.
                        nodes.TryAdd(block.Cid, (block, found));
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
                var (tree, reason, missing) = OpenComplete(content, block, nodes);
                if (tree is null)
                {
                    incomplete.Add(new IncompleteTable(block.Cid, missing, reason));
                    if (strict)
                    {
                        refused.Add(new RefusedBlock(block.Cid, reason));
                    }
                    else
                    {
                        // Kept as the DAG-CBOR block it is; importing what it lacks and it again registers the dataset.
                        import.Store(block, found with { Kind = BlockKind.Foreign, Schema = null, Rows = 0 }, ImportedBlockKind.DagCbor, reason + "; kept as a plain DAG-CBOR block, not registered as a dataset");
                    }

                    continue;
                }

                // The tree's nodes from this CAR first (children before parents), so the root never stands without them.
                for (int i = tree.Blocks.Count - 1; i > 0; i--)
                {
                    if (nodes.Remove(tree.Blocks[i].Cid, out var node))
                    {
                        import.Store(node.Block, node.Found, ImportedBlockKind.TableNode, note: null);
                    }
                }

                import.Store(block, found, ImportedBlockKind.Dataset, note: null);
            }

            foreach (var (block, found) in nodes.Values)
            {
                const string Unlinked = "a table manifest node that no complete table in the CAR links";
                if (strict)
                {
                    refused.Add(new RefusedBlock(block.Cid, Unlinked));
                }
                else
                {
                    // Well formed, so registered as what it is: a table whose root comes later links it as held.
                    import.Store(block, found, ImportedBlockKind.TableNode, Unlinked);
                }
            }

            import.Publish();
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
                Incomplete = strict ? [] : incomplete,
            };
        }
        finally
        {
            import.ReleaseGuards();
        }
    }

    /// <summary>
    /// A table root from the CAR with every block of its table, when all are at hand; else why it
    /// cannot be registered as a dataset: a manifest node neither among the CAR's nodes nor held
    /// here as a table node, a malformed node, or a chunk not present and registered as a batch.
    /// </summary>
    private static (TableBlocks? Tree, string Reason, Cid? Missing) OpenComplete(ContentRepository content, CarBlock root, Dictionary<Cid, (CarBlock Block, BlockDescription Found)> nodes)
    {
        TableBlocks tree;
        try
        {
            tree = TableBlocks.Read(root.Cid, cid =>
                cid == root.Cid ? root.Data
                : nodes.TryGetValue(cid, out var held) ? held.Block.Data
                : content.Repository.GetRecord(cid) is { Kind: BlockKind.TableNode } && content.Repository.Blocks.Has(cid) ? content.GetBytes(cid)
                : throw new BlockNotFoundException(cid));
        }
        catch (BlockNotFoundException e)
        {
            return (null, $"the dataset links manifest node {e.Cid}, which is neither in the CAR nor in the repository", e.Cid);
        }
        catch (Exception e) when (e is ContentFormatException or BlockCorruptedException)
        {
            return (null, $"the dataset's manifest tree is malformed: {e.Message}", null);
        }

        return tree.Blocks.FirstOrDefault(b => b.Cid.Codec == Multicodec.Raw && !(content.Repository.Blocks.Has(b.Cid) && content.Repository.GetRecord(b.Cid) is { Kind: BlockKind.Batch })) is { } missing
            ? (null, $"the dataset links batch {missing.Cid}, which is neither in the CAR nor in the repository", missing.Cid)
            : (tree, "", null);
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
    private sealed class Import(ContentRepository content, PutOptions options, HashSet<Cid> roots, IPutPublisher? publisher)
    {
        private readonly PinGuard _guard = new(content.Repository);

        public List<ImportedBlock> Stored { get; } = [];

        /// <summary>Stores and registers one block. Batches, table nodes and foreign blocks are held by the import's guard until it ends; a dataset is registered last, pinned only as a root.</summary>
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
            var stored = found.Kind switch
            {
                BlockKind.Dataset => content.Repository.PutBlock(hashed, TableWriter.DatasetRecord(block.Cid, found.Schema!, found.Rows, options, options.Pin && roots.Contains(block.Cid)), guard: null),
                _ => content.Repository.PutBlock(hashed, found.ToRecord(block.Cid, options, pinned: false), _guard),
            };
            // A root the import pins is published pinned once everything is stored (a dataset's now, registered pinned).
            bool pinnedRoot = options.Pin && roots.Contains(block.Cid);
            if (!pinnedRoot || found.Kind == BlockKind.Dataset)
            {
                publisher?.Registered(block.Cid, pinned: pinnedRoot);
            }

            Stored.Add(new ImportedBlock(block.Cid, kind, block.Data.Length)
            {
                Rows = found.Rows,
                Schema = found.Schema,
                Links = found.Kind == BlockKind.Foreign ? stored.Links.Count : 0,
                Canonical = found.Canonical,
                Note = undecodable is null ? note : $"{note}; {undecodable}",
            });
        }

        /// <summary>
        /// Once every block is stored: the other roots pinned (when the options pin) and, with a
        /// publisher, everything published as a put's blocks are (a node's bucket and shared
        /// registry), while the import's guard still holds them.
        /// </summary>
        public void Publish()
        {
            if (options.Pin)
            {
                foreach (var root in roots)
                {
                    if (Stored.Find(b => b.Cid == root) is { Kind: not ImportedBlockKind.Dataset })
                    {
                        content.Repository.Pin(root);
                        publisher?.Registered(root, pinned: true);
                    }
                }
            }

            publisher?.Flush();
        }

        /// <summary>Drops the import's own pins, except on the roots when the options pin (with a publisher, <see cref="Publish"/> pinned them where it publishes).</summary>
        public void ReleaseGuards()
        {
            if (options.Pin && publisher is null)
            {
                foreach (var root in roots)
                {
                    // A dataset root was registered pinned; any other root stored here is pinned now.
                    if (Stored.Any(b => b.Cid == root))
                    {
                        content.Repository.Pin(root);
                    }
                }
            }

            _guard.Release();
        }
    }
}
