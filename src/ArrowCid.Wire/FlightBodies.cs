using System.Text.Json.Serialization;

namespace ArrowCid.Wire;

// The JSON bodies of ArrowCid's Flight service (docs/flight.md): what the server writes in
// PutResult, FlightInfo and Result messages and announcements, and the commands it reads.

/// <summary>A stored chunk: its raw CID, rows and block bytes.</summary>
/// <param name="Cid">The chunk's CID.</param>
/// <param name="Rows">Its rows.</param>
/// <param name="Bytes">Its block's bytes.</param>
public sealed record ChunkEntry(string Cid, long Rows, long Bytes);

/// <summary>
/// A DoPut's PutResult app_metadata. One per batch received, or per several received while the
/// previous result was being sent: the chunks they completed and their rows. The last one also
/// gives the table (<paramref name="Table"/>, as every put report gives it) and, for a put under a
/// name, the version it became: with the chunks of all results, the put report of <c>put --json</c>.
/// </summary>
/// <param name="Chunks">Chunks completed (stored) since the previous result, in row order.</param>
/// <param name="Dataset">The table's CID; only in the last result. Kept for clients of 0.38 and earlier: read <paramref name="Table"/>.</param>
/// <param name="Rows">Rows of the batches this result acknowledges; in the last result, the table's rows.</param>
/// <param name="Bytes">The table's chunk bytes; only in the last result (kept as <paramref name="Dataset"/> is).</param>
/// <param name="Batches">The table's chunks; only in the last result (kept as <paramref name="Dataset"/> is).</param>
/// <param name="Name">The name it became a version of.</param>
/// <param name="Version">That version's number.</param>
/// <param name="VersionAdded">Whether the put added that version: false when the name's latest version already named the table (nothing added), null without a name.</param>
/// <param name="Table">The table's CID and totals; only in the last result.</param>
public sealed record PutResultBody(IReadOnlyList<ChunkEntry> Chunks, string? Dataset, long Rows, long? Bytes, long? Batches, string? Name, long? Version, bool? VersionAdded = null, TableTotals? Table = null);

/// <summary>A FlightInfo's app_metadata: what the registry knows of the CID (and the version a name resolved to).</summary>
/// <param name="Cid">The CID.</param>
/// <param name="Name">The name asked for, when the flight was asked for by name.</param>
/// <param name="Version">The version the name resolved to.</param>
/// <param name="Kind">batch, dataset, arrow-stream or foreign.</param>
/// <param name="Rows">Rows.</param>
/// <param name="BlockBytes">The registry's bytes of the root block.</param>
/// <param name="Created">When it was registered; absent for a batch only in shared memory.</param>
/// <param name="Pinned">Whether gc keeps it.</param>
/// <param name="Producer">Who produced it.</param>
/// <param name="Tags">Its tags, in key order.</param>
/// <param name="Chunks">A table's chunks, when known.</param>
/// <param name="Batches">The root's links (a version-1 dataset's batches); absent when it has none.</param>
/// <param name="Node">For a flight asked for by name: the version's node in the name's signed chain (docs/names.md).</param>
/// <param name="Ipns">For a flight asked for by name: the IPNS name that signs its chain (<c>k51…</c>).</param>
/// <param name="IpnsRecord">For a flight asked for by name: that name's latest IPNS record, base64; a client verifies it and the chain (fetching nodes with the block action).</param>
public sealed record FlightInfoMetadata(
    string Cid,
    string? Name,
    long? Version,
    string Kind,
    long Rows,
    long BlockBytes,
    DateTimeOffset? Created,
    bool Pinned,
    string? Producer,
    IReadOnlyDictionary<string, string> Tags,
    long? Chunks,
    IReadOnlyList<string>? Batches,
    string? Node = null,
    string? Ipns = null,
    string? IpnsRecord = null);

/// <summary>The result of the pin and unpin actions.</summary>
/// <param name="Cid">The CID.</param>
/// <param name="Pinned">Whether it is now pinned.</param>
public sealed record PinResult(string Cid, bool Pinned);

/// <summary>The tag action's body, and its result (<paramref name="Value"/> null: the tag was removed).</summary>
/// <param name="Cid">The CID tagged.</param>
/// <param name="Key">The tag's key.</param>
/// <param name="Value">Its value; null removes the tag (written as null, not left out).</param>
public sealed record TagBody(string? Cid, string? Key, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Value);

/// <summary>The result of the delete action.</summary>
/// <param name="Cid">The CID.</param>
/// <param name="Deleted">Always true: a delete that cannot be done is an error.</param>
public sealed record DeleteResult(string Cid, bool Deleted);

/// <summary>The result of the verify action for one CID: every block of it re-hashed.</summary>
/// <param name="Cid">The CID.</param>
/// <param name="Ok">Always true: a block that does not hash to its CID is DATA_LOSS.</param>
/// <param name="Blocks">Blocks re-hashed.</param>
/// <param name="Bytes">Their bytes.</param>
public sealed record BlockVerifyResult(string Cid, bool Ok, long Blocks, long Bytes);

