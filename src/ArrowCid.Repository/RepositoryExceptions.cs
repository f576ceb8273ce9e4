namespace ArrowCid.Repository;

/// <summary>
/// The repository's lock stayed held by another process (a put, gc or repair) past the lock timeout.
/// An <see cref="IOException"/>, as the lock file's own failure was; try again later.
/// </summary>
public sealed class RepositoryBusyException : IOException
{
    /// <summary>Creates the exception.</summary>
    public RepositoryBusyException() : base("the repository is busy") { }

    /// <summary>Creates the exception with a message.</summary>
    public RepositoryBusyException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the lock file's failure.</summary>
    public RepositoryBusyException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// The registry has no rows while the repository stores blocks: it was lost or replaced. A command
/// that would delete what looks unregistered (gc) stops instead; <c>verify --repair</c> registers the
/// blocks again. An <see cref="IOException"/>: the repository's state, not the request, is at fault.
/// </summary>
public sealed class RegistryLostException : IOException
{
    /// <summary>Creates the exception.</summary>
    public RegistryLostException() : base("the registry has no rows but the repository stores blocks") { }

    /// <summary>Creates the exception with a message.</summary>
    public RegistryLostException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public RegistryLostException(string message, Exception innerException) : base(message, innerException) { }
}
