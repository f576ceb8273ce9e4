using System.Buffers.Binary;
using System.Collections.Concurrent;
using ArrowCid.Arrow;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Validation;
using ArrowCid.Content;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.Registry;
using ArrowCid.Repository;
using ArrowCid.SharedMemory;

namespace ArrowCid.Flight.Service;

/// <summary>
/// Where this node finds the canonical bytes of a CID: the repository's block files first, then,
/// when one is attached, the shared-memory store — its segment files, then its arena (small
/// batches live in arena slots, with no file of their own). Bytes are mapped or leased in place,
/// not read, and hashed before they are served. Block files are only ever replaced by rename, so
/// a file whose length and write time are unchanged since it last hashed to its CID is not hashed
/// again: that keeps DoGet at transport speed for hot content while a corrupted or swapped file is
/// still caught. An arena slot has no such stamp (slots are refilled in place), so it is hashed at
/// every lease; it is small (at most the arena's slot size), so that costs little.
/// </summary>
internal sealed class ContentSource(ContentRepository content, ShmStore? sharedMemory)
{
    private const int MaxRemembered = 100_000;

    private readonly ConcurrentDictionary<Cid, (long Length, DateTime Written)> _verified = new();

    // What the local registry says a raw block is: its bytes decide that, so it is remembered.
    private readonly ConcurrentDictionary<Cid, BlockKind?> _rawKinds = new();

    public ContentRepository Content => content;

    /// <summary>Whether this node holds the block.</summary>
    public bool Has(Cid cid) => content.Repository.Blocks.Has(cid) || (sharedMemory?.Contains(cid) ?? false);

    /// <summary>The block's bytes mapped and checked against the CID, or null when this node lacks it.</summary>
    /// <exception cref="BlockCorruptedException">The stored bytes do not hash to the CID.</exception>
    public MappedContent? TryOpen(Cid cid)
    {
        foreach (string path in CandidatePaths(cid))
        {
            var info = new FileInfo(path);
            MappedFileMemory mapping;
            try
            {
                if (!info.Exists)
                {
                    continue;
                }

                if (info.Length == 0)
                {
                    // Nothing to map: an empty block (imported from elsewhere) when its CID names no bytes.
                    if (cid.Verify([]))
                    {
                        return new MappedContent(ReadOnlyMemory<byte>.Empty, owner: null);
                    }

                    continue;
                }

                mapping = MappedFileMemory.Open(path);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                // Evicted or collected between the check and the open.
                continue;
            }

            var mapped = new MappedContent(mapping.Memory, mapping);
            var stamp = (info.Length, info.LastWriteTimeUtc);
            if (_verified.TryGetValue(cid, out var known) && known == stamp)
            {
                return mapped;
            }

            if (!cid.Verify(mapped.Memory.Span))
            {
                mapped.Dispose();
                _verified.TryRemove(cid, out _);
                throw new BlockCorruptedException(cid, $"the stored copy at {path} does not hash to its CID");
            }

            if (_verified.Count >= MaxRemembered)
            {
                _verified.Clear();
            }

            _verified[cid] = stamp;
            return mapped;
        }

        return TryLeaseFromArena(cid);
    }

