using System.Text.Json.Serialization;

namespace ArrowCid.Wire;

// The bodies of the HTTP API (docs/http.md), and the delegated routing records whose names the
// routing spec gives.

/// <summary>A page of <c>GET /api/v1/tables</c>: the tables, and the cursor of the next page when there may be more.</summary>
/// <param name="Items">The tables, oldest first.</param>
/// <param name="Next">Pass as <c>after</c> for the next page; null on the last page.</param>
public sealed record TablePage(IReadOnlyList<TableSummary> Items, string? Next);

/// <summary>One table of a listing.</summary>
/// <param name="Cid">The table's CID.</param>
/// <param name="Kind"><c>batch</c> (a one-chunk table), <c>dataset</c> (a manifest) or <c>arrow-stream</c>.</param>
/// <param name="Rows">Rows of the table.</param>
/// <param name="Bytes">Bytes of its chunks (a dataset's data, not its manifest); null when this node lacks the manifest.</param>
/// <param name="Chunks">Chunks, when known without walking a manifest tree.</param>
/// <param name="Tags">The registry's tags.</param>
/// <param name="Created">When it was first registered.</param>
/// <param name="Pinned">Whether garbage collection keeps it.</param>
/// <param name="Names">The versions of names that point at it.</param>
public sealed record TableSummary(
    string Cid, string Kind, long Rows, long? Bytes, long? Chunks, IReadOnlyDictionary<string, string> Tags, DateTimeOffset Created, bool Pinned, IReadOnlyList<VersionReference> Names);

/// <summary>A version of a name.</summary>
/// <param name="Name">The name.</param>
/// <param name="Version">Its number (1, 2, …).</param>
public sealed record VersionReference(string Name, long Version);

/// <summary>A page of <c>GET /api/v1/names</c>.</summary>
/// <param name="Items">The names, in name order.</param>
/// <param name="Next">Pass as <c>after</c> for the next page; null on the last page.</param>
public sealed record NamePage(IReadOnlyList<NameSummary> Items, string? Next);

/// <summary>A name with its latest version.</summary>
/// <param name="Name">The name.</param>
/// <param name="Versions">How many versions it has (the latest's number: versions have no gaps).</param>
/// <param name="Cid">The latest version's CID.</param>
/// <param name="Updated">When the latest version was recorded.</param>
public sealed record NameSummary(string Name, long Versions, string Cid, DateTimeOffset Updated);

/// <summary><c>GET /api/v1/tables/{cid}</c>: a table described.</summary>
/// <param name="Cid">The table's CID.</param>
/// <param name="Kind"><c>batch</c>, <c>dataset</c> or <c>arrow-stream</c>.</param>
/// <param name="Rows">Rows.</param>
/// <param name="Bytes">Bytes of its chunks.</param>
/// <param name="Blocks">Every block of the table, each once (manifest nodes and chunks), and their bytes.</param>
/// <param name="Schema">The Arrow schema.</param>
/// <param name="Chunks">Its chunks (a page of them for a large table).</param>
/// <param name="FirstChunkPath">
/// The manifest nodes below the root on the way to the first chunk, top down: with the root and the
/// first chunks, the blocks a reader of the first rows fetches (the explorer asks for them while its
/// script loads). Empty when the root lists the chunks itself.
/// </param>
/// <param name="Tags">The registry's tags.</param>
/// <param name="Created">When it was first registered; null when the registry does not know it.</param>
/// <param name="Pinned">Whether garbage collection keeps it.</param>
/// <param name="Producer">Who produced it.</param>
/// <param name="Provenance">Where it came from.</param>
/// <param name="Versions">Every version of a name that points at it, with what it shares with the version before.</param>
public sealed record TableDetail(
    string Cid,
    string Kind,
    long Rows,
    long Bytes,
    BlockTotals? Blocks,
    SchemaDescription Schema,
    ChunkPage Chunks,
    IReadOnlyList<string> FirstChunkPath,
    IReadOnlyDictionary<string, string> Tags,
    DateTimeOffset? Created,
    bool Pinned,
    string? Producer,
    string? Provenance,
    IReadOnlyList<VersionDetail> Versions);

/// <summary>A count of blocks and their total length.</summary>
/// <param name="Count">Blocks.</param>
/// <param name="Bytes">Their bytes.</param>
public sealed record BlockTotals(long Count, long Bytes);

/// <summary>An Arrow schema as JSON.</summary>
/// <param name="Fields">The top-level fields.</param>
/// <param name="Metadata">The schema's key-value metadata.</param>
public sealed record SchemaDescription(IReadOnlyList<FieldDescription> Fields, IReadOnlyDictionary<string, string> Metadata);

/// <summary>An Arrow field as JSON.</summary>
/// <param name="Name">The field's name.</param>
/// <param name="Type">The type as Arrow libraries print it, e.g. <c>int64</c>, <c>list&lt;item: utf8&gt;</c>, <c>dictionary&lt;values=utf8, indices=int32&gt;</c>.</param>
/// <param name="Nullable">Whether it may hold nulls.</param>
/// <param name="Metadata">The field's key-value metadata.</param>
/// <param name="Children">The child fields of a nested type (list, struct, map, union, …); null for others.</param>
public sealed record FieldDescription(string Name, string Type, bool Nullable, IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<FieldDescription>? Children);

