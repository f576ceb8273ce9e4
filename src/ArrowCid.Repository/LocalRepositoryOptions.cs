using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>Settings for <see cref="LocalRepository"/>.</summary>
public sealed record LocalRepositoryOptions
{
    /// <summary>Re-hash blocks on every read (default true: block files are outside input).</summary>
    public bool VerifyOnRead { get; init; } = true;

    /// <summary>How long an operation waits for the repository lock or the database before failing.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
