using ArrowCid.Arrow.Memory;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>
/// A block file mapped read-only, so batches, IPC streams and CARs are served straight from the
/// page cache. Block files are replaced only by rename, never rewritten, so the mapping keeps
/// seeing the bytes it opened. The lease keeps the mapping alive while batches use it.
/// </summary>
internal sealed class MappedBlock : IDisposable
{
    private MappedBlock(Cid cid, SharedLease lease, ReadOnlyMemory<byte> memory)
    {
        Cid = cid;
        Lease = lease;
        Memory = memory;
    }

    public Cid Cid { get; }

    /// <summary>The creator's reference is dropped by <see cref="Dispose"/>; batches take their own.</summary>
    public SharedLease Lease { get; }

    public ReadOnlyMemory<byte> Memory { get; }

    /// <summary>Maps a block, re-hashing it when <paramref name="verify"/>.</summary>
    /// <exception cref="BlockNotFoundException">No such block.</exception>
    /// <exception cref="BlockCorruptedException">The file does not hash to the CID.</exception>
    public static MappedBlock Open(DirectoryBlockStore store, Cid cid, bool verify)
    {
        MappedFileMemory mapping;
        try
        {
            mapping = MappedFileMemory.Open(store.GetBlockPath(cid));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BlockNotFoundException(cid);
        }

        var lease = new SharedLease(mapping);
        var block = new MappedBlock(cid, lease, mapping.Memory);
        if (verify && !cid.Verify(block.Memory.Span))
        {
            block.Dispose();
            throw new BlockCorruptedException(cid, $"Stored block file of {block.Memory.Length} bytes does not hash to its CID");
        }

        return block;
    }

    public void Dispose() => Lease.Release();
}
