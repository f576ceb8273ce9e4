namespace ArrowCid.ObjectStorage;

/// <summary>What went wrong with an object store, as a node answers for it.</summary>
public enum ObjectStoreFault
{
    /// <summary>Unreachable, too slow (past the request's deadline) or failing (5xx): try again later (UNAVAILABLE, 503).</summary>
    Unavailable,

    /// <summary>The credentials were refused or do not reach the bucket (403).</summary>
    AccessDenied,

    /// <summary>The bucket does not exist.</summary>
    NoSuchBucket,

    /// <summary>The server refused the request for another reason, given in the message.</summary>
    Refused,
}

/// <summary>
/// An object store that could not do what was asked, naming the store (its location and endpoint,
/// never a credential) and the fault. A block that is missing or damaged is not this: it is a
/// <see cref="Content.BlockNotFoundException"/> or <see cref="Content.BlockCorruptedException"/> naming the CID.
/// </summary>
public sealed class ObjectStoreException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="fault">What went wrong.</param>
    /// <param name="message">What was asked, of which store, and the answer.</param>
    /// <param name="innerException">The client's exception, when there was one.</param>
    public ObjectStoreException(ObjectStoreFault fault, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Fault = fault;
    }

    /// <summary>What went wrong.</summary>
    public ObjectStoreFault Fault { get; }
}
