using ArrowCid.Content;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.Grpc;

namespace ArrowCid.Flight.Client;

/// <summary>
/// Opens a table held by another node: its manifest blocks (the root and, for a tree, every node
/// down to the chunk entries) are fetched first, level by level, and the table is then read from
/// them by <see cref="TableManifest"/>, which checks each against its CID, its parent's entry and the
/// format. Chunks themselves are not fetched here.
/// </summary>
internal static class RemoteTable
{
    /// <summary>Opens the table <paramref name="cid"/> names, fetching its manifest blocks with <paramref name="fetch"/>.</summary>
    /// <param name="cid">A table CID (raw: one chunk; dag-cbor: a manifest).</param>
    /// <param name="fetch">Fetches one block's bytes (the caller need not check them: the manifest does).</param>
    /// <param name="cancellationToken">Stops between fetches.</param>
    /// <returns>The table, its chunk list readable without further fetches.</returns>
    /// <exception cref="RpcException">DATA_LOSS when a manifest block is malformed or disagrees with its parent.</exception>
    public static async Task<TableManifest> OpenAsync(Cid cid, Func<Cid, CancellationToken, Task<byte[]>> fetch, CancellationToken cancellationToken)
    {
        var blocks = new Dictionary<Cid, ReadOnlyMemory<byte>> { [cid] = await fetch(cid, cancellationToken).ConfigureAwait(false) };
        ReadOnlyMemory<byte> Lookup(Cid wanted) => blocks.TryGetValue(wanted, out var bytes) ? bytes : throw new BlockNotFoundException(wanted);
        try
        {
            var table = TableManifest.Open(cid, Lookup);
            if (table.Height > 1)
            {
                // Level by level: a node's entries name its children; level-0 entries are chunks.
                var level = new List<TableTreeNode> { TableTreeNode.Decode(blocks[cid].Span, cid, root: true) };
                while (level.Count > 0 && level[0].Level > 0)
                {
                    var next = new List<TableTreeNode>();
                    foreach (var entry in level.SelectMany(n => n.Entries))
                    {
                        if (!blocks.TryGetValue(entry.Cid, out var child))
                        {
                            child = await fetch(entry.Cid, cancellationToken).ConfigureAwait(false);
                            blocks[entry.Cid] = child;
                        }

                        next.Add(TableTreeNode.Decode(child.Span, entry.Cid, root: false));
                    }

                    level = next;
                }
            }

            // Walked once here so a malformed tree is found before any chunk is asked for.
            _ = table.Chunks().Count();
            return table;
        }
        catch (ContentFormatException e)
        {
            throw new RpcException(StatusCode.DataLoss, $"the manifest of {cid} received is not valid: {e.Message}");
        }
    }
}
