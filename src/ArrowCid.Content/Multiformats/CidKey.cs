using System.Buffers.Binary;

namespace ArrowCid.Content.Multiformats;

/// <summary>
/// A CID's key: the first 16 bytes of SHA-256 of its binary form, read big-endian. Keys are spread
/// evenly whatever the CIDs share (a prefix, a codec, a hash function), so sorted tables of them
/// split evenly on their leading bits: a pack index's fanout, a <see cref="CidKeySet"/>'s groups.
/// </summary>
public static class CidKey
{
    /// <summary>The key of a CID.</summary>
    /// <param name="cid">The CID.</param>
    /// <returns>Its key.</returns>
    public static UInt128 Of(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        Span<byte> digest = stackalloc byte[32];
        Sha256.HashData(cid.Bytes, digest);
        return BinaryPrimitives.ReadUInt128BigEndian(digest);
    }
}
