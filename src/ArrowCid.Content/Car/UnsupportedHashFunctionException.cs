using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Car;

/// <summary>
/// A CAR section whose CID names a hash function this library cannot compute (only sha2-256 and
/// identity are supported), so its block cannot be verified and is refused. The section has been
/// read past: the <see cref="CarReader"/> that threw can go on with the next block.
/// </summary>
public sealed class UnsupportedHashFunctionException : FormatException
{
    /// <summary>Creates the exception for a section's CID.</summary>
    /// <param name="cid">The CID as text (multibase base32, or base58btc for a CIDv0 form), for messages.</param>
    /// <param name="codec">The block's codec.</param>
    /// <param name="hashFunction">The multihash function code.</param>
    /// <param name="offset">Byte offset of the section's CID in the CAR.</param>
    public UnsupportedHashFunctionException(string cid, ulong codec, ulong hashFunction, long offset)
        : base($"{cid}: hash function {Multicodec.NameOf(hashFunction)} cannot be verified here (only sha2-256 and identity are); the block is refused (at offset {offset})")
    {
        Cid = cid;
        Codec = codec;
        HashFunction = hashFunction;
        Offset = offset;
    }

    /// <summary>Creates the exception with a default message.</summary>
    public UnsupportedHashFunctionException()
        : base("The block's hash function cannot be verified.")
    {
        Cid = string.Empty;
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What was wrong.</param>
    public UnsupportedHashFunctionException(string message)
        : base(message)
    {
        Cid = string.Empty;
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The cause.</param>
    public UnsupportedHashFunctionException(string message, Exception innerException)
        : base(message, innerException)
    {
        Cid = string.Empty;
    }

    /// <summary>The block's CID as text (it cannot be a <see cref="Multiformats.Cid"/>, which holds only verifiable hashes).</summary>
    public string Cid { get; }

    /// <summary>The block's codec (raw, dag-cbor, …).</summary>
    public ulong Codec { get; }

    /// <summary>The multihash function code the CID names.</summary>
    public ulong HashFunction { get; }

    /// <summary>Byte offset of the section's CID in the CAR; -1 when unknown.</summary>
    public long Offset { get; } = -1;
}
