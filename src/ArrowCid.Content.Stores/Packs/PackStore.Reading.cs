using System.Buffers;
using ArrowCid.Arrow.IO;
using ArrowCid.Arrow.Memory;
using ArrowCid.Content.Multiformats;
using Microsoft.Win32.SafeHandles;

namespace ArrowCid.Content.Stores.Packs;

/// <summary>Reading a copy: pack mappings shared by every reader (a deleted file's mapping stays valid), plain reads, and checks that a copy hashes to its CID.</summary>
public sealed partial class PackStore
{
    /// <summary>
    /// The block's bytes in the mapped pack, with a reference that keeps the mapping alive (dispose
    /// it when done). The slice is 64-byte aligned. Null when the pack file is gone (compacted by
    /// another process: <see cref="Find"/> again).
    /// </summary>
    /// <param name="block">A location from <see cref="Find"/>.</param>
    /// <returns>The bytes and the reference, or null.</returns>
    public (ReadOnlyMemory<byte> Memory, IDisposable Reference)? Map(PackedBlock block) =>
        MapPack(block.Pack, block.End) is { } mapped ? (mapped.Memory.Slice((int)block.Offset, block.Length), mapped.Reference) : null;

    // The whole pack mapped (at least through end), with a reference; null when the file is gone or shorter.
    private (ReadOnlyMemory<byte> Memory, IDisposable Reference)? MapPack(ulong pack, long end)
    {
        lock (_mappings)
        {
            if (!_mappings.TryGetValue(pack, out var mapping) || mapping.Length < end)
            {
                MappedFileMemory mapped;
                try
                {
                    using var file = new FileStream(PathOf(pack), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
                    if (file.Length < end)
                    {
                        return null;
                    }

                    mapped = MappedFileMemory.Map(file);
                }
                catch (FileNotFoundException)
                {
                    Forget(pack);
                    return null;
                }

                // The cache's reference on the old mapping goes; leases still holding it keep it mapped.
                mapping?.Lease.Release();
                mapping = new PackMapping(new SharedLease(mapped), mapped.Memory, mapped.Length);
                _mappings[pack] = mapping;
            }

            return (mapping.Memory, mapping.Lease.Acquire());
        }
    }

    /// <summary>Reads a block's bytes into <paramref name="destination"/> (at least <see cref="PackedBlock.Length"/> long) with one pread.</summary>
    /// <param name="block">A location from <see cref="Find"/>.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <returns>False when the pack file is gone or too short.</returns>
    public bool TryRead(PackedBlock block, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, block.Length);
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(PathOf(block.Pack), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
            Forget(block.Pack);
            return false;
        }

        using (handle)
        {
            return PositionalRead.Fill(handle, destination[..block.Length], block.Offset) == block.Length;
        }
    }

    /// <summary>Whether a packed copy's bytes hash to its CID.</summary>
    /// <param name="cid">The CID.</param>
    /// <param name="block">The copy.</param>
    /// <returns>True when intact (or gone since it was listed).</returns>
    public bool IsIntact(Cid cid, PackedBlock block)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(block.Length);
        try
        {
            return !TryRead(block, buffer) ? !File.Exists(PathOf(block.Pack)) : cid.Verify(buffer.AsSpan(0, block.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
