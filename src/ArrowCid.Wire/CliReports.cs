using System.Text.Json;
using System.Text.Json.Serialization;

namespace ArrowCid.Wire;

// What the CLI's --json options print (docs/cli.md). A member documented as "null when …" is
// written as null rather than left out, so a script can index it without a key check.

/// <summary>
/// A put: one input of <c>put --json</c>, <c>cid --json</c> or <c>flight put --json</c>, and the
/// answer of <c>POST /api/v1/tables</c>: the table it became and its chunks.
/// </summary>
/// <param name="Input">The path read (<c>-</c> for standard input); left out of an upload's answer.</param>
/// <param name="Table">The table.</param>
/// <param name="Chunks">Its chunks in row order.</param>
/// <param name="Name">The name it became a version of.</param>
/// <param name="Version">That version's number.</param>
/// <param name="VersionAdded">Whether the put added that version; false when the name's latest version already named the table (null without a name).</param>
public sealed record PutReport(string? Input, TableTotals Table, IReadOnlyList<ChunkEntry> Chunks, string? Name, long? Version, bool? VersionAdded = null);

/// <summary>A table's CID and totals.</summary>
/// <param name="Cid">The table's CID (raw for a one-chunk table, dag-cbor for a manifest).</param>
/// <param name="Rows">Rows.</param>
/// <param name="Bytes">Bytes of its chunk blocks (manifest nodes not counted).</param>
/// <param name="Chunks">Chunks.</param>
/// <param name="ManifestBytes">Bytes of the root manifest block: 0 for a one-chunk table; null where it is not known (a shared-memory table).</param>
public sealed record TableTotals(string Cid, long Rows, long Bytes, long Chunks, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? ManifestBytes);

/// <summary>One input of <c>shm publish --json</c> (each batch of it, or with --table the input as one table): the table and the notice that announced it.</summary>
/// <param name="Input">The path read (<c>-</c> for standard input).</param>
/// <param name="Sequence">The notice's sequence number (0: the table was already published, nothing announced).</param>
/// <param name="Table">The table.</param>
public sealed record ShmPublishReport(string Input, long Sequence, TableTotals Table);

/// <summary>A registry record, as <c>ls --json</c> and <c>info --json</c> print it.</summary>
/// <param name="Cid">The CID.</param>
/// <param name="Kind">batch, dataset, arrow-stream, foreign or table-node.</param>
/// <param name="Rows">Rows.</param>
/// <param name="Bytes">The root block's bytes.</param>
/// <param name="Created">When it was registered.</param>
/// <param name="Pinned">Whether gc keeps it.</param>
/// <param name="Producer">Who produced it; null when unknown.</param>
/// <param name="Provenance">Where it came from; null when unknown.</param>
/// <param name="Tags">Its tags, in key order.</param>
/// <param name="Locations">Where its blocks are held.</param>
/// <param name="Schema">The schema as text; null when unknown.</param>
/// <param name="Chunks">A table's chunks the record links (not for a foreign block).</param>
/// <param name="Nodes">A table's manifest nodes the record links (not for a foreign block).</param>
/// <param name="Links">A foreign block's links (only for a foreign block).</param>
/// <param name="TableBytes">For a table's root (<c>info</c> only): the bytes of all its blocks, root, manifest nodes and chunks.</param>
/// <param name="TableBlocks">For a table's root (<c>info</c> only): how many blocks it has.</param>
public sealed record RecordEntry(
    string Cid,
    string Kind,
    long Rows,
    long Bytes,
    DateTimeOffset Created,
    bool Pinned,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Producer,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Provenance,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyList<string> Locations,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Schema,
    IReadOnlyList<string>? Chunks,
    IReadOnlyList<string>? Nodes,
    IReadOnlyList<string>? Links,
    long? TableBytes = null,
    long? TableBlocks = null);

