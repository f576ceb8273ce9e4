using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Datasets;

/// <summary>An encoded dataset manifest: the DAG-CBOR bytes and the CID that names them ("bafyrei…").</summary>
/// <param name="Cid">CIDv1, dag-cbor codec, sha2-256 of <paramref name="Bytes"/>.</param>
/// <param name="Bytes">The canonical DAG-CBOR encoding of the manifest.</param>
public sealed record DatasetBlock(Cid Cid, byte[] Bytes);
