using ArrowCid.Arrow.Types;
using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Datasets;

/// <summary>
/// A table of many batches, named as a whole: a strict DAG-CBOR map (docs/datasets.md)
/// <code>
/// { "type": "arrowcid/dataset", "version": 1,
///   "schema": bytes,                       // the canonical Schema message
///   "batches": [ { "cid": link, "rows": int, "bytes": int }, … ],   // in table order
///   "rows": int, "bytes": int }            // totals over the batches
/// </code>
/// encoded with canonical key order and minimal integers, links as tag 42, and named by a CIDv1
/// (dag-cbor, sha2-256), printed <c>bafyrei…</c>. Equal manifests encode to equal bytes.
/// </summary>
public sealed class DatasetManifest
{
    /// <summary>The value of the "type" field.</summary>
    public const string TypeName = "arrowcid/dataset";

    /// <summary>The manifest format version this code writes and reads.</summary>
    public const int FormatVersion = 1;

    private readonly byte[] _schemaMessage;

    private DatasetManifest(byte[] schemaMessage, Schema schema, IReadOnlyList<DatasetBatch> batches, long rows, long bytes)
    {
        _schemaMessage = schemaMessage;
        Schema = schema;
        Batches = batches;
        Rows = rows;
        Bytes = bytes;
    }

    /// <summary>The schema every batch has.</summary>
    public Schema Schema { get; }

    /// <summary>The canonical Schema message: the first bytes of every batch block of the dataset.</summary>
    public ReadOnlySpan<byte> SchemaMessage => _schemaMessage;

    /// <summary>The batches in table order (a CID may repeat).</summary>
    public IReadOnlyList<DatasetBatch> Batches { get; }

    /// <summary>Rows in all batches.</summary>
    public long Rows { get; }

    /// <summary>Bytes of all batch blocks (the manifest itself not counted).</summary>
    public long Bytes { get; }

    /// <summary>A manifest for <paramref name="batches"/> of <paramref name="schema"/>; totals are computed.</summary>
    /// <param name="schema">The schema of every batch.</param>
    /// <param name="batches">The batches in table order.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="ArgumentException">A batch CID is not raw sha2-256, or a count is out of range.</exception>
    public static DatasetManifest Create(Schema schema, IEnumerable<DatasetBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(batches);
        byte[] message = DatasetSchemaMessage.Encode(schema);
        var list = batches.ToArray();
        long rows = 0;
        long bytes = 0;
        foreach (var batch in list)
        {
            ArgumentNullException.ThrowIfNull(batch, nameof(batches));
            if (DatasetManifestRules.BatchProblem(batch, message.Length) is { } problem)
            {
                throw new ArgumentException(problem, nameof(batches));
            }

            rows = checked(rows + batch.Rows);
            bytes = checked(bytes + batch.Bytes);
        }

        // Re-reading the canonical message gives the schema exactly as every decoder will see it.
        return new DatasetManifest(message, DatasetSchemaMessage.Decode(message), list, rows, bytes);
    }

    /// <summary>Decodes a manifest block from outside, checking it against its CID and every field against the format.</summary>
    /// <param name="block">The block bytes.</param>
    /// <param name="expected">The CID the block was fetched under (dag-cbor, sha2-256).</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="ContentFormatException">Wrong codec, hash mismatch, not strict DAG-CBOR, or not a valid manifest.</exception>
    public static DatasetManifest Decode(ReadOnlySpan<byte> block, Cid expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (expected.Hash.Code != Multicodec.Sha2256)
        {
            throw new ContentFormatException($"dataset manifest: {expected} is not a sha2-256 CID");
        }

        var node = DagCborDecoder.DecodeVerified(expected, block);
        var (message, schema, batches, rows, bytes) = DatasetManifestRules.Read(node);
        return new DatasetManifest(message, schema, batches, rows, bytes);
    }

    /// <summary>Decodes a manifest block and names it, for blocks that come without a CID.</summary>
    /// <param name="block">The block bytes.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="ContentFormatException">Not a valid manifest.</exception>
    public static DatasetManifest Decode(ReadOnlySpan<byte> block) => Decode(block, Cid.ForDagCbor(block));

    /// <summary>The manifest as an IPLD data-model tree.</summary>
    /// <returns>The root map.</returns>
    public DagNode ToNode() => DagNode.MapOf(
        (DatasetManifestRules.TypeKey, DagNode.Of(TypeName)),
        (DatasetManifestRules.VersionKey, DagNode.Of((long)FormatVersion)),
        (DatasetManifestRules.SchemaKey, DagNode.OfBytes(_schemaMessage)),
        (DatasetManifestRules.BatchesKey, DagNode.ListOf(Batches.Select(b => DagNode.MapOf(
            (DatasetManifestRules.CidKey, DagNode.Of(b.Cid)),
            (DatasetManifestRules.RowsKey, DagNode.Of(b.Rows)),
            (DatasetManifestRules.BytesKey, DagNode.Of(b.Bytes)))))),
        (DatasetManifestRules.RowsKey, DagNode.Of(Rows)),
        (DatasetManifestRules.BytesKey, DagNode.Of(Bytes)));

    /// <summary>Encodes the manifest and names it.</summary>
    /// <returns>The canonical DAG-CBOR bytes and their CID ("bafyrei…").</returns>
    public DatasetBlock Encode()
    {
        byte[] bytes = DagCborEncoder.EncodeBlock(ToNode(), out var cid);
        return new DatasetBlock(cid, bytes);
    }

    /// <summary>
    /// Encodes the manifest and names it as a block a store takes without hashing it again: the
    /// bytes are hashed once, here, and never handed out writable.
    /// </summary>
    /// <returns>The block ("bafyrei…", dag-cbor, sha2-256).</returns>
    public HashedBlock EncodeHashed()
    {
        byte[] bytes = DagCborEncoder.EncodeBlock(ToNode(), out var cid);
        return new HashedBlock(cid, bytes);
    }
}
