namespace ArrowCid.Registry;

/// <summary>
/// An IPNS record as the registry keeps it (<see cref="IRegistry.KeepIpnsRecord"/>): verified by
/// whoever hands it over, ordered against the one kept by sequence, then validity.
/// </summary>
/// <param name="IpnsName">The IPNS name as text (<c>k51…</c>).</param>
/// <param name="Sequence">The record's sequence.</param>
/// <param name="Validity">The record's end of validity.</param>
/// <param name="Record">The record's bytes.</param>
public sealed record KeptIpnsRecord(string IpnsName, long Sequence, DateTimeOffset Validity, byte[] Record);
