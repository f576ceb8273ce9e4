namespace ArrowCid.Content;

/// <summary>
/// The name of the <see cref="System.Diagnostics.Metrics.Meter"/> every part records on (the store,
/// the repository, shared memory, the node's faces): a metrics exporter listens to this one name.
/// Instruments are named <c>arrowcid.…</c> with a unit, which a Prometheus exporter turns into
/// <c>arrowcid_…_bytes_total</c>, <c>…_seconds</c> (docs/operations.md lists them).
/// </summary>
public static class ArrowCidMeter
{
    /// <summary>The meter's name.</summary>
    public const string Name = "ArrowCid";
}
