namespace ArrowCid.Apache;

/// <summary>
/// A schema, batch or stream could not cross between Apache.Arrow and ArrowCid: a type one side
/// cannot represent, a stream that failed or was already released, a batch already disposed. The
/// message says which, and the inner exception is the side's own.
/// </summary>
public sealed class ApacheArrowException : Exception
{
    /// <summary>A failure with its message and cause.</summary>
    public ApacheArrowException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>A failure with its message.</summary>
    public ApacheArrowException(string message)
        : base(message)
    {
    }

    /// <summary>A failure with no detail.</summary>
    public ApacheArrowException()
    {
    }
}
