using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Stores;

/// <summary>
/// Bytes named by CIDs. A block becomes visible only after its bytes have been checked against
/// its CID, so everything a store returns is either the content its CID names or (when the
/// medium is not trusted and the store verifies on read) a <see cref="BlockCorruptedException"/>.
/// Implementations are safe for concurrent use.
/// </summary>
public interface IBlockStore
{
    /// <summary>Whether a block for <paramref name="cid"/> is stored.</summary>
    /// <param name="cid">The block's CID.</param>
    /// <returns>True when present.</returns>
    bool Has(Cid cid);

    /// <summary>The block's bytes.</summary>
    /// <param name="cid">The block's CID.</param>
    /// <returns>The content.</returns>
    /// <exception cref="BlockNotFoundException">No such block.</exception>
    /// <exception cref="BlockCorruptedException">The stored bytes do not hash to the CID (verified reads only).</exception>
    ReadOnlyMemory<byte> Read(Cid cid);

    /// <summary>The block's bytes, if present.</summary>
    /// <param name="cid">The block's CID.</param>
    /// <param name="block">The content, or empty when absent.</param>
    /// <returns>True when present.</returns>
    /// <exception cref="BlockCorruptedException">The stored bytes do not hash to the CID (verified reads only).</exception>
    bool TryRead(Cid cid, out ReadOnlyMemory<byte> block);

    /// <summary>
    /// A read-only stream over the block, for blocks too big to hold in one buffer. When the
    /// store verifies reads, the hash is checked as the stream is consumed and a mismatch is
    /// raised when the end is reached: treat the content as unverified until then.
    /// </summary>
    /// <param name="cid">The block's CID.</param>
    /// <returns>A stream the caller disposes.</returns>
    /// <exception cref="BlockNotFoundException">No such block.</exception>
    Stream OpenRead(Cid cid);

    /// <summary>The stored size of a block.</summary>
    /// <param name="cid">The block's CID.</param>
    /// <param name="size">Its length in bytes, or 0 when absent.</param>
    /// <returns>True when present.</returns>
    bool TryGetSize(Cid cid, out long size);

    /// <summary>
    /// Stores a block after checking that <paramref name="block"/> hashes to <paramref name="cid"/>.
    /// When this returns the block is durable; storing a block that is already present is a no-op.
    /// </summary>
    /// <param name="cid">The block's CID.</param>
    /// <param name="block">The content.</param>
    /// <exception cref="BlockCorruptedException">The content does not hash to the CID; nothing was stored.</exception>
    void Put(Cid cid, ReadOnlySpan<byte> block);

    /// <summary>Stores a block read from a stream to its end, checking the hash before the block becomes visible.</summary>
    /// <param name="cid">The block's CID.</param>
    /// <param name="content">The content, read from its current position to the end.</param>
    /// <exception cref="BlockCorruptedException">The content does not hash to the CID; nothing was stored.</exception>
    void Put(Cid cid, Stream content);

    /// <summary>Removes a block.</summary>
    /// <param name="cid">The block's CID.</param>
    /// <returns>True when a block was removed.</returns>
    bool Delete(Cid cid);

    /// <summary>Every stored CID, in no particular order. Blocks written or deleted while enumerating may or may not appear.</summary>
    /// <returns>The CIDs.</returns>
    IEnumerable<Cid> Enumerate();
}
