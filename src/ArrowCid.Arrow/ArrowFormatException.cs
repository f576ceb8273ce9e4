namespace ArrowCid.Arrow;

/// <summary>
/// The one exception thrown for Arrow data that breaks the format: malformed IPC bytes, a
/// flatbuffer that points outside its message, buffers too short for their arrays, offsets that
/// go backwards, invalid UTF-8 in full validation, and the like. The message names the field
/// or buffer that is wrong.
/// </summary>
public sealed class ArrowFormatException : FormatException
{
    /// <summary>Creates the exception with a message that names what is wrong.</summary>
    public ArrowFormatException(string message) : base(message) { }

    /// <summary>Creates the exception wrapping a lower-level cause.</summary>
    public ArrowFormatException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with a generic message.</summary>
    public ArrowFormatException() : base("Invalid Arrow data.") { }
}
