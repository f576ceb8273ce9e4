namespace ArrowCid.TestSupport;

/// <summary>
/// Whether this run is CI (the environment variable CI is "true", as test.sh's callers set it).
/// Outside CI a test whose independent peer is missing prints "SKIPPED: why" and passes; in CI
/// test.sh has installed every peer, so a missing one is a failure: CI must prove the peer ran.
/// </summary>
public static class CiEnvironment
{
    /// <summary>True when CI=true.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// What a test does about a missing peer: in CI, throws with <paramref name="why"/>; otherwise
    /// returns the "SKIPPED: …" line for the test to print before it passes.
    /// </summary>
    public static string SkipOrFail(string why) =>
        IsCi ? throw new InvalidOperationException($"CI=true but a peer is missing: {why}") : $"SKIPPED: {why}";
}
