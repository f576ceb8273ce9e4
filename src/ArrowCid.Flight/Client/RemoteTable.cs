using ArrowCid.Content;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Grpc;

namespace ArrowCid.Flight.Client;

/// <summary>
/// Opens a table held by another node: its manifest blocks (the root and, for a tree, every node
/// down to the chunk entries) are fetched first, as the one table walk (<see cref="TableTreeWalker"/>)
/// reaches them, each checked against its CID, its parent's entry and the format; the table is then
/// read from them. Chunks themselves are not fetched here.
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
        var blocks = new Dictionary<Cid, ReadOnlyMemory<byte>>();
        ReadOnlyMemory<byte> Lookup(Cid wanted) => blocks.TryGetValue(wanted, out var bytes) ? bytes : throw new BlockNotFoundException(wanted);
        try
        {
            // One walk of the tree, each node fetched as it is reached and checked against its
            // parent, so a malformed tree is found before any chunk is asked for.
            var walk = new TableTreeWalker(cid, eachBlockOnce: true);
            for (var step = walk.Next(); step != TableWalkStep.End; step = walk.Next())
            {
                if (step == TableWalkStep.NeedBlock)
                {
                    var wanted = walk.Pending!;
                    byte[] bytes = await fetch(wanted, cancellationToken).ConfigureAwait(false);
                    blocks[wanted] = bytes;
                    walk.Supply(bytes);
                }
            }

            return TableManifest.Open(cid, Lookup);
        }
        catch (Exception e) when (e is ContentFormatException or BlockCorruptedException)
        {
            throw new RpcException(StatusCode.DataLoss, $"the manifest of {cid} received is not valid: {e.Message}");
        }
    }
}
