namespace ArrowCid.Node;

/// <summary>
/// Every node the shared registry records as holding a block failed to supply it for a reason other
/// than not having it (unreachable, silent past the idle timeout, failing): <see cref="NodeErrorKind.Unavailable"/>,
/// a condition to retry, where NOT_FOUND would say the block is held nowhere.
/// </summary>
public sealed class PeersUnavailableException : NodeException
{
    /// <summary>Says which holders failed and how.</summary>
    public PeersUnavailableException(string message)
        : base(NodeErrorKind.Unavailable, message) { }

    /// <summary>Creates the exception with a default message.</summary>
    public PeersUnavailableException()
        : base(NodeErrorKind.Unavailable, "no node holding the block could be reached") { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public PeersUnavailableException(string message, Exception innerException)
        : base(NodeErrorKind.Unavailable, message, innerException) { }
}
