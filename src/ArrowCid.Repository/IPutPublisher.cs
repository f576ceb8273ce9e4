using ArrowCid.Content.Multiformats;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>
/// Where a <see cref="TableWriter"/> makes what it stored known beyond the repository, and
/// records the dataset's name: a Flight node copies each record to a registry it shares with other
/// nodes and wakes subscribers. Without one, names go to the repository's own registry.
/// </summary>
public interface IPutPublisher
{
    /// <summary>A block the put stored is now durable and registered in the repository (each batch, then the dataset).</summary>
    /// <param name="cid">The block's CID.</param>
    /// <param name="pinned">
    /// Whether the put's outcome pins it (a pinned table's root). The pins a put holds on its
    /// chunks while it writes are this repository's own, against its own gc: they are not published.
    /// </param>
    void Registered(Cid cid, bool pinned);

    /// <summary>
    /// Returns once everything <see cref="Registered"/> so far is published (a publisher may publish
    /// later than it is told, e.g. after uploads to a durable tier). A <see cref="TableWriter"/> calls
    /// it once the table's blocks are all registered, before it records a name's version and
    /// before its put is acknowledged. Default: nothing to wait for.
    /// </summary>
    void Flush()
    {
    }

    /// <summary>
    /// <see cref="Flush"/> without a thread waiting: what <see cref="TableWriter.FinishAsync"/>
    /// awaits. Default: <see cref="Flush"/> in place.
    /// </summary>
    /// <returns>A task that ends once everything registered so far is published.</returns>
    Task FlushAsync()
    {
        Flush();
        return Task.CompletedTask;
    }

    /// <summary>Records the finished dataset (already <see cref="Registered"/>) as the next version of <paramref name="name"/>.</summary>
    /// <param name="name">The name from <see cref="PutOptions.Name"/>.</param>
    /// <param name="cid">The dataset's CID.</param>
    /// <returns>The version recorded.</returns>
    NamedVersion AddVersion(string name, Cid cid);

    /// <summary>
    /// <see cref="AddVersion"/> without a thread waiting on what the name's chain fetches from
    /// elsewhere: what <see cref="TableWriter.FinishAsync"/> awaits. Default: <see cref="AddVersion"/> in place.
    /// </summary>
    /// <param name="name">The name from <see cref="PutOptions.Name"/>.</param>
    /// <param name="cid">The dataset's CID.</param>
    /// <returns>The version recorded.</returns>
    Task<NamedVersion> AddVersionAsync(string name, Cid cid) => Task.FromResult(AddVersion(name, cid));

    /// <summary>As <see cref="AddVersion"/>, unless the name's latest version already names <paramref name="cid"/>.</summary>
    /// <param name="name">The name.</param>
    /// <param name="cid">The dataset's CID (already <see cref="Registered"/>).</param>
    /// <returns>The version that names it, and whether this call added it.</returns>
    (NamedVersion Version, bool Added) AddVersionUnlessLatest(string name, Cid cid) =>
        FindVersion(name) is { } latest && latest.Cid == cid ? (latest, false) : (AddVersion(name, cid), true);

    /// <summary>The latest version of <paramref name="name"/> where <see cref="AddVersion"/> records versions, or null.</summary>
    /// <param name="name">The name.</param>
    /// <returns>The version.</returns>
    NamedVersion? FindVersion(string name);
}
