namespace ArrowCid.Parquet;

/// <summary>
/// The one exception thrown for Parquet data that breaks the format: bad magic, a footer that does
/// not fit the file, malformed thrift, page sizes or counts that disagree, encoded values that run
/// past their page, a codec that is not available, and the like. The message names the field,
/// page or column that is wrong.
/// </summary>
public sealed class ParquetFormatException : FormatException
{
    /// <summary>Creates the exception with a message that names what is wrong.</summary>
    public ParquetFormatException(string message) : base(message) { }

    /// <summary>Creates the exception wrapping a lower-level cause.</summary>
    public ParquetFormatException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with a generic message.</summary>
    public ParquetFormatException() : base("Invalid Parquet data.") { }
}
