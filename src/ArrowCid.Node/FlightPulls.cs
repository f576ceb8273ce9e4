using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Client;
using ArrowCid.Grpc;
using ArrowCid.Repository;

namespace ArrowCid.Node;

/// <summary>Pulling from a node into a repository: where the Flight client (which needs no storage) and the repository meet.</summary>
public static class FlightPulls
{
    /// <summary>
    /// Copies a table from the node into <paramref name="content"/>, fetching only the blocks it
    /// lacks (action "block"), each checked against its CID before it is stored, and registering
    /// them as what they are (see <see cref="TableCopy"/>).
    /// </summary>
    /// <param name="client">The client of the node to pull from.</param>
    /// <param name="content">The repository to copy into.</param>
    /// <param name="cid">A batch or dataset CID on the node (a name: <see cref="FlightClient.ResolveNameAsync"/> first).</param>
    /// <param name="options">Tags, provenance, pin and the local name to record (<see cref="TableCopy"/>).</param>
    /// <param name="stored">Called after each fetched block is stored.</param>
    /// <param name="publisher">Where what is stored is made known beyond the repository (a node folder's bucket and shared registry, <see cref="NodeFolder.ForPut"/>), or null.</param>
    /// <param name="cancellationToken">Stops the copy between blocks.</param>
    /// <returns>The table's blocks and those transferred.</returns>
    /// <exception cref="RpcException">DATA_LOSS when a block does not hash to its CID (nothing of it stored), or the server's status.</exception>
    public static Task<TableCopyReport> PullAsync(this FlightClient client, ContentRepository content, Cid cid, PutOptions? options = null, Action<TableBlock>? stored = null, IPutPublisher? publisher = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        return TableCopy.CopyAsync(content, cid, async (block, token) => await client.GetBlockAsync(block, token).ConfigureAwait(false), options, stored, publisher, cancellationToken);
    }
}
