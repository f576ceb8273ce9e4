using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content;

/// <summary>
/// Bytes that do not hash to the CID they are stored or offered under: a damaged block file, a
/// truncated copy, or content handed to a block store's <c>Put</c>
/// under the wrong CID.
/// </summary>
public sealed class BlockCorruptedException : IOException
{
    /// <summary>Creates the exception with a default message.</summary>
    public BlockCorruptedException()
        : base("Block content does not match its CID.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What was wrong.</param>
    public BlockCorruptedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner cause.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The underlying cause.</param>
    public BlockCorruptedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a named block.</summary>
    /// <param name="cid">The block whose content did not match.</param>
    /// <param name="message">What was wrong.</param>
    public BlockCorruptedException(Cid cid, string message)
        : base($"{message} ({cid})")
    {
        Cid = cid;
    }

    /// <summary>The block concerned, when known.</summary>
    public Cid? Cid { get; }
}
