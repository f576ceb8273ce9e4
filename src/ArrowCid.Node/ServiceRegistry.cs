using ArrowCid.Content;
using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using ArrowCid.Repository;


namespace ArrowCid.Node;

/// <summary>
/// The registry the service answers from (the shared one when there is one, else the repository's
/// own) and the step that makes content stored here visible in it: with a shared registry the
/// local record is copied there with this node's location. Every registration wakes subscribers.
/// A DoPut's <see cref="TableWriter"/> publishes through it. With a durable tier, each block is
/// written there before any registry beyond the repository names it.
/// </summary>
public sealed class ServiceRegistry(ContentRepository content, IRegistry? shared, NodeIdentity self, ChangeNotifier changes, ObjectStorage.S3BlockTier? tier = null) : IPutPublisher
{
    /// <summary>The registry listings, lookups and the change feed come from.</summary>
    public IRegistry Registry => shared ?? content.Repository.Registry;

    /// <summary>Whether several nodes share the registry.</summary>
    public bool IsShared => shared is not null;

    /// <summary>The record of a CID: the registry's, or the local one for content only this node has registered.</summary>
    public BlockRecord? Find(Cid cid) => Registry.Find(cid) ?? (shared is null ? null : content.Repository.GetRecord(cid));

    /// <summary>
    /// Records a CID (already <see cref="Registered"/>) as the next version of a name in the registry:
    /// the shared registry when there is one, else the repository (under its lock, so a collection
    /// never misses it). Wakes subscribers.
    /// </summary>
    public NamedVersion AddVersion(string name, Cid cid)
    {
        var version = shared is null
            ? content.Repository.AddVersion(name, cid)
            : shared.AddVersion(name, cid) ?? throw NodeException.NotFound(cid.ToString());
        changes.Notify();
        return version;
    }

    /// <inheritdoc/>
    public NamedVersion? FindVersion(string name) => Registry.FindVersion(name);

    /// <summary>
    /// Publishes a locally stored CID to the shared registry (no-op without one) with this node's
    /// location, and wakes subscribers. The shared record is pinned only when <paramref name="pinned"/>
    /// says so (a pin there keeps the block on every node); registering never unpins it.
    /// </summary>
    public void Registered(Cid cid, bool pinned = false)
    {
        if (tier is not null)
        {
            // The commit order across hosts: the block is durable in the tier before the shared
            // registry names it. A put's blocks are registered chunks first, then the tree's nodes,
            // the root last, and the name after: no name or record points at a missing object.
            // The writing thread waits for the object store (a put is acknowledged once durable).
            using var block = content.Reader.Open(cid, verify: false);
            tier.PutAsync(HashedBlock.Verify(cid, block.Memory)).GetAwaiter().GetResult();
        }

        if (shared is not null && content.Repository.GetRecord(cid) is { } local)
        {
            shared.Upsert(local.PublishedFrom(self.Location, pinned));
        }

        changes.Notify();
    }

    /// <summary>
    /// Records in the shared registry that this node dropped its copy (no-op without one): only
    /// this node's location goes, and the record only with its last location.
    /// </summary>
    public void Dropped(Cid cid)
    {
        if (shared is not null && self.Location is { } location)
        {
            shared.ReleaseLocation(cid, location);
        }

        changes.Notify();
    }
}
