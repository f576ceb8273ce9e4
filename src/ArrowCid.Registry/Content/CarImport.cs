using ArrowCid.Arrow.Ipc;
using ArrowCid.Content;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Car;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Registry.ContentAccess;

/// <summary>
/// Reads a CAR into the repository. Batches are stored as they are read (one block in memory at a
/// time); manifests, which are small, wait until the end so that they are registered only after
/// every batch they link is present. Everything stored stays pinned until then, so a concurrent GC
/// cannot remove batches a manifest about to be registered links; afterwards only the roots keep
/// their pins (when the options ask for pins).
/// </summary>
internal static class CarImport
{
    // A canonical batch may be large; the reader grows its buffer with the bytes that really arrive,
    // so a lying section length cannot make it allocate this much up front.
    private static readonly CarReaderOptions ReaderOptions = new() { MaxBlockLength = Array.MaxLength - Cid.MaxBinaryLength - 64 };

    public static CarImportReport Read(ContentRepository content, Stream source, PutOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        var reader = CarReader.Open(source, ReaderOptions);
        var roots = reader.Roots.ToHashSet();
        var batches = new List<Cid>();
        var refused = new List<RefusedBlock>();
        var manifests = new List<(Cid Cid, byte[] Bytes, DatasetManifest Manifest)>();
        var guarded = new HashSet<Cid>();
        int blocksRead = 0;
        try
        {
            foreach (var block in reader.ReadBlocks())
            {
                blocksRead++;
                switch (block.Cid.Codec)
                {
                    case Multicodec.Raw:
                        if (TakeBatch(content, block, options, guarded) is { } problem)
                        {
                            refused.Add(new RefusedBlock(block.Cid, problem));
                        }
                        else
                        {
                            batches.Add(block.Cid);
                        }

                        break;
                    case Multicodec.DagCbor:
                        try
                        {
                            manifests.Add((block.Cid, block.Data.ToArray(), DatasetManifest.Decode(block.Data.Span, block.Cid)));
                        }
                        catch (ContentFormatException e)
                        {
                            refused.Add(new RefusedBlock(block.Cid, $"a DAG-CBOR block that is not a dataset manifest: {e.Message}"));
                        }

                        break;
                    default:
                        refused.Add(new RefusedBlock(block.Cid, $"codec {Multicodec.NameOf(block.Cid.Codec)} is neither a batch (raw) nor a dataset (dag-cbor)"));
                        break;
                }
            }

            var datasets = new List<Cid>();
            foreach (var (cid, bytes, manifest) in manifests)
            {
                if (manifest.Batches.FirstOrDefault(b => !content.Repository.Blocks.Has(b.Cid) || content.Repository.GetRecord(b.Cid) is null) is { } missing)
                {
                    refused.Add(new RefusedBlock(cid, $"the dataset links batch {missing.Cid}, which is neither in the CAR nor in the repository"));
                    continue;
                }

                content.Repository.PutBlock(cid, bytes, new BlockRecord
                {
                    Cid = cid,
                    Kind = BlockKind.Dataset,
                    Schema = manifest.Schema.ToString(),
                    Rows = manifest.Rows,
                    Tags = options.Tags,
                    Producer = options.Producer,
                    Provenance = options.Provenance,
                    Pinned = options.Pin && roots.Contains(cid),
                });
                datasets.Add(cid);
            }

            return new CarImportReport
            {
                Roots = reader.Roots,
                BlocksRead = blocksRead,
                Batches = batches,
                Datasets = datasets,
                Refused = refused,
                MissingRoots = reader.Roots.Where(r => content.Repository.GetRecord(r) is null).ToArray(),
            };
        }
        finally
        {
            foreach (var cid in guarded.Where(c => !(options.Pin && roots.Contains(c))))
            {
                content.Repository.Unpin(cid);
            }
        }
    }

    /// <summary>Stores a raw block that is a canonical Arrow batch; returns why not otherwise.</summary>
    private static string? TakeBatch(ContentRepository content, CarBlock block, PutOptions options, HashSet<Cid> guarded)
    {
        Cid canonical;
        try
        {
            canonical = CanonicalEncoder.VerifyCanonical(block.Data);
        }
        catch (ContentFormatException e)
        {
            return $"a raw block that is not a canonical Arrow batch: {e.Message}";
        }

        if (canonical != block.Cid)
        {
            return $"a canonical Arrow batch named by {block.Cid} instead of its CIDv1 (raw, sha2-256) {canonical}";
        }

        // VerifyCanonical has fully validated the stream, so this second look is only for the facts to register.
        using var reader = new ArrowStreamReader(block.Data);
        using var batch = reader.ReadNext()!;
        if (!guarded.Contains(block.Cid) && !content.IsPinned(block.Cid))
        {
            guarded.Add(block.Cid);
        }

        content.RegisterBatch(block.Cid, block.Data.Span, batch.Schema, batch.Length, options, pinned: true);
        return null;
    }
}
