using ArrowCid.Arrow;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Validation;
using ArrowCid.Content;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>What a block turned out to be, and the facts the registry records for it.</summary>
/// <param name="Kind">Batch, dataset (a table's manifest root), table node, Arrow stream or foreign.</param>
/// <param name="Schema">The Arrow schema (batches, datasets and Arrow streams), as text.</param>
/// <param name="Rows">Rows of a batch, a dataset, a table node or all of an Arrow stream's batches.</param>
/// <param name="Table">A dataset's root, opened (version 1 or 2; nodes below it are not read).</param>
/// <param name="Canonical">For an Arrow stream, the CIDs <c>put</c> (and <c>cid</c>) give its rows; null when they cannot be re-encoded.</param>
/// <param name="Note">Why a block is not a canonical batch or a dataset manifest (what <c>--strict</c> refuses it for).</param>
internal sealed record BlockDescription(BlockKind Kind, string? Schema, long Rows, TableManifest? Table, PutStreamResult? Canonical, string? Note)
{
    /// <summary>
    /// The registry record of a block found to be this, labelled as <paramref name="options"/> say
    /// (its links and size are filled in by <see cref="LocalRepository.PutBlock(Content.HashedBlock, BlockRecord)"/>);
    /// a table node is registered as a put registers it, unlabelled and unpinned.
    /// </summary>
    public BlockRecord ToRecord(Cid cid, PutOptions options, bool pinned) => Kind == BlockKind.TableNode ? TableWriter.NodeRecord(cid) : new()
    {
        Cid = cid,
        Kind = Kind,
        Schema = Schema,
        Rows = Rows,
        Tags = options.Tags,
        Producer = options.Producer,
        Provenance = options.Provenance,
        Pinned = pinned,
    };
}

/// <summary>
/// Tells what a block is from its codec and bytes (which have already been checked against the
/// CID): a canonical Arrow batch, a table's manifest root (a version-1 dataset manifest or a
/// version-2 tree root: a dataset), a manifest tree node below a root, an Arrow IPC stream that is
/// not canonical, or any other (foreign) block. Whether a table's nodes and chunks are all present
/// is not the block's own fact; the import checks it. Every Arrow stream is fully validated before it is described.
/// </summary>
internal static class BlockClassifier
{
    /// <summary>What the block is.</summary>
    /// <param name="cid">The CID the bytes came under.</param>
    /// <param name="bytes">The block.</param>
    /// <param name="hashed">True when the caller has hashed the bytes against <paramref name="cid"/> (a <see cref="HashedBlock"/>, a CAR reader's section): a batch is then checked canonical without being hashed once more.</param>
    public static BlockDescription Describe(Cid cid, ReadOnlyMemory<byte> bytes, bool hashed = false) => cid.Codec switch
    {
        Multicodec.Raw => DescribeRaw(cid, bytes, hashed),
        Multicodec.DagCbor => DescribeDagCbor(cid, bytes),
        _ => Foreign($"codec {Multicodec.NameOf(cid.Codec)} is neither a batch (raw) nor a dataset (dag-cbor)"),
    };

    private static BlockDescription DescribeRaw(Cid cid, ReadOnlyMemory<byte> bytes, bool hashed)
    {
        string note;
        try
        {
            // The layout first: it costs a few header reads, and a block that is not laid out as
            // schema, dictionaries, one record batch and end-of-stream is refused with where it breaks,
            // before the batch is decoded and re-encoded.
            CanonicalBlockLayout.Parse(bytes);
            // Bytes hashed to a CIDv1 (raw, sha2-256) are that CID's: the canonical CID without a second hash.
            bool canonicalForm = cid.Version == 1 && cid.Hash.Code == Multicodec.Sha2256;
            Cid canonical;
            if (hashed && canonicalForm)
            {
                CanonicalEncoder.CheckCanonical(bytes);
                canonical = cid;
            }
            else
            {
                canonical = CanonicalEncoder.VerifyCanonical(bytes);
            }

            if (canonical == cid)
            {
                // The canonical check has fully validated the stream, so this second look is only for the facts to register.
                using var reader = new ArrowStreamReader(bytes);
                using var batch = reader.ReadNext()!;
                return new BlockDescription(BlockKind.Batch, batch.Schema.ToString(), batch.Length, null, null, null);
            }

            note = $"a canonical Arrow batch named by {cid} instead of its CIDv1 (raw, sha2-256) {canonical}";
        }
        catch (ContentFormatException e)
        {
            note = $"a raw block that is not a canonical Arrow batch: {e.Message}";
        }

        return DescribeArrowStream(bytes, note) ?? Foreign(note);
    }

    // A stream any Arrow reader can read, kept as it is; null when the bytes are not one.
    private static BlockDescription? DescribeArrowStream(ReadOnlyMemory<byte> bytes, string note)
    {
        var options = new IpcReadOptions { Validation = ValidationLevel.Full };
        string schema;
        long rows = 0;
        try
        {
            using var reader = new ArrowStreamReader(bytes, options);
            schema = reader.Schema.ToString();
            while (reader.ReadNext() is { } batch)
            {
                rows += batch.Length;
                batch.Dispose();
            }
        }
        catch (Exception e) when (e is ArrowFormatException or ContentFormatException)
        {
            return null;
        }

        PutStreamResult? canonical;
        try
        {
            using var again = new ArrowStreamReader(bytes, options);
            canonical = ContentRepository.ComputeCids(again);
        }
        catch (Exception e) when (e is ArrowFormatException or ContentFormatException or ArgumentException or NotSupportedException)
        {
            // Readable, but not re-encodable in canonical form: kept and described all the same.
            canonical = null;
        }

        return new BlockDescription(BlockKind.ArrowStream, schema, rows, null, canonical, note);
    }

    private static BlockDescription DescribeDagCbor(Cid cid, ReadOnlyMemory<byte> bytes)
    {
        string rootProblem;
        try
        {
            // Opening a root reads only the root block.
            var table = TableManifest.Open(cid, c => c == cid ? bytes : throw new BlockNotFoundException(c));
            return new BlockDescription(BlockKind.Dataset, table.Schema.ToString(), table.Rows, table, null, null);
        }
        catch (ContentFormatException e)
        {
            rootProblem = e.Message;
        }

        try
        {
            var node = TableTreeNode.Decode(bytes.Span, cid, root: false);
            return new BlockDescription(BlockKind.TableNode, null, node.Rows, null, null, null);
        }
        catch (ContentFormatException)
        {
            return Foreign($"a DAG-CBOR block that is not a table manifest: {rootProblem}");
        }
    }

    private static BlockDescription Foreign(string note) => new(BlockKind.Foreign, null, 0, null, null, note);
}
