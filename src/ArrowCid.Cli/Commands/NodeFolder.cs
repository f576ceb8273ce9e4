using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using ArrowCid.Repository;

namespace ArrowCid.Cli.Commands;

/// <summary>
/// A repository folder as its node sees it: its content, and the registry it shares with other
/// nodes when the folder remembers one (<see cref="NodeSettings"/>, written by <c>serve --registry</c>).
/// Names, listings, pins and gc then go to that registry, as they do through the running node:
/// a gc that consulted only the folder's own registry would know none of the shared names.
/// </summary>
internal sealed class NodeFolder : IDisposable
{
    private NodeFolder(ContentRepository content, IRegistry? shared, string? location)
    {
        Content = content;
        Shared = shared;
        Location = location;
    }

    /// <summary>The folder's content.</summary>
    public ContentRepository Content { get; }

    /// <summary>The registry shared with other nodes, or null.</summary>
    public IRegistry? Shared { get; }

    /// <summary>The node's location in <see cref="Shared"/>, when known.</summary>
    public string? Location { get; }

    /// <summary>The registry names and listings come from: the shared one, else the folder's own.</summary>
    public IRegistry Registry => Shared ?? Content.Repository.Registry;

    /// <summary>Opens the folder and, when it remembers one, its shared registry; failures name what failed.</summary>
    public static NodeFolder Open(ContentRepository content)
    {
        try
        {
            var settings = CliErrors.About(Path.Combine(content.Repository.Root, NodeSettings.FileName), () => NodeSettings.Read(content.Repository.Root));
            IRegistry? shared = settings?.Registry is { } url
                ? CliErrors.About($"the registry this repository's node shares ({NodeSettings.Redacted(url)})", () => RegistryFactory.Open(url))
                : null;
            return new NodeFolder(content, shared, settings?.Location);
        }
        catch
        {
            content.Dispose();
            throw;
        }
    }

    /// <summary>The record of a CID: the shared registry's, else the folder's own.</summary>
    public BlockRecord? Find(Cid cid) => Shared?.Find(cid) ?? Content.Repository.GetRecord(cid);

    /// <summary>Pins or unpins a CID here and in the shared registry; false when neither knows it.</summary>
    public bool SetPin(Cid cid, bool pin)
    {
        bool found = pin ? Content.Repository.Pin(cid) : Content.Repository.Unpin(cid);
        if (Shared is not null)
        {
            found |= pin ? Shared.Pin(cid) : Shared.Unpin(cid);
        }

        return found;
    }

    /// <summary>Collects garbage, keeping what the shared registry retains and releasing only this node's locations there.</summary>
    public GcReport Gc() => Content.Repository.Gc(Shared, Location);

    /// <inheritdoc/>
    public void Dispose()
    {
        Shared?.Dispose();
        Content.Dispose();
    }
}
