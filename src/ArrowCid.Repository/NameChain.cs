using System.Text;
using ArrowCid.Arrow.IO;
using ArrowCid.Content;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;
using ArrowCid.Names;
using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>
/// Makes every version of a name a signed, hash-linked history (docs/names.md): a
/// <see cref="VersionNode"/> block per version, linking the node of the version before, indexed in
/// the registry's versions (<see cref="IRegistry.LinkVersion"/>), and an IPNS record of the name's
/// key pointing at the newest node (<see cref="IRegistry.KeepIpnsRecord"/>). A node is made from
/// what the registry and the table hold (name, number, table, time, schema) and the key that signs
/// the chain, so a version left without one (a crash, a repository made before chains, a rebuilt
/// registry) gets the same node when it is linked later. Safe for concurrent use.
/// </summary>
public sealed class NameChain : IDisposable
{
    private readonly ContentRepository _content;
    private readonly IRegistry _registry;
    private readonly Action<Cid>? _stored;
    private readonly Func<Cid, byte[]?>? _fetchMissing;
    private readonly Dictionary<string, NameKey> _keysByName = new(StringComparer.Ordinal);
    private readonly Dictionary<IpnsName, string> _keyNames = [];
    private readonly Lock _keysLock = new();
    private readonly Lock _followedLock = new();
    private readonly string _followedFolder;
    private DateTime? _keysListed;

    /// <summary>The chains of the names in <paramref name="registry"/>, with their nodes stored in <paramref name="content"/>.</summary>
    /// <param name="content">Where nodes are stored and tables read (and keys kept, in its folder's <c>keys/</c>).</param>
    /// <param name="registry">The registry whose versions are chained: the repository's, or the registry the node shares.</param>
    /// <param name="stored">Called with each node stored, before the registry links it (a node sharing a registry publishes the block there).</param>
    /// <param name="fetchMissing">A node this repository does not hold, from elsewhere (another node sharing the registry, a bucket), or null; its bytes are checked here.</param>
    public NameChain(ContentRepository content, IRegistry registry, Action<Cid>? stored = null, Func<Cid, byte[]?>? fetchMissing = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(registry);
        _content = content;
        _registry = registry;
        _stored = stored;
        _fetchMissing = fetchMissing;
        Keys = new NameKeyStore(content.Repository.Root);
        _followedFolder = Path.Combine(content.Repository.Root, FollowedFolderName);
    }

    /// <summary>The folder of the repository where the latest record accepted for each followed name is kept, a file named by the IPNS name.</summary>
    public const string FollowedFolderName = "ipns";

    /// <summary>How long a record is valid from when it is signed (IPNS <c>Validity</c>); a record served within half of it of its end is signed again.</summary>
    public TimeSpan RecordLifetime { get; init; } = TimeSpan.FromHours(48);

    /// <summary>How long a reader may cache a record (IPNS <c>TTL</c>).</summary>
    public TimeSpan RecordTtl { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The repository's keys.</summary>
    public NameKeyStore Keys { get; }

    /// <summary>
    /// The key a name's chain is signed by unless told otherwise: the key of the same name (a name
    /// that is no key name, or <c>self</c>, gives <c>name-</c> and 32 hex digits of its SHA-256).
    /// </summary>
    /// <param name="name">A dataset name.</param>
    /// <returns>The key's name.</returns>
    public static string DefaultKeyName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return NameKeyStore.IsKeyName(name) && name != NameKeyStore.Self
            ? name
            : "name-" + Convert.ToHexStringLower(Content.Sha256.HashData(Encoding.UTF8.GetBytes(name)))[..32];
    }

    /// <summary>
    /// Links <paramref name="version"/> into its name's chain (and any version before it without a
    /// node), then signs and keeps a record pointing at it when this repository holds the chain's key
    /// and no record of a later version is kept.
    /// </summary>
    /// <param name="version">A version as the registry recorded it.</param>
    /// <returns>The version's node.</returns>
    /// <exception cref="BlockNotFoundException">A table or node the chain needs is not here.</exception>
    public (Cid Cid, VersionNode Node) Publish(NamedVersion version) => LinkAndSign(version, published: null);

