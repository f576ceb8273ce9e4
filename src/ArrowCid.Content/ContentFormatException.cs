using ArrowCid.Arrow;

namespace ArrowCid.Content;

/// <summary>
/// The one exception thrown for malformed or hostile content: bad varints, CIDs, multibase text,
/// DAG-CBOR and CAR data, manifests. The message says what was wrong; <see cref="Offset"/> and
/// <see cref="Path"/> say where, when known (<see cref="IFormatErrorPosition"/>).
/// </summary>
public sealed class ContentFormatException : FormatException, IFormatErrorPosition
{
    /// <summary>Creates the exception with a default message.</summary>
    public ContentFormatException()
        : base("Malformed content.")
    {
    }

    /// <summary>Creates the exception with a message and no known offset.</summary>
    /// <param name="message">What was wrong.</param>
    public ContentFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner cause.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The underlying cause.</param>
    public ContentFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a problem found at a byte (or character) offset.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="offset">Byte offset (character index for text) where the problem was found.</param>
    public ContentFormatException(string message, long offset)
        : base($"{message} (at offset {offset})")
    {
        Offset = offset;
    }

    /// <summary>Byte offset (or character index for text input) of the problem, when known.</summary>
    public long? Offset { get; init; }

    /// <summary>The part at fault (e.g. a manifest node's CID and entry), when known.</summary>
    public string? Path { get; init; }
}
