namespace ArrowCid.Arrow;

/// <summary>
/// The one exception thrown for Arrow data that breaks the format: malformed IPC bytes, a
/// flatbuffer that points outside its message, buffers too short for their arrays, offsets that
/// go backwards, invalid UTF-8 in full validation, and the like. The message names the field
/// or buffer that is wrong; <see cref="Offset"/> and <see cref="Path"/> say where, when the
/// reader knows (<see cref="IFormatErrorPosition"/>).
/// </summary>
public sealed class ArrowFormatException : FormatException, IFormatErrorPosition
{
    /// <summary>Creates the exception with a message that names what is wrong.</summary>
    public ArrowFormatException(string message) : base(message) { }

    /// <summary>Creates the exception wrapping a lower-level cause.</summary>
    public ArrowFormatException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with a generic message.</summary>
    public ArrowFormatException() : base("Invalid Arrow data.") { }

    /// <summary>
    /// Byte offset of the problem in the bytes being decoded, when known: in the IPC stream or
    /// file for a message that does not fit, in the flatbuffer for malformed metadata.
    /// </summary>
    public long? Offset { get; init; }

    /// <summary>
    /// The field at fault, when one field is, as the reader names it at the start of the message
    /// (e.g. <c>field 0 → child 1</c> for schema metadata, <c>column 0 'points' → child 0 'item'</c>
    /// for a record batch).
    /// </summary>
    public string? Path { get; init; }
}