    /// <summary>
    /// As <see cref="Publish(NamedVersion)"/>, reading only the blocks this repository holds and
    /// linking only the nodes <paramref name="published"/> says are in place: a node or table this
    /// repository lacks throws <see cref="BlockNotFoundException"/> naming it, and a node stored here
    /// and not in place throws <see cref="UnpublishedNodeException"/> naming it, with the versions
    /// linked below kept. So a caller may bring the one here or publish the other without holding
    /// a thread, and call again: each call goes on from where the last stopped (a version's node is
    /// made again the same from the same version and the node below).
    /// </summary>
    /// <param name="version">A version as the registry recorded it.</param>
    /// <param name="published">Whether a node stored here may be linked (where the registry's readers find it); called instead of the chain's own hook for a stored node.</param>
    /// <returns>The version's node.</returns>
    /// <exception cref="BlockNotFoundException">A table or node the chain needs is not here (its <see cref="BlockNotFoundException.Cid"/> says which).</exception>
    /// <exception cref="UnpublishedNodeException">A node the chain stored is not published (its <see cref="UnpublishedNodeException.Node"/> says which).</exception>
    public (Cid Cid, VersionNode Node) PublishFromHeld(NamedVersion version, Func<Cid, bool> published)
    {
        ArgumentNullException.ThrowIfNull(published);
        return LinkAndSign(version, published);
    }

    // Without a published check, a stored node goes to the chain's own hook and missing blocks are
    // fetched in place; with one, only what is held is read.
    private (Cid Cid, VersionNode Node) LinkAndSign(NamedVersion version, Func<Cid, bool>? published)
    {
        ArgumentNullException.ThrowIfNull(version);
        var (head, signed) = Link(version, published);
        // A record of a later version kept already stays: the registry keeps the higher sequence.
        if (!signed && KeyOf(head.Node.Signer) is { } key)
        {
            Sign(key, head.Cid, head.Node.Version);
        }

        return head;
    }

    /// <summary>
    /// Links every version of every name that has no node yet, signs each name's latest record, and
    /// keeps again the records accepted from elsewhere (<see cref="Accept"/>): what makes the chains
    /// of a repository made before them, or of a rebuilt registry. Idempotent.
    /// </summary>
    /// <param name="cancellationToken">Stops between versions (what is linked stays linked).</param>
    /// <returns>How many versions were linked.</returns>
    public long LinkAll(CancellationToken cancellationToken = default)
    {
        KeepFollowed();
        long linked = 0;
        foreach (var latest in _registry.WalkNames())
        {
            // A linked latest version was linked after every version before it: the name is done.
            if (latest.Node is not null)
            {
                continue;
            }

            (Cid Cid, VersionNode Node)? below = null;
            foreach (var version in _registry.WalkVersions(latest.Name, oldestFirst: true))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (version.Node is { } node)
                {
                    below = (node, ReadNode(node));
                    continue;
                }

                below = LinkOne(version, below, sign: false, published: null).Head;
                linked++;
            }

            if (below is { } head && KeyOf(head.Node.Signer) is { } key && Record(head.Node.Signer) is null)
            {
                Sign(key, head.Cid, head.Node.Version);
            }
        }

