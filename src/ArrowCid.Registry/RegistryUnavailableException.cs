namespace ArrowCid.Registry;

/// <summary>
/// The registry cannot be reached now (its server is down, restarting, refusing connections or not
/// answering): a condition to retry, not a fault of the request. A node answers it with UNAVAILABLE
/// over Flight and 503 over HTTP; the message says which registry and what happened, without the
/// driver's exception text.
/// </summary>
public sealed class RegistryUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RegistryUnavailableException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public RegistryUnavailableException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public RegistryUnavailableException() : base("the registry is unreachable") { }
}
