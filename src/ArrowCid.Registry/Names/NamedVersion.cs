using ArrowCid.Content.Multiformats;

namespace ArrowCid.Registry;

/// <summary>One version of a named dataset: the name pointed at <paramref name="Cid"/> from <paramref name="Created"/> on.</summary>
/// <param name="Name">The dataset name (a valid <see cref="DatasetName"/>).</param>
/// <param name="Version">1 for the first version of the name, then 2, 3, … without gaps.</param>
/// <param name="Cid">The batch or dataset this version names.</param>
/// <param name="Created">When the version was recorded (UTC, microseconds).</param>
public sealed record NamedVersion(string Name, long Version, Cid Cid, DateTimeOffset Created)
{
    /// <summary>
    /// The version's node in its name's hash-linked chain (DAG-CBOR: the table, the version number,
    /// the node before, the time, the schema and the signing key), or null until it is stored
    /// (<see cref="IRegistry.LinkVersion"/>). The versions table is an index of these chains.
    /// </summary>
    public Cid? Node { get; init; }

    /// <summary>The reference that names exactly this version: <c>NAME@VERSION</c>.</summary>
    public override string ToString() => DatasetReference.Format(Name, Version);
}