/// <summary>A version of a name, as <c>log --json</c> prints it (newest first).</summary>
/// <param name="Name">The name.</param>
/// <param name="Version">The version's number.</param>
/// <param name="Cid">Its table.</param>
/// <param name="Kind">The table's kind; null when it is not registered here.</param>
/// <param name="Rows">Rows; null when unknown.</param>
/// <param name="Bytes">Bytes of data (a dataset's chunks); null when unknown.</param>
/// <param name="NewBytes">Bytes of blocks the previous version lacks (all of version 1's); null when either version's blocks are not here.</param>
/// <param name="Created">When the version was recorded.</param>
/// <param name="Tags">The table's tags.</param>
/// <param name="Node">The version's node in the name's signed chain (docs/names.md); null until it is linked.</param>
public sealed record VersionLogEntry(
    string Name,
    long Version,
    string Cid,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Kind,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? Rows,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? Bytes,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? NewBytes,
    DateTimeOffset Created,
    IReadOnlyDictionary<string, string> Tags,
    string? Node = null);

/// <summary><c>diff --json</c>: what two tables share and what each has alone.</summary>
/// <param name="A">The first table.</param>
/// <param name="B">The second table.</param>
/// <param name="SharedBlocks">Blocks both have.</param>
/// <param name="SharedBytes">Their bytes.</param>
/// <param name="NewBlocks">Blocks only B has.</param>
/// <param name="NewBytes">Their bytes.</param>
/// <param name="RemovedBlocks">Blocks only A has.</param>
/// <param name="RemovedBytes">Their bytes.</param>
/// <param name="New">The blocks only B has.</param>
/// <param name="Removed">The blocks only A has.</param>
public sealed record TableDiff(
    TableBlockTotals A, TableBlockTotals B, long SharedBlocks, long SharedBytes, long NewBlocks, long NewBytes, long RemovedBlocks, long RemovedBytes, IReadOnlyList<BlockEntry> New, IReadOnlyList<BlockEntry> Removed);

/// <summary>A table's root and the count and bytes of its blocks.</summary>
/// <param name="Cid">The table's CID.</param>
/// <param name="Blocks">Its blocks (manifest nodes and chunks), each once.</param>
/// <param name="Bytes">Their bytes.</param>
public sealed record TableBlockTotals(string Cid, long Blocks, long Bytes);

/// <summary>A block and its bytes.</summary>
/// <param name="Cid">The block's CID.</param>
/// <param name="Bytes">Its bytes.</param>
public sealed record BlockEntry(string Cid, long Bytes);

/// <summary>
/// <c>gc --json</c>: what garbage collection removed, kept and handed over. The document also
/// lists the removed blocks, streamed ahead of these members as they go (<see cref="RemovedRecordsMember"/>,
/// <see cref="RemovedOrphansMember"/>: arrays of CIDs), so a collection of millions is never held.
/// </summary>
/// <param name="RemovedTempFiles">Temporary files removed.</param>
/// <param name="BytesFreed">Bytes freed.</param>
/// <param name="Retained">Blocks kept (pinned, named, or linked by them).</param>
/// <param name="LocationsReleased">Shared records that no longer list this node.</param>
/// <param name="LocationsRecorded">Blocks held here now recorded in the shared registry.</param>
/// <param name="HandedOver">Retained blocks removed because enough other nodes serve them verified.</param>
/// <param name="BelowMinCopies">Retained blocks kept because fewer copies are recorded than asked.</param>
/// <param name="AbandonedGuards">Puts that had died halfway.</param>
/// <param name="UnreachableNodes">Nodes that could not be asked.</param>
/// <param name="PacksRewritten">Pack files rewritten without their dead records.</param>
/// <param name="Bucket">What the collection of the node's bucket found and deleted; absent without one.</param>
public sealed record GcSummary(
    long RemovedTempFiles,
    long BytesFreed,
    long Retained,
    long LocationsReleased,
    long LocationsRecorded,
    IReadOnlyList<string> HandedOver,
    long BelowMinCopies,
    long AbandonedGuards,
    IReadOnlyList<string> UnreachableNodes,
    long PacksRewritten,
    BucketGcSummary? Bucket = null)
{
    /// <summary>The streamed member listing the records removed, in the document's naming.</summary>
    public const string RemovedRecordsMember = "removed_records";

    /// <summary>The streamed member listing the blocks without records removed, in the document's naming.</summary>
    public const string RemovedOrphansMember = "removed_orphans";
}

