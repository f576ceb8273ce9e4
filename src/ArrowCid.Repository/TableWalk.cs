using System.Diagnostics.CodeAnalysis;
using ArrowCid.Content;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;

namespace ArrowCid.Repository;

/// <summary>
/// The walk from a table's root CID to every block the table consists of, apart from where the
/// blocks come from: the walk names the next block whose content it needs (a manifest, for its
/// links; a batch root, for its length), the caller reads it — from this repository, or from another
/// node — and hands it in, until nothing is pending. Manifests state their batches' lengths, so
/// batches themselves are never needed. A table is a batch (raw CID: one block) or a dataset
/// (a DAG-CBOR manifest and the batches it links). This is the one place that knows which blocks
/// a table has; <see cref="TableBlocks"/> reads it locally, <see cref="TableCopy"/> over a transport.
/// </summary>
public sealed class TableWalk
{
    private readonly Queue<Cid> _pending = new();
    private readonly HashSet<Cid> _seen = [];
    private readonly List<TableBlock> _blocks = [];

    /// <summary>Starts a walk at <paramref name="root"/>.</summary>
    /// <param name="root">A batch (raw) or dataset (dag-cbor) CID.</param>
    /// <exception cref="ContentFormatException">The CID's codec names no table.</exception>
    public TableWalk(Cid root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (root.Codec is not (Multicodec.Raw or Multicodec.DagCbor))
        {
            throw new ContentFormatException($"{root} is {Multicodec.NameOf(root.Codec)}: a table is a batch (raw) or a dataset (dag-cbor)");
        }

        Root = root;
        _pending.Enqueue(root);
        _seen.Add(root);
    }

    /// <summary>The table's root.</summary>
    public Cid Root { get; }

    /// <summary>The next block whose content the walk needs: a manifest (its bytes) or a raw root (its bytes or length).</summary>
    /// <param name="cid">That block; null when the walk is complete.</param>
    /// <returns>False when nothing is pending.</returns>
    public bool TryGetNext([NotNullWhen(true)] out Cid? cid) => _pending.TryPeek(out cid);

    /// <summary>Hands in the block <see cref="TryGetNext"/> named: a manifest is decoded (checked against its CID) for its links, a raw block checked against its CID for its length.</summary>
    /// <param name="cid">The pending block.</param>
    /// <param name="bytes">Its content.</param>
    /// <exception cref="InvalidOperationException"><paramref name="cid"/> is not the pending block.</exception>
    /// <exception cref="BlockCorruptedException">A raw block does not hash to its CID.</exception>
    /// <exception cref="ContentFormatException">A DAG-CBOR block is not a valid dataset manifest (or does not hash to its CID).</exception>
    public void Add(Cid cid, ReadOnlySpan<byte> bytes)
    {
        TakePending(cid);
        if (cid.Codec == Multicodec.Raw)
        {
            if (!cid.Verify(bytes))
            {
                throw new BlockCorruptedException(cid, $"Content of {bytes.Length} bytes does not hash to its CID");
            }

            _blocks.Add(new TableBlock(cid, bytes.Length));
            return;
        }

        DatasetManifest manifest;
        try
        {
            manifest = DatasetManifest.Decode(bytes, cid);
        }
        catch (ContentFormatException e)
        {
            throw new ContentFormatException($"{cid} is not a dataset manifest: {e.Message}", e);
        }

        // A manifest comes before the blocks it links; a batch listed twice is one block.
        _blocks.Add(new TableBlock(cid, bytes.Length));
        foreach (var batch in manifest.Batches)
        {
            if (_seen.Add(batch.Cid))
            {
                _blocks.Add(new TableBlock(batch.Cid, batch.Bytes));
            }
        }
    }

    /// <summary>Hands in the length of a pending raw block known without reading it (its registry record).</summary>
    /// <param name="cid">The pending raw block.</param>
    /// <param name="length">Its length in bytes.</param>
    /// <exception cref="InvalidOperationException"><paramref name="cid"/> is not the pending block, or is a manifest (whose links the walk needs).</exception>
    public void AddLength(Cid cid, long length)
    {
        ArgumentNullException.ThrowIfNull(cid);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (cid.Codec != Multicodec.Raw)
        {
            throw new InvalidOperationException($"{cid} is a manifest: the walk needs its bytes, not only its length");
        }

        TakePending(cid);
        _blocks.Add(new TableBlock(cid, length));
    }

    /// <summary>The blocks found, once nothing is pending.</summary>
    /// <returns>The table's blocks.</returns>
    /// <exception cref="InvalidOperationException">A block is still pending.</exception>
    public TableBlocks ToTableBlocks() => _pending.Count == 0
        ? new TableBlocks(Root, _blocks)
        : throw new InvalidOperationException($"the walk of {Root} still needs {_pending.Peek()}");

    private void TakePending(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        if (!_pending.TryPeek(out var next) || next != cid)
        {
            throw new InvalidOperationException($"the walk of {Root} needs {(next is null ? "nothing more" : next.ToString())}, not {cid}");
        }

        _pending.Dequeue();
    }
}
