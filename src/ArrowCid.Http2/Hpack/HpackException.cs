namespace ArrowCid.Http2.Hpack;

/// <summary>
/// A malformed or over-limit HPACK header block (RFC 7541). The HTTP/2 layer turns it into a
/// connection error of type COMPRESSION_ERROR: after one, the decoder's dynamic table is lost.
/// </summary>
public sealed class HpackException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public HpackException()
        : base("Malformed HPACK header block.")
    {
    }

    /// <summary>Creates the exception with a message that says what was wrong with the block.</summary>
    /// <param name="message">What was malformed or over a limit.</param>
    public HpackException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What was malformed or over a limit.</param>
    /// <param name="innerException">The underlying failure.</param>
    public HpackException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
