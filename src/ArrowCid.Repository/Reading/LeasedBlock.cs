using ArrowCid.Arrow.Memory;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Repository;

/// <summary>How a <see cref="BlockReader"/> brings a block file into memory.</summary>
public enum BlockAccess
{
    /// <summary>Mapped read-only, in place: for blocks held a while (batches read over them, attached tables).</summary>
    Map,

    /// <summary>
    /// For a block held briefly (sent and let go): a file of at most <see cref="BlockReader.ReadLimit"/>
    /// bytes is read into a pooled buffer, which costs less than mapping and unmapping it; a larger one is mapped.
    /// </summary>
    Read,

    /// <summary>
    /// For a block sent often (a server streaming hot chunks): a verified block file of at most
    /// <see cref="BlockReader.ReadLimit"/> bytes is mapped once and the mapping kept by the reader,
    /// so a later open of the same block costs one status call of its path (to see the file is
    /// still the one verified) instead of an open, a read into a buffer and a close; the bytes are
    /// sent from the page cache. A block not yet verified here, changed since, packed, or beyond
    /// what the reader keeps is opened as <see cref="Read"/>. Only with <c>verify: true</c> (and not
    /// on Windows, where a mapped file cannot be deleted); otherwise the same as <see cref="Read"/>.
    /// </summary>
    Keep,
}

/// <summary>Where a <see cref="BlockReader"/> found a block.</summary>
public enum BlockLocation
{
    /// <summary>The repository's block file (<c>blocks/</c>), mapped (or read, see <see cref="BlockAccess.Read"/>).</summary>
    RepositoryFile,

    /// <summary>A shared-memory segment file, mapped.</summary>
    SegmentFile,

    /// <summary>
    /// A record in one of the repository's pack files (<c>blocks/packs/</c>, small blocks): a
    /// 64-byte aligned slice of the mapped pack (or, for <see cref="BlockAccess.Read"/>, read into a
    /// pooled buffer). <see cref="LeasedBlock.Where"/> names the pack and the offset; the pack file
    /// holds other blocks too, so it is never sent whole.
    /// </summary>
    RepositoryPack,

    /// <summary>A shared-memory arena slot, in place under the slot's lease.</summary>
    ArenaSlot,
}

/// <summary>
/// A block's bytes in place — a block or segment file mapped read-only (or, for a brief hold of a
/// small file, read into a pooled buffer), or a shared-memory arena slot — checked against its CID as the <see cref="BlockReader"/> that opened it decided, and
/// kept valid by <see cref="Lease"/>. Disposing drops the opener's reference; batches read over
/// <see cref="Memory"/> take their own (pass <see cref="Lease"/> to the IPC reader), so the file
/// stays mapped, or the slot leased, until the last of them is disposed too.
/// </summary>
public sealed class LeasedBlock : IDisposable
{
    private int _disposed;

    internal LeasedBlock(Cid cid, ReadOnlyMemory<byte> memory, SharedLease lease, BlockLocation location, string where)
    {
        Cid = cid;
        Memory = memory;
        Lease = lease;
        Location = location;
        Where = where;
    }

    /// <summary>The block's CID.</summary>
    public Cid Cid { get; }

    /// <summary>The bytes, in place (no copy); read them only while a reference to <see cref="Lease"/> is held.</summary>
    public ReadOnlyMemory<byte> Memory { get; }

    /// <summary>The reference count that keeps <see cref="Memory"/> mapped or leased.</summary>
    public SharedLease Lease { get; }

    /// <summary>Where the bytes were found.</summary>
    public BlockLocation Location { get; }

    /// <summary>The file path, or the arena file and offset, for messages.</summary>
    public string Where { get; }

    /// <summary>Drops the opener's reference (once); the memory goes when no batch holds one either.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Lease.Release();
        }
    }
}
