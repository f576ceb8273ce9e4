using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content;

/// <summary>
/// A block whose bytes have been hashed to its CID exactly once, by the code that made them (an
/// encoder) or by <see cref="Verify"/>, so a store takes it without hashing it again. Only this
/// library creates one; the bytes are never handed out writable.
/// </summary>
public sealed class HashedBlock
{
    internal HashedBlock(Cid cid, ReadOnlyMemory<byte> bytes)
    {
        Cid = cid;
        Bytes = bytes;
    }

    /// <summary>The CID the bytes hash to.</summary>
    public Cid Cid { get; }

    /// <summary>The block's bytes.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>Hashes bytes from outside against the CID they are offered under.</summary>
    /// <param name="cid">The claimed CID.</param>
    /// <param name="bytes">The content; the caller must not change it while the block is used.</param>
    /// <returns>The block.</returns>
    /// <exception cref="BlockCorruptedException">The bytes do not hash to the CID.</exception>
    public static HashedBlock Verify(Cid cid, ReadOnlyMemory<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(cid);
        return cid.Verify(bytes.Span)
            ? new HashedBlock(cid, bytes)
            : throw new BlockCorruptedException(cid, $"Content of {bytes.Length} bytes does not hash to the CID it was offered under");
    }
}
