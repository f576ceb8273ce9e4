using System.Buffers.Binary;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Tests.Multiformats;

/// <summary>Distinct CIDs by number, for sets and lists of any size.</summary>
internal static class NumberedCids
{
    /// <summary>The raw CID of n's four little-endian bytes.</summary>
    public static Cid Raw(int n) => Cid.ForRaw(Bytes(n));

    /// <summary>Raw or dag-cbor (one in three raw), so CIDs of two codecs mix.</summary>
    public static Cid Mixed(int n) => n % 3 == 0 ? Raw(n) : Cid.CreateV1(Multicodec.DagCbor, Multihash.Sha256(Bytes(n)));

    private static byte[] Bytes(int n)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, n);
        return bytes;
    }
}