/// <summary>The bucket's part of <c>gc --json</c>: objects deleted from the durable tier across hosts.</summary>
/// <param name="Location">The bucket, <c>s3://BUCKET/PREFIX</c>.</param>
/// <param name="Listed">Objects listed: block objects and packs.</param>
/// <param name="Retained">Kept: a name or pin reaches them (a pack: one of its blocks).</param>
/// <param name="WithinGrace">Kept: written within the grace period.</param>
/// <param name="KeptByRegistry">Kept: a put's guard, or a name or pin added while the collection ran.</param>
/// <param name="Deleted">Objects deleted.</param>
/// <param name="BytesFreed">Their bytes.</param>
/// <param name="Packs">Of the objects listed, packs of small blocks.</param>
/// <param name="PacksDeleted">Of the objects deleted, packs (none of whose blocks anything kept, or rewritten).</param>
/// <param name="PacksRewritten">Of the packs deleted, those mostly dead whose kept blocks were first written into a new pack.</param>
/// <param name="BytesRewritten">The bytes of the blocks written into new packs.</param>
/// <param name="JournalObjectsReplaced">The registry's journal objects in the bucket replaced by the registry as it stands.</param>
/// <param name="JournalObjectsWritten">The journal objects written in their place.</param>
public sealed record BucketGcSummary(string Location, long Listed, long Retained, long WithinGrace, long KeptByRegistry, long Deleted, long BytesFreed, long Packs, long PacksDeleted, long PacksRewritten, long BytesRewritten, long JournalObjectsReplaced, long JournalObjectsWritten);

/// <summary><c>verify --json</c>: every block re-hashed and every record checked.</summary>
/// <param name="RecordsChecked">Records checked.</param>
/// <param name="BlocksChecked">Blocks re-hashed.</param>
/// <param name="Corrupt">Blocks that do not hash to their CID.</param>
/// <param name="Missing">Records without their block.</param>
/// <param name="Orphans">Blocks without a record.</param>
/// <param name="TempFiles">Temporary files found.</param>
/// <param name="TornPackTails">Pack files whose last write was torn.</param>
/// <param name="Repaired">Whether --repair ran.</param>
/// <param name="Reregistered">Orphan blocks registered again.</param>
/// <param name="Quarantined">Files of corrupt blocks moved aside.</param>
/// <param name="Consistent">Nothing is corrupt or missing.</param>
/// <param name="StaleLocations">With a shared registry: blocks it says are here that are not.</param>
/// <param name="UnrecordedLocations">With a shared registry: blocks here it does not list.</param>
/// <param name="Rebuilt">With --rebuild-registry: what the rebuild replayed.</param>
/// <param name="SharedRebuilt">With --rebuild-shared-registry: what was written into the shared registry again.</param>
/// <param name="DamagedPackIndexes">Pack indexes whose entries failed their checksum (rebuilt by --repair).</param>
/// <param name="Bucket">With a bucket (--blocks): what its check found; absent without one.</param>
/// <param name="BucketRebuilt">With --rebuild-shared-registry and a bucket: what its journal (every node's changes) wrote into the shared registry again.</param>
public sealed record VerifySummary(
    long RecordsChecked,
    long BlocksChecked,
    IReadOnlyList<string> Corrupt,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Orphans,
    long TempFiles,
    long TornPackTails,
    bool Repaired,
    IReadOnlyList<string> Reregistered,
    IReadOnlyList<string> Quarantined,
    bool Consistent,
    IReadOnlyList<string>? StaleLocations,
    IReadOnlyList<string>? UnrecordedLocations,
    RebuildSummary? Rebuilt = null,
    RebuildSummary? SharedRebuilt = null,
    long DamagedPackIndexes = 0,
    BucketVerifySummary? Bucket = null,
    RebuildSummary? BucketRebuilt = null);

