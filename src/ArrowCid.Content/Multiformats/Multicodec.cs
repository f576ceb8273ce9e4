namespace ArrowCid.Content.Multiformats;

/// <summary>The multicodec codes this library uses (values from multiformats/multicodec table.csv).</summary>
public static class Multicodec
{
    /// <summary>identity multihash: the digest is the data itself.</summary>
    public const ulong Identity = 0x00;

    /// <summary>sha2-256 multihash.</summary>
    public const ulong Sha2256 = 0x12;

    /// <summary>raw binary IPLD codec.</summary>
    public const ulong Raw = 0x55;

    /// <summary>MerkleDAG protobuf codec (implicit in CIDv0).</summary>
    public const ulong DagPb = 0x70;

    /// <summary>MerkleDAG CBOR codec.</summary>
    public const ulong DagCbor = 0x71;

    /// <summary>CARv2 index format: IndexSorted.</summary>
    public const ulong CarIndexSorted = 0x0400;

    /// <summary>CARv2 index format: MultihashIndexSorted.</summary>
    public const ulong CarMultihashIndexSorted = 0x0401;

    /// <summary>A short name for a code, for error messages.</summary>
    /// <param name="code">A multicodec code.</param>
    /// <returns>The table name, or the code in hex.</returns>
    public static string NameOf(ulong code) => code switch
    {
        Identity => "identity",
        Sha2256 => "sha2-256",
        Raw => "raw",
        DagPb => "dag-pb",
        DagCbor => "dag-cbor",
        CarIndexSorted => "car-index-sorted",
        CarMultihashIndexSorted => "car-multihash-index-sorted",
        // Names only (for messages about content from elsewhere): codes this library does not support.
        0x13 => "sha2-512",
        0x16 => "sha3-256",
        0x1e => "blake3",
        0xb220 => "blake2b-256",
        0x0129 => "dag-json",
        0x0200 => "json",
        _ => $"0x{code:x}",
    };
}
