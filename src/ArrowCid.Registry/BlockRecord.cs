using ArrowCid.Content.Multiformats;

namespace ArrowCid.Registry;

/// <summary>
/// What the registry knows about one block. How a second registration of the same CID merges
/// with the first is part of the <see cref="IRegistry.Upsert"/> contract.
/// </summary>
public sealed record BlockRecord
{
    /// <summary>The block's CID.</summary>
    public required Cid Cid { get; init; }

    /// <summary>Batch, dataset, Arrow stream or foreign block.</summary>
    public required BlockKind Kind { get; init; }

    /// <summary>The Arrow schema as JSON text or a fingerprint; null when unknown.</summary>
    public string? Schema { get; init; }

    /// <summary>Rows in the batch, or in all of a dataset's batches.</summary>
    public long Rows { get; init; }

    /// <summary>Length of the block in bytes.</summary>
    public long Bytes { get; init; }

    /// <summary>
    /// The CIDs the block links, in order: for a table's manifest root or node, what it links (nodes
    /// or chunks); for a version-1 manifest, its batches; for a foreign DAG-CBOR or dag-pb block, its
    /// links (what GC keeps for it); empty for a chunk or an Arrow stream.
    /// </summary>
    public IReadOnlyList<Cid> Links { get; init; } = [];

    /// <summary>
    /// When the block was first registered (UTC, stored to the microsecond). Left at its default,
    /// the registry stamps the time of registration.
    /// </summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>Who produced the block (a program, host or user name); free text.</summary>
    public string? Producer { get; init; }

    /// <summary>Where the data came from (a query, an upstream CID, a file); free text.</summary>
    public string? Provenance { get; init; }

    /// <summary>Free key → value labels, filterable with <see cref="RegistryQuery.Tags"/>.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>Whether garbage collection must keep the block (and, for a dataset, its batches).</summary>
    public bool Pinned { get; init; }

    /// <summary>Where copies can be fetched besides the local store (Flight endpoints, paths, shared memory names).</summary>
    public IReadOnlyList<string> Locations { get; init; } = [];

    /// <summary>
    /// What a node publishes to a registry it shares for this record of a block it holds: with the
    /// node's <paramref name="location"/> added (when known), and pinned only when
    /// <paramref name="pinned"/> says so, since a pin there keeps the block on every node and
    /// holding a block pins nothing.
    /// </summary>
    /// <param name="location">The node's location, or null when it has none.</param>
    /// <param name="pinned">Whether the published record is pinned.</param>
    /// <returns>The record to upsert there.</returns>
    public BlockRecord PublishedFrom(string? location, bool pinned = false) =>
        this with { Pinned = pinned, Locations = location is null ? Locations : [.. Locations, location] };
}