/// <summary>The bucket's part of <c>verify --json</c>: every block object re-hashed, every record listing the bucket checked.</summary>
/// <param name="Location">The bucket, <c>s3://BUCKET/PREFIX</c>.</param>
/// <param name="ObjectsChecked">Objects read and re-hashed: block objects and packs.</param>
/// <param name="Corrupt">Blocks that do not hash to their CID (an object, or in a pack).</param>
/// <param name="Missing">Records listing the bucket, or a pack in it, whose block is not there.</param>
/// <param name="Unregistered">Blocks no record names.</param>
/// <param name="Repaired">Whether --repair deleted the corrupt objects and damaged packs and took their locations off the records of those and the missing.</param>
/// <param name="DamagedPacks">Packs whose bytes do not hash to their id, or whose index cannot be read.</param>
public sealed record BucketVerifySummary(string Location, long ObjectsChecked, IReadOnlyList<string> Corrupt, IReadOnlyList<string> Missing, long Unregistered, bool Repaired, IReadOnlyList<string> DamagedPacks);

/// <summary>A registry rebuilt from the packs' log and the journal (<c>verify --repair --rebuild-registry</c>).</summary>
/// <param name="Rows">Rows in the rebuilt registry.</param>
/// <param name="Versions">Names' versions restored.</param>
/// <param name="TagChanges">Tag changes replayed.</param>
/// <param name="PinChanges">Pin changes replayed.</param>
/// <param name="Deletions">Row deletions replayed.</param>
/// <param name="Unrecorded">Stored blocks no entry names, registered again and pinned.</param>
/// <param name="SetAside">Where the old registry file was moved, or null.</param>
public sealed record RebuildSummary(
    long Rows,
    long Versions,
    long TagChanges,
    long PinChanges,
    long Deletions,
    IReadOnlyList<string> Unrecorded,
    string? SetAside);

/// <summary><c>import car --json</c>: what a CAR file held and what was stored.</summary>
/// <param name="Roots">The CAR's roots.</param>
/// <param name="Strict">Whether blocks ArrowCid cannot verify were refused.</param>
/// <param name="BlocksRead">Blocks read.</param>
/// <param name="Complete">Every root's blocks are here.</param>
/// <param name="Counts">Blocks of each kind, and refused.</param>
/// <param name="Blocks">The blocks stored.</param>
/// <param name="Refused">The blocks refused, and why.</param>
/// <param name="MissingRoots">Roots whose blocks were not all in the file.</param>
/// <param name="Incomplete">Table roots whose tables lack blocks here: kept as plain DAG-CBOR blocks until what they lack is imported and the CAR imported again.</param>
public sealed record CarImportSummary(
    IReadOnlyList<string> Roots,
    bool Strict,
    long BlocksRead,
    bool Complete,
    IReadOnlyDictionary<string, long> Counts,
    IReadOnlyList<ImportedBlockEntry> Blocks,
    IReadOnlyList<RefusedBlockEntry> Refused,
    IReadOnlyList<string> MissingRoots,
    IReadOnlyList<IncompleteTableEntry> Incomplete);

/// <summary>A table root a CAR import could not register as a table.</summary>
/// <param name="Root">The root.</param>
/// <param name="Missing">The first block of its table that is not here; null for a malformed tree.</param>
/// <param name="Reason">What is wrong.</param>
public sealed record IncompleteTableEntry(string Root, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Missing, string Reason);

/// <summary>A block a CAR import stored.</summary>
/// <param name="Cid">Its CID.</param>
/// <param name="Kind">batch, dataset, arrow-stream, dag-cbor, dag-pb, raw, …</param>
/// <param name="Bytes">Its bytes.</param>
/// <param name="Rows">Rows, for Arrow data.</param>
/// <param name="Schema">The schema as text, for Arrow data.</param>
/// <param name="Links">Links, for dag-cbor and dag-pb.</param>
/// <param name="Canonical">For an Arrow stream: the canonical table it was also stored as.</param>
/// <param name="Note">Anything else worth saying.</param>
public sealed record ImportedBlockEntry(string Cid, string Kind, long Bytes, long? Rows, string? Schema, long? Links, CanonicalCopy? Canonical, string? Note);

