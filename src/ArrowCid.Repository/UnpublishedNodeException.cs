using ArrowCid.Content.Multiformats;

namespace ArrowCid.Repository;

/// <summary>
/// A version node a chain stored here is not yet where the registry may link it
/// (<see cref="NameChain.PublishFromHeld"/>: a node keeping blocks in a bucket links only what the
/// bucket holds): the caller publishes it, without holding a thread while it is written, and links
/// again.
/// </summary>
public sealed class UnpublishedNodeException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public UnpublishedNodeException()
        : base("A version node is not published yet.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is not published.</param>
    public UnpublishedNodeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner cause.</summary>
    /// <param name="message">What is not published.</param>
    /// <param name="innerException">The underlying cause.</param>
    public UnpublishedNodeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a node.</summary>
    /// <param name="node">The node stored here and not published.</param>
    public UnpublishedNodeException(Cid node)
        : base($"version node {node} is stored here but not published yet")
    {
        Node = node;
    }

    /// <summary>The node, when known.</summary>
    public Cid? Node { get; }
}