/// <summary>A page of a table's chunks, in row order.</summary>
/// <param name="Count">Chunks of the whole table.</param>
/// <param name="Offset">The index of the first chunk listed.</param>
/// <param name="Items">The chunks listed.</param>
/// <param name="NextOffset">Pass as <c>chunkOffset</c> for the next chunks; null when the list is complete.</param>
public sealed record ChunkPage(long Count, long Offset, IReadOnlyList<ChunkDescription> Items, long? NextOffset);

/// <summary>One chunk of a table.</summary>
/// <param name="Cid">The chunk's raw CID.</param>
/// <param name="FirstRow">The table row its first row is.</param>
/// <param name="Rows">Its rows.</param>
/// <param name="Bytes">Its block's bytes.</param>
public sealed record ChunkDescription(string Cid, long FirstRow, long Rows, long Bytes);

/// <summary>A version of a name that points at a table, and how it compares with the version before it.</summary>
/// <param name="Name">The name.</param>
/// <param name="Version">The version's number.</param>
/// <param name="Created">When the version was recorded.</param>
/// <param name="Latest">Whether it is the name's latest version.</param>
/// <param name="Previous">The version before it; null for version 1.</param>
/// <param name="Shared">Blocks this table shares with the previous version's (none for version 1); null when either table's blocks are not here.</param>
/// <param name="New">Blocks only this table has (what it adds to a holder of the previous version).</param>
/// <param name="Removed">Blocks only the previous version's table has.</param>
/// <param name="Node">The version's node in the name's signed chain (docs/names.md), once linked.</param>
/// <param name="Signer">The IPNS name (<c>k51…</c>) that signs the chain, when its node is here: what a reader verifies the version against.</param>
public sealed record VersionDetail(
    string Name, long Version, DateTimeOffset Created, bool Latest, PreviousVersion? Previous, BlockTotals? Shared, BlockTotals? New, BlockTotals? Removed, string? Node = null, string? Signer = null);

/// <summary>The version before another.</summary>
/// <param name="Version">Its number.</param>
/// <param name="Cid">Its CID.</param>
public sealed record PreviousVersion(long Version, string Cid);

/// <summary>The data of one Server-Sent Event of <c>GET /api/v1/events</c>: a change of the registry.</summary>
/// <param name="Sequence">The change's sequence number (also the event's id).</param>
/// <param name="Change">What happened: registered, updated, pinned, unpinned, tagged, location_added, location_removed, deleted, versioned.</param>
/// <param name="Cid">The CID concerned.</param>
/// <param name="Kind">Its kind (batch, dataset, arrow-stream, foreign, table-node).</param>
/// <param name="At">When the change was committed.</param>
/// <param name="Rows">Rows, when the record is still registered.</param>
/// <param name="Bytes">Bytes of data as the listing gives them (a dataset's chunks, not its manifest), when the record is still registered and they are known.</param>
/// <param name="Tags">Its tags, when the record is still registered.</param>
/// <param name="Name">For a <c>versioned</c> change: the name.</param>
/// <param name="Version">For a <c>versioned</c> change: the version's number.</param>
public sealed record ChangeEvent(
    long Sequence, string Change, string Cid, string Kind, DateTimeOffset At, long? Rows, long? Bytes, IReadOnlyDictionary<string, string>? Tags, string? Name, long? Version);

/// <summary>The body of a problem answer (RFC 9457).</summary>
public sealed record ProblemBody(string Title, int Status, string Detail);

/// <summary>A <c>peer</c> record of delegated routing: who, where, speaking what.</summary>
public sealed record PeerRecord(
    [property: JsonPropertyName("Schema")] string Schema,
    [property: JsonPropertyName("ID")] string Id,
    [property: JsonPropertyName("Addrs")] IReadOnlyList<string> Addrs,
    [property: JsonPropertyName("Protocols")] IReadOnlyList<string> Protocols);

/// <summary>The answer of <c>GET /routing/v1/providers/{cid}</c>.</summary>
public sealed record ProvidersBody([property: JsonPropertyName("Providers")] IReadOnlyList<PeerRecord> Providers);

/// <summary>The answer of <c>GET /routing/v1/peers/{peer-id}</c>.</summary>
public sealed record PeersBody([property: JsonPropertyName("Peers")] IReadOnlyList<PeerRecord> Peers);

/// <summary>A name's history: every version still recorded, oldest first.</summary>
/// <param name="Name">The dataset name.</param>
/// <param name="Latest">The number of its latest version.</param>
/// <param name="Versions">The versions.</param>
public sealed record NameVersionsBody(string Name, long Latest, IReadOnlyList<NameVersionEntry> Versions);

/// <summary>The answer of <c>GET /readyz</c> (200 when ready, 503 when not).</summary>
/// <param name="Status">"ready", "draining" or "not ready".</param>
/// <param name="Registry">"ok", or why the registry does not answer.</param>
/// <param name="Store">"writable", "read-only: …" (a full disk: reads go on), or why the block store cannot be used.</param>
/// <param name="SharedMemory">"open", "not served", or why the store served is gone.</param>
/// <param name="StoreFreeBytes">Bytes free on the block store's file system, when known.</param>
/// <param name="Listeners">"ok", or which face cannot accept connections and why.</param>
/// <param name="ObjectStore">"none" (no <c>--blocks</c>), "ok", or "unavailable: …" naming the store and what its last request found.</param>
public sealed record ReadinessBody(string Status, string Registry, string Store, string SharedMemory, long? StoreFreeBytes, string Listeners, string ObjectStore);