/// <summary>The canonical table an Arrow stream block was also stored as.</summary>
/// <param name="Table">The table's CID.</param>
/// <param name="Chunks">Its chunks.</param>
public sealed record CanonicalCopy(string Table, IReadOnlyList<string> Chunks);

/// <summary>A block a CAR import refused.</summary>
/// <param name="Cid">Its CID.</param>
/// <param name="HashFunction">The hash function ArrowCid cannot verify, when that is why.</param>
/// <param name="Reason">Why.</param>
public sealed record RefusedBlockEntry(string Cid, string? HashFunction, string Reason);

/// <summary><c>flight pull --json</c>: what was copied from a node.</summary>
/// <param name="Cid">The table's CID.</param>
/// <param name="Server">The node pulled from.</param>
/// <param name="Name">The local name it became a version of; null when none.</param>
/// <param name="Version">That version; null when none.</param>
/// <param name="RemoteVersion">The version the name had on the server; null when pulled by CID.</param>
/// <param name="BlocksTotal">The table's blocks.</param>
/// <param name="BytesTotal">Their bytes.</param>
/// <param name="BlocksTransferred">Blocks that were not here already.</param>
/// <param name="BytesTransferred">Their bytes.</param>
public sealed record PullSummary(
    string Cid,
    string Server,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Name,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? Version,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? RemoteVersion,
    long BlocksTotal,
    long BytesTotal,
    long BlocksTransferred,
    long BytesTransferred);

/// <summary>
/// <c>flight info --json</c> and <c>flight ls --json</c>: a FlightInfo as received, in the words
/// <c>info --json</c> uses (rows and bytes for FlightInfo's total_records and total_bytes).
/// </summary>
/// <param name="Cid">The first endpoint's ticket.</param>
/// <param name="Path">The descriptor's path; null for another descriptor.</param>
/// <param name="Rows">Rows (total_records).</param>
/// <param name="Bytes">Bytes (total_bytes).</param>
/// <param name="SchemaBytes">Bytes of the schema message.</param>
/// <param name="Endpoints">Where the data is.</param>
/// <param name="AppMetadata">The app_metadata as the server wrote it; null when empty.</param>
public sealed record FlightInfoSummary(
    string Cid,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] IReadOnlyList<string>? Path,
    long Rows,
    long Bytes,
    long SchemaBytes,
    IReadOnlyList<FlightEndpointSummary> Endpoints,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] JsonElement? AppMetadata);

/// <summary>An endpoint of a FlightInfo.</summary>
/// <param name="Ticket">Its ticket as text.</param>
/// <param name="Locations">Its locations.</param>
public sealed record FlightEndpointSummary(string Ticket, IReadOnlyList<string> Locations);

/// <summary>
/// <c>node.json</c> in a repository folder: what the folder remembers of the node that serves it
/// (ArrowCid.Repository's <c>NodeSettings</c> reads and writes it).
/// </summary>
/// <param name="Registry">The shared registry's URL; absent when the node uses the repository's own.</param>
/// <param name="Location">The node's Flight location as recorded in the shared registry.</param>
/// <param name="Pid">The process that last served the folder.</param>
/// <param name="Started">When it started.</param>
/// <param name="Blocks">The durable tier it keeps blocks in too (<c>s3://BUCKET/PREFIX</c>); absent without one.</param>
public sealed record NodeSettingsFile(string? Registry, string? Location, int? Pid, DateTimeOffset? Started, string? Blocks = null);

/// <summary><c>shm ls --json</c>: one segment of a shared-memory store.</summary>
/// <param name="Cid">The block it holds.</param>
/// <param name="Bytes">Its bytes.</param>
/// <param name="LastAccess">When it was last attached (UTC).</param>
/// <param name="Pinned">Whether eviction keeps it.</param>
/// <param name="Leased">Whether a process holds it attached.</param>
/// <param name="Arena">Whether it lies in the store's arena (not a file of its own).</param>
public sealed record ShmSegmentEntry(string Cid, long Bytes, DateTimeOffset LastAccess, bool Pinned, bool Leased, bool Arena);

