using System.Buffers.Binary;
using System.Collections.Concurrent;
using ArrowCid.Arrow;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Validation;
using ArrowCid.Content;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.Registry;
using ArrowCid.Repository;
using ArrowCid.SharedMemory;


namespace ArrowCid.Node;

/// <summary>
/// What the Flight service serves, over the repository's content: blocks through one
/// <see cref="BlockReader"/> over the repository and, when one is attached, the host's
/// shared-memory store (so batches published there without a registry are served too), plus what
/// only Flight asks of them — the registry's kind of a block (remembered for raw blocks), the
/// description of a batch held only in shared memory, and a block's schema message.
/// </summary>
public sealed class NodeContent(ContentRepository content, ShmStore? sharedMemory)
{
    private const int MaxRemembered = 100_000;

    // What the local registry says a raw block is: its bytes decide that, so it is remembered.
    private readonly ConcurrentDictionary<Cid, BlockKind?> _rawKinds = new();

    /// <summary>Reads blocks from the repository, then the shared-memory store: the repository's own reader when there is no store.</summary>
    public BlockReader Reader { get; } = sharedMemory is null ? content.Reader : ReaderWithSharedMemory(content, sharedMemory);

    // A reader of its own, told of the repository's deletions like the repository's reader is.
    private static BlockReader ReaderWithSharedMemory(ContentRepository content, ShmStore sharedMemory)
    {
        var reader = new BlockReader(content.Repository.Blocks, sharedMemory);
        content.Repository.BlockDeleted += reader.Forget;
        return reader;
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
        if (sharedMemory is null || cid.Codec != Multicodec.Raw || cid.Hash.Code != Multicodec.Sha2256 || !sharedMemory.Contains(cid))
        {
            return null;
        }

        using var block = Reader.TryOpen(cid);
        if (block is null)
        {
            // Evicted since the check.
            return null;
        }

        try
        {
            // Fully validated: anything on this host that can write the store could have put these bytes there.
            using var reader = new ArrowStreamReader(block.Memory, new IpcReadOptions { Validation = ValidationLevel.Full });
            using var batch = reader.ReadNext() ?? throw new ContentFormatException($"{cid}: the shared-memory block holds no record batch");
            return new BlockRecord
            {
                Cid = cid,
                Kind = BlockKind.Batch,
                Schema = reader.Schema.ToString(),
                Rows = batch.Length,
                Bytes = block.Memory.Length,
                Locations = ["shm:" + sharedMemory.PathOf(cid)],
            };
        }
        catch (ArrowFormatException e)
        {
            throw new ContentFormatException($"{cid}: the shared-memory block is not a valid Arrow IPC stream: {e.Message}", e);
        }
    }

    /// <summary>Forgets a CID's verified state and kind (after it is deleted or replaced).</summary>
    public void Forget(Cid cid)
    {
        Reader.Forget(cid);
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
    /// Null when this node lacks the block.
    /// </summary>
    /// <exception cref="BlockCorruptedException">The stored bytes do not hash to the CID.</exception>
    /// <exception cref="ContentFormatException">A batch block is not laid out as a canonical block.</exception>
    public byte[]? TryReadSchemaMessage(Cid cid, BlockKind kind)
    {
        // Read, not mapped: a listing of millions of tables reads each one's schema once, and mapped
        // pack pages would stay in the node's resident set.
        using var block = Reader.TryOpen(cid, access: BlockAccess.Read);
        if (block is null)
        {
            return null;
        }

        if (kind != BlockKind.ArrowStream)
        {
            return CanonicalBlockLayout.Parse(block.Memory, cid).SchemaMessage.ToArray();
        }

        foreach (var (metadata, _) in IpcMessageDecoder.Split(block.Memory))
        {
            // Built, not sliced: a stream from elsewhere may frame it with the legacy 4-byte prefix.
            byte[] message = new byte[8 + metadata.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(message, EncodedMessage.Continuation);
            BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(4), metadata.Length);
            metadata.Span.CopyTo(message.AsSpan(8));
            return message;
        }

        return null;
    }
}