        return linked;
    }

    // The records accepted from elsewhere, back into a registry that lost them (kept unless it
    // holds a newer one; one that no longer verifies is passed over).
    private void KeepFollowed()
    {
        if (!Directory.Exists(_followedFolder))
        {
            return;
        }

        foreach (string path in Directory.EnumerateFiles(_followedFolder))
        {
            if (IpnsName.TryParse(Path.GetFileName(path)) is not { } name || new FileInfo(path).Length > IpnsRecord.MaxBytes)
            {
                continue;
            }

            byte[] record = File.ReadAllBytes(path);
            try
            {
                _registry.KeepIpnsRecord(Verified(record, name, DateTimeOffset.MinValue));
            }
            catch (IpnsRecordException)
            {
                // Not a record of that name: nothing to keep.
            }
        }
    }

    /// <summary>The IPNS name a name's chain is signed by, or null when it has no linked version.</summary>
    /// <param name="name">A dataset name.</param>
    /// <returns>The signer.</returns>
    public IpnsName? SignerOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _registry.FindVersion(name) is { Node: { } node } ? ReadNode(node).Signer : null;
    }

    /// <summary>
    /// The IPNS name a version's node names as its signer, for a listing that shows it beside the
    /// version: null before the version is linked, or when its node cannot be had or is no version node.
    /// </summary>
    /// <param name="version">A version as the registry lists it.</param>
    /// <returns>The signer, or null.</returns>
    public IpnsName? SignerOf(NamedVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        try
        {
            return version.Node is { } node ? ReadNode(node).Signer : null;
        }
        catch (Exception e) when (e is BlockNotFoundException or NameChainException)
        {
            return null;
        }
    }

    /// <summary>
    /// The record kept for an IPNS name; when this repository holds its key and the record is
    /// within half its lifetime of its end, it is signed again first (same value and sequence, a
    /// later validity), as a republisher would.
    /// </summary>
    /// <param name="name">The IPNS name.</param>
    /// <returns>The record's bytes, or null when none is kept.</returns>
    public byte[]? Record(IpnsName name)
    {
        ArgumentNullException.ThrowIfNull(name);
        byte[]? record = _registry.FindIpnsRecord(name.ToString());
        if (record is null || KeyOf(name) is not { } key)
        {
            return record;
        }

        IpnsRecordData data;
        try
        {
            data = IpnsRecord.Verify(record, name, DateTimeOffset.MinValue);
        }
        catch (IpnsRecordException)
        {
            return record;
        }

        if (data.Validity - DateTimeOffset.UtcNow > RecordLifetime / 2)
        {
            return record;
        }

        return Cid.TryParse(data.Value["/ipfs/".Length..], out var head) ? Sign(key, head, (long)data.Sequence) : record;
    }

    /// <summary>Verifies the record kept for <paramref name="name"/> and its chain from the nodes held here (<see cref="SignedName.Verify"/>).</summary>
    /// <param name="name">The IPNS name.</param>
    /// <param name="depth">How many nodes to verify from the head.</param>
    /// <returns>The verified name.</returns>
    /// <exception cref="NameChainException">No record is kept (Missing), or what failed.</exception>
    public SignedName Resolve(IpnsName name, int depth = int.MaxValue)
    {
        byte[] record = Record(name) ?? throw new NameChainException(NameChainFault.Missing, $"no record of {name} is kept here");
        return SignedName.Verify(name, record, FetchHeld, DateTimeOffset.UtcNow, depth);
    }

    /// <summary>A block held here, else fetched from elsewhere when this chain can, or null.</summary>
    private byte[]? FetchHeld(Cid cid) => Read(cid, fetch: true);

    // A block held here, else (when fetch says so) fetched from elsewhere, or null.
    private byte[]? Read(Cid cid, bool fetch)
    {
        try
        {
            return _content.GetBytes(cid).ToArray();
        }
        catch (BlockNotFoundException)
        {
            return fetch ? _fetchMissing?.Invoke(cid) : null;
        }
    }

    private VersionNode ReadNode(Cid cid, bool fetch) => VersionNode.Decode(cid, Read(cid, fetch) ?? throw new BlockNotFoundException(cid));

    /// <summary>A version node read from the repository and checked against its CID.</summary>
    /// <param name="cid">The node's CID.</param>
    /// <returns>The node.</returns>
    /// <exception cref="BlockNotFoundException">The node is not here.</exception>
    /// <exception cref="NameChainException">The block is not a version node.</exception>
    public VersionNode ReadNode(Cid cid) => ReadNode(cid, fetch: true);

    /// <summary>Whether records of <paramref name="name"/> are taken from elsewhere: one is kept here already, or this repository holds its key.</summary>
    /// <param name="name">The IPNS name.</param>
    /// <returns>Whether it is followed.</returns>
    public bool Follows(IpnsName name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _registry.FindIpnsRecord(name.ToString()) is not null || KeyOf(name) is not null;
    }

    /// <summary>Accepts a record for a name from elsewhere (delegated routing's PUT): kept when it verifies and is newer than the one kept.</summary>
    /// <param name="name">The IPNS name it is for.</param>
    /// <param name="record">The record's bytes.</param>
    /// <returns>Whether it is now the record kept.</returns>
    /// <exception cref="IpnsRecordException">It does not verify.</exception>
    public bool Accept(IpnsName name, byte[] record)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(record);
        var verified = Verified(record, name, DateTimeOffset.UtcNow);
        lock (_followedLock)
        {
            if (!_registry.KeepIpnsRecord(verified))
            {
                return false;
            }

            // A record from elsewhere cannot be signed again here: it is kept as a file too, so a
            // registry rebuilt from the repository has it (LinkAll), as keys are kept beside it.
            Directory.CreateDirectory(_followedFolder);
            DurableFile.WriteAtomically(Path.Combine(_followedFolder, name.ToString()), file => file.Write(record));
            return true;
        }
    }

    /// <summary>Wipes the keys held in memory.</summary>
    public void Dispose()
    {
        lock (_keysLock)
        {
            foreach (var key in _keysByName.Values)
            {
                key.Dispose();
            }

            _keysByName.Clear();
        }
    }

    // Links a version and any below it without a node; the version's own node is linked with its
    // record signed in the same registry write when this repository holds the key (Signed).
    private ((Cid Cid, VersionNode Node) Head, bool Signed) Link(NamedVersion version, Func<Cid, bool>? published)
    {
        bool fetch = published is null;
        if (version.Node is { } linked)
        {
            return ((linked, ReadNode(linked, fetch)), false);
        }

        // Down to the newest version that has a node (usually the one before), then up, linking each.
        var missing = new Stack<NamedVersion>();
        (Cid Cid, VersionNode Node)? below = null;
        for (var current = version; ;)
        {
            if (current.Node is { } node)
            {
                below = (node, ReadNode(node, fetch));
                break;
            }

            missing.Push(current);
            if (current.Version == 1)
            {
                break;
            }

            current = _registry.FindVersion(current.Name, current.Version - 1)
                ?? throw new InvalidOperationException($"'{current.Name}' has version {current.Version} but not {current.Version - 1}");
        }

        while (missing.Count > 1)
        {
            below = LinkOne(missing.Pop(), below, sign: false, published).Head;
        }

        return LinkOne(missing.Pop(), below, sign: true, published);
    }

    private ((Cid Cid, VersionNode Node) Head, bool Signed) LinkOne(NamedVersion version, (Cid Cid, VersionNode Node)? below, bool sign, Func<Cid, bool>? published)
    {
        bool fetch = published is null;
        var signer = below?.Node.Signer ?? KeyFor(DefaultKeyName(version.Name)).Name;
        var node = new VersionNode(version.Name, version.Version, version.Cid, below?.Cid, version.Created, SchemaDigest(version.Cid, fetch), signer);
        var (bytes, cid) = node.Encode();
        // Not pinned: the version's row keeps its node (and what the node links) as it keeps the table.
        _content.Repository.PutBlock(cid, bytes, new BlockRecord { Cid = cid, Kind = BlockKind.VersionNode });
        if (published is null)
        {
            _stored?.Invoke(cid);
        }
        else if (!published(cid))
        {
            throw new UnpublishedNodeException(cid);
        }

        // Signed before the link so that both are one registry write; kept only if this node is linked.
        var record = sign && KeyOf(signer) is { } key ? NewRecord(key, cid, version.Version) : null;
        var kept = _registry.LinkVersion(version.Name, version.Version, cid, record)
            ?? throw new InvalidOperationException($"version {version.Version} of '{version.Name}' went away while it was linked");

        // Another writer linked it first: its node is the chain's, and the record signed is not kept.
        return kept == cid ? ((cid, node), record is not null) : ((kept, ReadNode(kept, fetch)), false);
    }

    private byte[] Sign(NameKey key, Cid head, long sequence)
    {
        var record = NewRecord(key, head, sequence);
        _registry.KeepIpnsRecord(record);
        return record.Record;
    }

    // A record from elsewhere, verified against its name at now, as the registry keeps it.
    private static KeptIpnsRecord Verified(byte[] record, IpnsName name, DateTimeOffset now)
    {
        var data = IpnsRecord.Verify(record, name, now);
        return new KeptIpnsRecord(name.ToString(), checked((long)data.Sequence), data.Validity, record);
    }

    private KeptIpnsRecord NewRecord(NameKey key, Cid head, long sequence)
    {
        var validity = DateTimeOffset.UtcNow + RecordLifetime;
        return new KeptIpnsRecord(key.Name.ToString(), sequence, validity, IpnsRecord.Create(key, "/ipfs/" + head, (ulong)sequence, validity, RecordTtl));
    }

    // The digest of the table's canonical schema message: what a reader compares without the table.
    // Read from the table's root (a chunk or a manifest), here or, for a version another node
    // recorded and this one links, from where that node keeps it.
    private Multihash SchemaDigest(Cid table, bool fetch)
    {
        byte[] root = Read(table, fetch) ?? throw new BlockNotFoundException(table);
        var schema = table.Codec == Multicodec.Raw
            ? new Arrow.Ipc.ArrowStreamReader(root).Schema
            : TableManifest.Open(table, cid => cid == table ? root : Read(cid, fetch) ?? throw new BlockNotFoundException(cid)).Schema;
        return Multihash.Sha256(DatasetSchemaMessage.EncodeShared(schema).Span);
    }

    // The key named so, made on first use (another process making it at once: its key is the one kept).
    private NameKey KeyFor(string keyName)
    {
        lock (_keysLock)
        {
            if (_keysByName.TryGetValue(keyName, out var held))
            {
                return held;
            }

            NameKey key;
            try
            {
                key = Keys.Load(keyName);
            }
            catch (KeyNotFoundException)
            {
                try
                {
                    Keys.Generate(keyName);
                }
                catch (ArgumentException) when (Keys.List().Any(k => k.Name == keyName))
                {
                    // Made by another writer first.
                }

                key = Keys.Load(keyName);
            }

            _keysByName[keyName] = key;
            _keyNames[key.Name] = keyName;
            return key;
        }
    }

    // The key this repository holds for an IPNS name, or null.
    private NameKey? KeyOf(IpnsName name)
    {
        lock (_keysLock)
        {
            // A key not known yet: the folder is read again only when a key came or went since (arrowcid key import beside a running node).
            if (!_keyNames.TryGetValue(name, out string? keyName) && Keys.ChangedUtc is var changed && changed != _keysListed)
            {
                foreach (var (stored, ipns) in Keys.List())
                {
                    _keyNames.TryAdd(ipns, stored);
                }

                _keysListed = changed;
                _keyNames.TryGetValue(name, out keyName);
            }

            return keyName is null ? null : KeyFor(keyName);
        }
    }
}