/// <summary>The result of the verify action with an empty body: the whole repository checked.</summary>
/// <param name="Ok">No block is corrupt or missing.</param>
/// <param name="Records">Registry records checked.</param>
/// <param name="Blocks">Blocks re-hashed.</param>
/// <param name="Corrupt">Blocks that do not hash to their CID.</param>
/// <param name="Missing">Records without their block.</param>
/// <param name="Orphans">Blocks without a record.</param>
public sealed record RepositoryVerifyResult(bool Ok, long Records, long Blocks, long Corrupt, long Missing, long Orphans);

/// <summary>The result of the stats action.</summary>
/// <param name="Location">The node's Flight location; null when it has none.</param>
/// <param name="SharedRegistry">Whether the node answers to a shared registry.</param>
/// <param name="Records">Records it serves.</param>
/// <param name="Batches">Of them, one-chunk tables.</param>
/// <param name="Datasets">Of them, manifests.</param>
/// <param name="Rows">Rows of the one-chunk tables.</param>
/// <param name="BatchBytes">Bytes of the one-chunk tables.</param>
/// <param name="LocalBlocks">Blocks held here.</param>
/// <param name="LatestSequence">The registry's latest change sequence.</param>
public sealed record NodeStats([property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Location, bool SharedRegistry, long Records, long Batches, long Datasets, long Rows, long BatchBytes, long LocalBlocks, long LatestSequence);

/// <summary>A version of a name: one result of the names and versions actions, one entry of the CLI's <c>names --json</c>.</summary>
/// <param name="Name">The name.</param>
/// <param name="Version">Its number, from 1.</param>
/// <param name="Cid">The table it names.</param>
/// <param name="Created">When it was recorded.</param>
/// <param name="Rows">The table's rows, when it is registered here.</param>
/// <param name="Node">The version's node in the name's signed chain (docs/names.md), once linked.</param>
/// <param name="Ipns">The IPNS name (<c>k51…</c>) whose records sign the name's chain, when it is known.</param>
public sealed record NameVersionEntry(string Name, long Version, string Cid, DateTimeOffset Created, long? Rows, string? Node = null, string? Ipns = null);

/// <summary>The first message of a subscription (DoExchange): it is live from <paramref name="Sequence"/>.</summary>
/// <param name="Subscribed">Always true.</param>
/// <param name="Sequence">Every change after this registry sequence is announced.</param>
public sealed record SubscriptionStarted(bool Subscribed, long Sequence);

/// <summary>A change announced to a subscriber.</summary>
/// <param name="Sequence">The change's registry sequence.</param>
/// <param name="Cid">The CID concerned.</param>
/// <param name="Change">registered, updated, pinned, unpinned, tagged, location_added, location_removed, deleted or versioned.</param>
/// <param name="Kind">The record's kind (a deleted one's named by its codec: dataset or batch).</param>
/// <param name="Rows">Rows, when the record is still there.</param>
/// <param name="Locations">The Flight locations that hold it, when the record is still there.</param>
public sealed record ChangeAnnouncement(long Sequence, string Cid, string Change, string Kind, long? Rows, IReadOnlyList<string>? Locations);

/// <summary>
/// A DoPut descriptor's command: tags, the name the table becomes the next version of, and who
/// produced it. Every member may be left out.
/// </summary>
/// <param name="Tags">Tags for the table.</param>
/// <param name="Name">A name; the table becomes its next version.</param>
/// <param name="Producer">Who produced it.</param>
/// <param name="Provenance">Where it came from.</param>
/// <param name="Pin">Whether gc keeps it (default true).</param>
/// <param name="ForceVersion">Add a version even when the name's latest version already names the table (default false: unchanged content adds none).</param>
public sealed record PutCommand(IReadOnlyDictionary<string, string>? Tags, string? Name, string? Producer = null, string? Provenance = null, bool? Pin = null, bool? ForceVersion = null);

/// <summary>
/// What a CMD descriptor or ListFlights criteria select: one CID, a name (<c>NAME</c> or
/// <c>NAME@N</c>), only the names (<paramref name="Names"/>), or the records a filter selects.
/// </summary>
/// <param name="Cid">One CID.</param>
/// <param name="Name">A name or <c>NAME@N</c>.</param>
/// <param name="Names">True: list only the names.</param>
/// <param name="Tags">Records carrying all these tags.</param>
/// <param name="Kind">batch, dataset, arrow-stream or foreign.</param>
/// <param name="From">Created at or after.</param>
/// <param name="Before">Created before.</param>
/// <param name="Pinned">Pinned or not.</param>
/// <param name="Producer">Produced by.</param>
/// <param name="Limit">At most this many.</param>
public sealed record TableQuery(
    string? Cid = null,
    string? Name = null,
    bool? Names = null,
    IReadOnlyDictionary<string, string>? Tags = null,
    string? Kind = null,
    DateTimeOffset? From = null,
    DateTimeOffset? Before = null,
    bool? Pinned = null,
    string? Producer = null,
    long? Limit = null);

/// <summary>The DoExchange command that starts a subscription.</summary>
/// <param name="Subscribe">What to follow.</param>
public sealed record SubscribeCommand(SubscribeFilter? Subscribe);

/// <summary>What a subscription follows.</summary>
/// <param name="Tags">Only content carrying all these tags.</param>
/// <param name="After">Start after this registry sequence (replaying later changes); default: now.</param>
public sealed record SubscribeFilter(IReadOnlyDictionary<string, string>? Tags, long? After = null);
