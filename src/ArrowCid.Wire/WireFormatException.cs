using ArrowCid.Arrow;

namespace ArrowCid.Wire;

/// <summary>
/// A JSON document that does not fit its model: not JSON, not an object, or a member of the wrong
/// type. The message names the member (<c>'limit' must be an integer</c>); <see cref="Path"/> and
/// <see cref="Offset"/> say where, as every format reader of ArrowCid does.
/// </summary>
public sealed class WireFormatException : FormatException, IFormatErrorPosition
{
    /// <summary>Creates the exception with a message that names what is wrong.</summary>
    public WireFormatException(string message) : base(message) { }

    /// <summary>Creates the exception wrapping the JSON reader's or serializer's error.</summary>
    public WireFormatException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with a generic message.</summary>
    public WireFormatException() : base("The JSON document does not fit its model.") { }

    /// <summary>Byte offset in the document where the problem was found, when known.</summary>
    public long? Offset { get; init; }

    /// <summary>The member at fault as a dotted path (<c>subscribe.after</c>, <c>tags.k</c>), when one is.</summary>
    public string? Path { get; init; }
}
