using ArrowCid.Content.Multiformats;

namespace ArrowCid.Flight.Client;

/// <summary>One chunk a DoPut stored (a canonical batch of at most 1 MiB), as a PutResult reported it.</summary>
/// <param name="Cid">The chunk's (batch) CID.</param>
/// <param name="Rows">Rows.</param>
/// <param name="Bytes">Canonical bytes.</param>
public sealed record FlightPutBatch(Cid Cid, long Rows, long Bytes);

/// <summary>What a DoPut stored: each chunk, then the table they make up.</summary>
/// <param name="Batches">The chunks in row order (however the rows were batched when sent).</param>
/// <param name="Table">The table's CID: the chunk's raw CID for a one-chunk table, else its manifest tree root.</param>
/// <param name="Name">The dataset name the put recorded a version of, when it named one.</param>
/// <param name="Version">That version's number.</param>
/// <param name="VersionAdded">Whether the put added that version (false: the name's latest version already named the table); null without a name, or from a server that does not say.</param>
/// <param name="Totals">The table's CID and totals as the node reported them (its root's bytes included); null from a node of 0.38 or earlier.</param>
public sealed record FlightPutSummary(IReadOnlyList<FlightPutBatch> Batches, Cid Table, string? Name = null, long? Version = null, bool? VersionAdded = null, Wire.TableTotals? Totals = null);

/// <summary>A change a subscription announced.</summary>
/// <param name="Sequence">The registry change sequence number.</param>
/// <param name="Cid">The content concerned.</param>
/// <param name="Change">What happened (registered, updated, pinned, …).</param>
/// <param name="Kind">batch or dataset.</param>
/// <param name="Json">The announcement as sent (app_metadata).</param>
public sealed record FlightAnnouncement(long Sequence, Cid Cid, string Change, string Kind, string Json);