/// <summary><c>shm stat --json</c>: a shared-memory store's figures.</summary>
/// <param name="Directory">Its folder.</param>
/// <param name="Segments">Segments held.</param>
/// <param name="Bytes">Their bytes.</param>
/// <param name="Pinned">Segments pinned.</param>
/// <param name="Leased">Segments leased.</param>
/// <param name="Sequence">The newest notification's sequence number.</param>
public sealed record ShmStatSummary(string Directory, long Segments, long Bytes, long Pinned, long Leased, long Sequence);

/// <summary><c>shm watch --jsonl</c>: one notification, a line each.</summary>
/// <param name="Sequence">Its sequence number.</param>
/// <param name="Cid">The CID published.</param>
/// <param name="Rows">Rows.</param>
/// <param name="Bytes">Bytes.</param>
/// <param name="Tags">Its tags, in key order.</param>
public sealed record ShmNoticeEntry(long Sequence, string Cid, long Rows, long Bytes, IReadOnlyDictionary<string, string> Tags);

/// <summary><c>flight get --json</c>: what was fetched and verified.</summary>
/// <param name="Cid">The table's CID.</param>
/// <param name="Batches">Batches fetched, each re-hashed against its CID.</param>
/// <param name="Bytes">Bytes fetched.</param>
/// <param name="Output">Where the stream went (<c>-</c> for stdout).</param>
public sealed record FlightGetSummary(string Cid, long Batches, long Bytes, string Output);

/// <summary><c>export car --json</c>: what the CAR holds.</summary>
/// <param name="Roots">Its roots.</param>
/// <param name="Blocks">Blocks written.</param>
/// <param name="Bytes">Bytes written.</param>
/// <param name="Output">The file (<c>-</c> for stdout).</param>
/// <param name="Since">The base left out, for <c>--since</c>; null otherwise.</param>
public sealed record CarExportSummary(
    IReadOnlyList<string> Roots,
    long Blocks,
    long Bytes,
    string Output,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Since);

/// <summary><c>export parquet --json</c>: what the file holds.</summary>
/// <param name="Tables">The tables exported.</param>
/// <param name="Rows">Rows.</param>
/// <param name="Chunks">Chunks (row groups hold whole chunks).</param>
/// <param name="Bytes">The file's bytes (0 when written to a pipe).</param>
/// <param name="Compression">The codec.</param>
/// <param name="Output">The file (<c>-</c> for stdout).</param>
public sealed record ParquetExportSummary(IReadOnlyList<string> Tables, long Rows, long Chunks, long Bytes, string Compression, string Output);

/// <summary>A name key, as <c>key list --json</c> and <c>key gen --json</c> print it.</summary>
/// <param name="Name">The key's name (<c>self</c> for the node's identity).</param>
/// <param name="IpnsName">The IPNS name it signs for, <c>k51…</c>.</param>
public sealed record KeyReport(string Name, string IpnsName);

/// <summary>A name resolved and verified, as <c>name resolve --json</c> prints it.</summary>
/// <param name="Ipns">The IPNS name (<c>k51…</c>) whose record was verified.</param>
/// <param name="Name">The table name the chain's head carries.</param>
/// <param name="Version">The head's version (the record's sequence).</param>
/// <param name="Table">The table the head names.</param>
/// <param name="Node">The head's version node (the record's value is <c>/ipfs/</c> and this).</param>
/// <param name="Validity">When the record stops being valid.</param>
/// <param name="Versions">How many nodes were verified, back to version 1.</param>
/// <param name="Source">Where the record and nodes came from: the repository, or the gateway or Flight server asked.</param>
public sealed record NameResolution(string Ipns, string Name, long Version, string Table, string Node, DateTimeOffset Validity, int Versions, string Source);
