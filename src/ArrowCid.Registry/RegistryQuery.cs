namespace ArrowCid.Registry;

/// <summary>Filters for <see cref="IRegistry.List"/>; every filter given must match. Results come oldest first.</summary>
public sealed record RegistryQuery
{
    /// <summary>Only this kind, when set.</summary>
    public BlockKind? Kind { get; init; }

    /// <summary>Only records carrying every one of these key = value tags.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();

    /// <summary>Only records created at or after this instant, when set.</summary>
    public DateTimeOffset? CreatedFrom { get; init; }

    /// <summary>Only records created strictly before this instant, when set.</summary>
    public DateTimeOffset? CreatedBefore { get; init; }

    /// <summary>Only pinned (true) or unpinned (false) records, when set.</summary>
    public bool? Pinned { get; init; }

    /// <summary>Only records from this producer, when set.</summary>
    public string? Producer { get; init; }

    /// <summary>Only records some version of this dataset name points at, when set.</summary>
    public string? Name { get; init; }

    /// <summary>
    /// Only tables, when true: records no table's manifest (a dataset or an inner node) links, so
    /// a table's chunks and inner nodes are left out and each table stands once, as its root (or as
    /// its one chunk).
    /// </summary>
    public bool TablesOnly { get; init; }

    /// <summary>At most this many records, when set.</summary>
    public int? Limit { get; init; }
}
