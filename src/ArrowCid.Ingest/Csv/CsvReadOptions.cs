using ArrowCid.Arrow.Types;

namespace ArrowCid.Ingest.Csv;

/// <summary>How <see cref="CsvBatchReader"/> reads a CSV file. See docs/csv.md.</summary>
public sealed record CsvReadOptions
{
    /// <summary>The defaults: comma, double quote, a header line, inference over 1,000 rows, 65,536 rows per batch.</summary>
    public static CsvReadOptions Default { get; } = new();

    /// <summary>The field separator (one character).</summary>
    public char Delimiter { get; init; } = ',';

    /// <summary>The quote character; inside quotes it is escaped by doubling it (RFC 4180).</summary>
    public char Quote { get; init; } = '"';

    /// <summary>Whether the first record names the columns; without one they are named f0, f1, …</summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>
    /// Column types that replace inference, by column name (see <see cref="CsvSchemaSpec"/>);
    /// columns not named are inferred. Null: infer every column.
    /// </summary>
    public IReadOnlyList<Field>? SchemaOverride { get; init; }

    /// <summary>Rows per record batch (the last may hold fewer).</summary>
    public int BatchSize { get; init; } = 65_536;

    /// <summary>How many data rows are read ahead to infer the column types.</summary>
    public int InferenceRows { get; init; } = 1_000;

    /// <summary>Largest field in characters; a longer one (e.g. from an unterminated quote) is an error, so memory stays bounded.</summary>
    public int MaxFieldChars { get; init; } = 16 << 20;

    /// <summary>
    /// Largest record in characters, the header included; reading stops with an error once one
    /// passes it (an endless record of short fields would otherwise grow without bound). Default 16 MiB.
    /// </summary>
    public int MaxRecordChars { get; init; } = 16 << 20;

    /// <summary>Most fields in one record (the header included). Default 100,000.</summary>
    public int MaxFields { get; init; } = 100_000;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRecordChars, 1, nameof(MaxRecordChars));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFields, 1, nameof(MaxFields));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(InferenceRows, 1, nameof(InferenceRows));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFieldChars, 1, nameof(MaxFieldChars));
        if (Delimiter == Quote)
        {
            throw new ArgumentException("the delimiter and the quote must differ", nameof(Delimiter));
        }

        if (Delimiter is '\r' or '\n' || Quote is '\r' or '\n')
        {
            throw new ArgumentException("the delimiter and the quote cannot be line breaks", nameof(Delimiter));
        }
    }
}
