using System.Diagnostics.CodeAnalysis;
using ArrowCid.Content;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;

namespace ArrowCid.Repository;

/// <summary>
/// The walk from a table's root CID to every block the table consists of, apart from where the
/// blocks come from: the walk names the next block whose content it needs (a manifest node, for
/// its links; a raw root, for its length), the caller reads it — from this repository, or from
/// another node — and hands it in, until nothing is pending. Manifests state their chunks'
/// lengths, so chunks themselves are never needed. A table is one chunk (a raw CID: one block), a
/// version-1 dataset manifest and the batches it links, or a version-2 manifest tree: its root,
/// the nodes below it (each checked against its parent's entry) and the chunks they link
/// (docs/canonical-form.md §7.5). This is the one place that knows which blocks a table has;
/// <see cref="TableBlocks"/> reads it locally, <see cref="TableCopy"/> over a transport.
/// </summary>
public sealed class TableWalk
{
    private readonly Queue<Cid> _pending = new();
    private readonly HashSet<Cid> _seen = [];
    private readonly List<TableBlock> _nodes = [];
    private readonly List<TableBlock> _chunks = [];

    // Nodes below the root still to read, with the parent's entry for each and the level it implies.
    private readonly Dictionary<Cid, (TableTreeEntry Entry, int Level)> _expected = [];

    /// <summary>Starts a walk at <paramref name="root"/>.</summary>
    /// <param name="root">A table CID: a chunk (raw) or a manifest root (dag-cbor).</param>
    /// <exception cref="ContentFormatException">The CID's codec names no table.</exception>
    public TableWalk(Cid root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (root.Codec is not (Multicodec.Raw or Multicodec.DagCbor))
        {
            throw new ContentFormatException($"{root} is {Multicodec.NameOf(root.Codec)}: a table is a chunk (raw) or a manifest (dag-cbor)");
        }

        Root = root;
        _pending.Enqueue(root);
        _seen.Add(root);
    }

    /// <summary>The table's root.</summary>
    public Cid Root { get; }

    /// <summary>The next block whose content the walk needs: a manifest node (its bytes) or a raw root (its bytes or length).</summary>
    /// <param name="cid">That block; null when the walk is complete.</param>
    /// <returns>False when nothing is pending.</returns>
    public bool TryGetNext([NotNullWhen(true)] out Cid? cid) => _pending.TryPeek(out cid);

    /// <summary>
    /// Hands in the block <see cref="TryGetNext"/> named: a manifest root or node is decoded
    /// (checked against its CID, the format and, below the root, its parent's entry) for its
    /// links; a raw root is checked against its CID for its length.
    /// </summary>
    /// <param name="cid">The pending block.</param>
    /// <param name="bytes">Its content.</param>
    /// <exception cref="InvalidOperationException"><paramref name="cid"/> is not the pending block.</exception>
    /// <exception cref="BlockCorruptedException">A raw block does not hash to its CID.</exception>
    /// <exception cref="ContentFormatException">A DAG-CBOR block is not a valid table manifest root or node as its parent links it (or does not hash to its CID).</exception>
    public void Add(Cid cid, ReadOnlySpan<byte> bytes)
    {
        TakePending(cid);
        if (cid.Codec == Multicodec.Raw)
        {
            if (!cid.Verify(bytes))
            {
                throw new BlockCorruptedException(cid, $"Content of {bytes.Length} bytes does not hash to its CID");
            }

            _chunks.Add(new TableBlock(cid, bytes.Length));
            return;
        }

        // A node comes before the nodes and chunks it links; a chunk listed twice is one block.
        _nodes.Add(new TableBlock(cid, bytes.Length));
        if (_expected.Remove(cid, out var expected))
        {
            var node = TableManifest.ReadChild(expected.Entry, expected.Level, bytes);
            AddEntries(node.Level, node.Entries);
            return;
        }

        TableManifest table;
        try
        {
            var copy = bytes.ToArray();
            // Opening reads the root alone: nodes below it come through this walk.
            table = TableManifest.Open(cid, c => c == cid ? copy : throw new InvalidOperationException($"the walk reads {c} itself"));
        }
        catch (ContentFormatException e)
        {
            throw new ContentFormatException($"{cid} is not a table manifest: {e.Message}", e);
        }

        if (table.RootNode is { } root)
        {
            AddEntries(root.Level, root.Entries);
        }
        else
        {
            // A version-1 manifest lists its batches itself.
            AddEntries(0, [.. table.Chunks()]);
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
        _chunks.Add(new TableBlock(cid, length));
    }

    /// <summary>The blocks found, once nothing is pending: the manifest nodes (root first, parents before children), then the chunks in row order.</summary>
    /// <returns>The table's blocks.</returns>
    /// <exception cref="InvalidOperationException">A block is still pending.</exception>
    public TableBlocks ToTableBlocks() => _pending.Count == 0
        ? new TableBlocks(Root, [.. _nodes, .. _chunks])
        : throw new InvalidOperationException($"the walk of {Root} still needs {_pending.Peek()}");

    // Level 0 links chunks, whose lengths the entries state; above, nodes the walk must read.
    private void AddEntries(int level, IReadOnlyList<TableTreeEntry> entries)
    {
        foreach (var entry in entries)
        {
            if (!_seen.Add(entry.Cid))
            {
                continue;
            }

            if (level == 0)
            {
                _chunks.Add(new TableBlock(entry.Cid, entry.Bytes));
            }
            else
            {
                _expected[entry.Cid] = (entry, level - 1);
                _pending.Enqueue(entry.Cid);
            }
        }
    }

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
