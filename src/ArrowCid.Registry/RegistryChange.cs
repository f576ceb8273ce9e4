using ArrowCid.Content.Multiformats;

namespace ArrowCid.Registry;

/// <summary>One entry of the change feed.</summary>
/// <param name="Sequence">Strictly increasing across the registry's life; never reused, even after deletes.</param>
/// <param name="Cid">The record concerned.</param>
/// <param name="Kind">What happened.</param>
/// <param name="At">When it was committed (UTC, microseconds).</param>
public sealed record RegistryChange(long Sequence, Cid Cid, RegistryChangeKind Kind, DateTimeOffset At);
