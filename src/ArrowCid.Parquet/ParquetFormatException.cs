namespace ArrowCid.Parquet;

/// <summary>
/// The one exception thrown for Parquet data that breaks the format: bad magic, a footer that does
/// not fit the file, malformed thrift, page sizes or counts that disagree, encoded values that run
/// past their page, a codec that is not available, and the like. The message names the field,
/// page or column that is wrong; <see cref="Offset"/>, <see cref="RowGroup"/> and
/// <see cref="Column"/> say where, when the reader knows.
/// </summary>
public sealed class ParquetFormatException : FormatException
{
    /// <summary>Creates the exception with a message that names what is wrong.</summary>
    public ParquetFormatException(string message) : base(message) { }

    /// <summary>Creates the exception wrapping a lower-level cause.</summary>
    public ParquetFormatException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with a generic message.</summary>
    public ParquetFormatException() : base("Invalid Parquet data.") { }

    /// <summary>Byte offset in the file of the range at fault, when known.</summary>
    public long? Offset { get; init; }

    /// <summary>Index of the row group at fault, when one is.</summary>
    public int? RowGroup { get; init; }

    /// <summary>The column at fault (its dotted path in the Parquet schema), when one is.</summary>
    public string? Column { get; init; }
}
