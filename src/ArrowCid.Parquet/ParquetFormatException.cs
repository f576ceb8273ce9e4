using ArrowCid.Arrow;

namespace ArrowCid.Parquet;

/// <summary>
/// The one exception thrown for Parquet data that breaks the format: bad magic, a footer that does
/// not fit the file, malformed thrift, page sizes or counts that disagree, encoded values that run
/// past their page, a codec that is not available, and the like. The message names the field,
/// page or column that is wrong; <see cref="Offset"/>, <see cref="RowGroup"/> and
/// <see cref="Column"/> say where, when the reader knows, and <see cref="Path"/> joins the last
/// two (<see cref="IFormatErrorPosition"/>). Malformed thrift metadata gives its offset in the
/// thrift bytes.
/// </summary>
public sealed class ParquetFormatException : FormatException, IFormatErrorPosition
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

    /// <summary>The row group and column at fault, e.g. <c>row group 2 → column a.b</c>, when either is known.</summary>
    public string? Path => (RowGroup, Column) switch
    {
        (null, null) => null,
        ({ } group, null) => $"row group {group}",
        (null, { } column) => $"column {column}",
        ({ } group, { } column) => $"row group {group} → column {column}",
    };
}