    /// <summary>
    /// What the registry would say of a batch this node holds only in its shared-memory store
    /// (published there by a process without a registry): schema, rows and bytes read from the
    /// verified block. Null when the store does not hold it.
    /// </summary>
    /// <exception cref="BlockCorruptedException">The stored bytes do not hash to the CID.</exception>
    /// <exception cref="ContentFormatException">The bytes are not one Arrow record batch.</exception>
    public BlockRecord? DescribeSharedMemoryBatch(Cid cid)
    {
        if (sharedMemory is null || !IsSegmentCid(cid) || !sharedMemory.Contains(cid))
        {
            return null;
        }

        using var mapped = TryOpen(cid);
        if (mapped is null)
        {
            // Evicted since the check.
            return null;
        }

        try
        {
            // Fully validated: anything on this host that can write the store could have put these bytes there.
            using var reader = new ArrowStreamReader(mapped.Memory, new IpcReadOptions { Validation = ValidationLevel.Full });
            using var batch = reader.ReadNext() ?? throw new ContentFormatException($"{cid}: the shared-memory block holds no record batch");
            return new BlockRecord
            {
                Cid = cid,
                Kind = BlockKind.Batch,
                Schema = reader.Schema.ToString(),
                Rows = batch.Length,
                Bytes = mapped.Memory.Length,
                Locations = ["shm:" + sharedMemory.PathOf(cid)],
            };
        }
        catch (ArrowFormatException e)
        {
            throw new ContentFormatException($"{cid}: the shared-memory block is not a valid Arrow IPC stream: {e.Message}", e);
        }
    }

    /// <summary>Forgets a CID's verified state (after it is deleted or replaced).</summary>
    public void Forget(Cid cid)
    {
        _verified.TryRemove(cid, out _);
        _rawKinds.TryRemove(cid, out _);
    }

    /// <summary>
    /// The kind the local registry gives a block, null when it is not registered here (a batch only
    /// in the shared-memory store). Remembered for raw blocks, whose bytes alone decide whether they
    /// are a batch, an Arrow stream or foreign, so DoGet asks the registry once per CID.
    /// </summary>
    public BlockKind? KindOf(Cid cid)
    {
        if (cid.Codec != Multicodec.Raw)
        {
            return content.Repository.GetRecord(cid)?.Kind;
        }

        if (_rawKinds.TryGetValue(cid, out var known))
        {
            return known;
        }

        var kind = content.Repository.GetRecord(cid)?.Kind;
        if (kind is not null)
        {
            // An unregistered block may be registered later (an import): only answers found are kept.
            if (_rawKinds.Count >= MaxRemembered)
            {
                _rawKinds.Clear();
            }

            _rawKinds[cid] = kind;
        }

        return kind;
    }

    /// <summary>
    /// The first message of a stored batch or Arrow stream (its schema message) in encapsulated
    /// form: 0xFFFFFFFF, int32 length, metadata — for a canonical block, exactly its first bytes.
    /// </summary>
    public byte[]? TryReadSchemaMessage(Cid cid)
    {
        using var mapped = TryOpen(cid);
        if (mapped is null)
        {
            return null;
        }

        foreach (var (metadata, _) in IpcMessageDecoder.Split(mapped.Memory))
        {
            // Built, not sliced: a stream from elsewhere may frame it with the legacy 4-byte prefix.
            byte[] message = new byte[8 + metadata.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(message, 0xFFFFFFFF);
            BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(4), metadata.Length);
            metadata.Span.CopyTo(message.AsSpan(8));
            return message;
        }

        return null;
    }

    private IEnumerable<string> CandidatePaths(Cid cid)
    {
        yield return content.Repository.Blocks.GetBlockPath(cid);
        if (sharedMemory is not null && IsSegmentCid(cid))
        {
            yield return sharedMemory.PathOf(cid);
        }
    }

    // Served in place under the slot's lease, so DoGet sends the arena's bytes without copying them.
    private MappedContent? TryLeaseFromArena(Cid cid)
    {
        if (sharedMemory is null || !IsSegmentCid(cid))
        {
            return null;
        }

        try
        {
            return sharedMemory.TryLeaseArenaBytes(cid) is { } leased ? new MappedContent(leased.Memory, leased) : null;
        }
        catch (ShmSegmentCorruptedException e)
        {
            throw new BlockCorruptedException(cid, e.Message);
        }
    }

    // The shared-memory store holds raw sha2-256 blocks only.
    private static bool IsSegmentCid(Cid cid) => cid.Codec == Multicodec.Raw && cid.Hash.Code == Multicodec.Sha2256;
}
