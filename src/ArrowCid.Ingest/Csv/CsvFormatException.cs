using ArrowCid.Arrow;

namespace ArrowCid.Ingest.Csv;

/// <summary>
/// The one exception <see cref="CsvBatchReader"/> lets escape for bad input: a malformed record
/// (wrong number of fields, an unterminated or stray quote, a field over the size limit), a value
/// that does not fit its column's type, or a bad schema override. <see cref="Line"/> and
/// <see cref="Column"/> say where, when the problem is in the data; as every format's error does
/// (<see cref="IFormatErrorPosition"/>), <see cref="Offset"/> gives the characters read when it was
/// found and <see cref="Path"/> the line and column.
/// </summary>
public sealed class CsvFormatException : FormatException, IFormatErrorPosition
{
    /// <summary>Creates an exception about the input as a whole.</summary>
    public CsvFormatException(string message) : base(message) { }

    /// <summary>Creates an exception about the input as a whole, with its cause.</summary>
    public CsvFormatException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates an exception with a generic message.</summary>
    public CsvFormatException() : base("malformed CSV") { }

    /// <summary>Creates an exception located at <paramref name="line"/> (1-based) and <paramref name="column"/> (1-based, or null for the whole record).</summary>
    public CsvFormatException(long line, int? column, string message, Exception? innerException = null)
        : base(column is null ? $"line {line}: {message}" : $"line {line}, column {column}: {message}", innerException)
    {
        Line = line;
        Column = column;
    }

    /// <summary>The 1-based line the problem starts on, when it is in the data.</summary>
    public long? Line { get; }

    /// <summary>The 1-based field position, when one field is at fault.</summary>
    public int? Column { get; }

    /// <summary>Characters of the input read when the problem was found (the end of the record at fault), when known.</summary>
    public long? Offset { get; init; }

    /// <summary><c>line L</c> or <c>line L, column C</c>, when the problem is in the data.</summary>
    public string? Path => Line is { } line ? (Column is { } column ? $"line {line}, column {column}" : $"line {line}") : null;
}
