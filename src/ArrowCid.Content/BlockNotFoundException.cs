using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content;

/// <summary>A block asked for by CID is not in the store.</summary>
public sealed class BlockNotFoundException : KeyNotFoundException
{
    /// <summary>Creates the exception with a default message.</summary>
    public BlockNotFoundException()
        : base("Block not found.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What was missing.</param>
    public BlockNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner cause.</summary>
    /// <param name="message">What was missing.</param>
    /// <param name="innerException">The underlying cause.</param>
    public BlockNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a named block.</summary>
    /// <param name="cid">The missing block.</param>
    public BlockNotFoundException(Cid cid)
        : base($"Block not found: {cid}")
    {
        Cid = cid;
    }

    /// <summary>The missing block, when known.</summary>
    public Cid? Cid { get; }
}
