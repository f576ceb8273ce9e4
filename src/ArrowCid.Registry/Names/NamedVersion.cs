using ArrowCid.Content.Multiformats;

namespace ArrowCid.Registry;

/// <summary>One version of a named dataset: the name pointed at <paramref name="Cid"/> from <paramref name="Created"/> on.</summary>
/// <param name="Name">The dataset name (a valid <see cref="DatasetName"/>).</param>
/// <param name="Version">1 for the first version of the name, then 2, 3, … without gaps.</param>
/// <param name="Cid">The batch or dataset this version names.</param>
/// <param name="Created">When the version was recorded (UTC, microseconds).</param>
public sealed record NamedVersion(string Name, long Version, Cid Cid, DateTimeOffset Created)
{
    /// <summary>The reference that names exactly this version: <c>NAME@VERSION</c>.</summary>
    public override string ToString() => DatasetReference.Format(Name, Version);
}
