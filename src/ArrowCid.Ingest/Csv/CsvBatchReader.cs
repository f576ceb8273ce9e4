using System.Globalization;
using System.Text;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using CsvHelper;
using CsvHelper.Configuration;

namespace ArrowCid.Ingest.Csv;

/// <summary>
/// Reads CSV (RFC 4180, parsed by CsvHelper) as Arrow record batches of
/// <see cref="CsvReadOptions.BatchSize"/> rows, holding one batch at a time. Column types are
/// inferred from the first <see cref="CsvReadOptions.InferenceRows"/> data rows (int64, float64,
/// bool, date32, timestamp[us, UTC] for ISO 8601 values with an offset, timestamp[us] without,
/// else utf8; an empty field is null) unless <see cref="CsvReadOptions.SchemaOverride"/> names
/// them. Every problem with the input - a record with the wrong number of fields, a stray or
/// unterminated quote, an over-long field, a value a column's type cannot hold (also after the
/// inference sample) - is a <see cref="CsvFormatException"/> with the line and column.
/// </summary>
public sealed class CsvBatchReader : IDisposable
{
    private readonly CsvParser _parser;
    private readonly RecordBoundedReader _input;
    private readonly CsvReadOptions _options;
    private readonly Queue<(long Line, string[] Fields)> _sample = new();
    private readonly ArrayBuilder[] _builders;
    private readonly int _inferredFrom;
    private readonly HashSet<int> _inferred = [];
    private bool _finished;
    private long _lastLine;

    /// <summary>Reads the header and the inference sample from <paramref name="reader"/> (disposed with this reader unless <paramref name="leaveOpen"/>).</summary>
    /// <exception cref="CsvFormatException">The input is empty or malformed, or the schema override names unknown columns.</exception>
    public CsvBatchReader(TextReader reader, CsvReadOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(reader);
        _options = options ?? CsvReadOptions.Default;
        _options.Validate();
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            Delimiter = _options.Delimiter.ToString(),
            Quote = _options.Quote,
            Escape = _options.Quote,
            Mode = CsvMode.RFC4180,
            HasHeaderRecord = false,
            IgnoreBlankLines = true,
            DetectColumnCountChanges = false,
            MaxFieldSize = _options.MaxFieldChars,
            // The raw record may or may not end with its line break here: the record starts after the last good one.
            BadDataFound = args => throw new CsvFormatException(
                Math.Max(_lastLine + 1, args.Context.Parser!.RawRow - args.RawRecord.AsSpan().Count('\n')), Math.Max(1, args.Context.Parser.Count),
                $"malformed quoting (a stray or unterminated quote) in field {Excerpt(args.Field)}") { Offset = args.Context.Parser.CharCount },
        };
        _input = new RecordBoundedReader(reader, _options.MaxRecordChars, leaveOpen, () => _lastLine + 1);
        _parser = new CsvParser(_input, config, leaveOpen: false);
        try
        {
            var first = Next() ?? throw new CsvFormatException("the input holds no records");
            string[] names;
            if (_options.HasHeader)
            {
                names = HeaderNames(first);
            }
            else
            {
                names = [.. Enumerable.Range(0, first.Fields.Length).Select(i => string.Create(CultureInfo.InvariantCulture, $"f{i}"))];
                _sample.Enqueue(first);
            }

            ColumnCount = names.Length;
            while (_sample.Count < _options.InferenceRows && Next() is { } row)
            {
                _sample.Enqueue(row);
            }

            _inferredFrom = _sample.Count;
            Schema = BuildSchema(names);
            _builders = [.. Schema.Fields.Select(f => ArrayBuilder.Create(f.Type))];
        }
        catch
        {
            _parser.Dispose();
            throw;
        }
    }

    /// <summary>The number of fields every record must have.</summary>
    public int ColumnCount { get; }

    /// <summary>The schema of every batch: every field nullable.</summary>
    public Schema Schema { get; }

    /// <summary>Data rows returned in batches so far.</summary>
    public long RowsRead { get; private set; }

    /// <summary>Opens a UTF-8 file (a byte order mark is skipped).</summary>
    public static CsvBatchReader Open(string path, CsvReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, new FileStreamOptions { BufferSize = 1 << 16 });
        try
        {
            return new CsvBatchReader(reader, options);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>Reads UTF-8 CSV from <paramref name="stream"/> (disposed with the reader unless <paramref name="leaveOpen"/>).</summary>
    public static CsvBatchReader Open(Stream stream, CsvReadOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen);
        try
        {
            return new CsvBatchReader(reader, options);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>The next batch of up to <see cref="CsvReadOptions.BatchSize"/> rows, or null after the last.</summary>
    /// <exception cref="CsvFormatException">A malformed record or a value that does not fit its column.</exception>
    public RecordBatch? ReadNext()
    {
        if (_finished)
        {
            return null;
        }

        int rows = 0;
        while (rows < _options.BatchSize)
        {
            var row = _sample.Count > 0 ? _sample.Dequeue() : Next();
            if (row is null)
            {
                _finished = true;
                break;
            }

            Append(row.Value);
            rows++;
        }

        if (rows == 0)
        {
            return null;
        }

        RowsRead += rows;
        return new RecordBatch(Schema, rows, [.. _builders.Select(b => b.Build())]);
    }

    /// <summary>Every remaining batch, read lazily.</summary>
    public IEnumerable<RecordBatch> ReadAll()
    {
        while (ReadNext() is { } batch)
        {
            yield return batch;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _parser.Dispose();

    private static long StartLine(long lastLine, string rawRecord)
    {
        // RawRow is the line a record ends on; a quoted field may span lines.
        int breaks = rawRecord.AsSpan().TrimEnd("\r\n").Count('\n');
        return Math.Max(1, lastLine - breaks);
    }

    private static string Excerpt(string text) =>
        text.Length <= 40 ? $"'{text}'" : $"'{text[..40]}…' ({text.Length} characters)";

    private (long Line, string[] Fields)? Next()
    {
        try
        {
            if (!_parser.Read())
            {
                return null;
            }

            string[] fields = _parser.Record ?? [];
            long line = StartLine(_parser.RawRow, _parser.RawRecord);
            _lastLine = _parser.RawRow;
            _input.RecordEnded();
            if (fields.Length > _options.MaxFields)
            {
                throw new CsvFormatException(line, null, $"the record has {fields.Length} fields, more than the limit of {_options.MaxFields}") { Offset = _parser.CharCount };
            }

            if (ColumnCount > 0 && fields.Length != ColumnCount)
            {
                throw new CsvFormatException(line, Math.Min(fields.Length, ColumnCount) + 1,
                    $"the record has {fields.Length} fields, the {(_options.HasHeader ? "header" : "first record")} {ColumnCount}") { Offset = _parser.CharCount };
            }

            return (line, fields);
        }
        catch (MaxFieldSizeException e)
        {
            long line = Math.Max(1, e.Context?.Parser?.RawRow ?? 0);
            throw new CsvFormatException(line, null, $"a field is longer than the limit of {_options.MaxFieldChars} characters", e) { Offset = e.Context?.Parser?.CharCount };
        }
        catch (CsvHelperException e)
        {
            // Other parser failures; CsvHelper's own message, without its exception's name.
            long line = Math.Max(1, e.Context?.Parser?.RawRow ?? 0);
            string message = FirstLine(e.Message);
            throw new CsvFormatException(line, null, message.StartsWith("Exception of type", StringComparison.Ordinal) ? "cannot parse the record" : $"cannot parse the record: {message}", e) { Offset = e.Context?.Parser?.CharCount };
        }
    }

    private static string FirstLine(string message)
    {
        int end = message.AsSpan().IndexOfAny('\r', '\n');
        return end < 0 ? message : message[..end];
    }

    private static string[] HeaderNames((long Line, string[] Fields) header)
    {
        var names = new string[header.Fields.Length];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = header.Fields[i].Length == 0 ? string.Create(CultureInfo.InvariantCulture, $"f{i}") : header.Fields[i];
            if (!seen.Add(names[i]))
            {
                throw new CsvFormatException(header.Line, i + 1, $"the header names column '{names[i]}' twice");
            }
        }

        return names;
    }

    private Schema BuildSchema(string[] names)
    {
        var overrides = _options.SchemaOverride ?? [];
        foreach (var field in overrides)
        {
            if (Array.IndexOf(names, field.Name) < 0)
            {
                throw new CsvFormatException($"the schema names column '{field.Name}', which the input does not have (columns: {string.Join(", ", names)})");
            }

            // Rejects types a CSV field cannot hold before any row is read.
            if (!CanParse(field.Type))
            {
                throw new CsvFormatException($"column '{field.Name}': CSV values cannot be read as {field.Type}");
            }
        }

        var fields = new Field[names.Length];
        for (int c = 0; c < names.Length; c++)
        {
            var given = overrides.FirstOrDefault(f => f.Name == names[c]);
            if (given is null)
            {
                _inferred.Add(c);
            }

            fields[c] = new Field(names[c], given?.Type ?? Infer(c));
        }

        return new Schema(fields);
    }

    private static bool CanParse(ArrowType type)
    {
        try
        {
            _ = CsvValues.TryParse(type, "0", out _);
            return true;
        }
        catch (NotSupportedException)
        {
            return false;
        }
    }

    private ArrowType Infer(int column)
    {
        var candidates = new List<ArrowType>(CsvValues.InferenceCandidates);
        bool any = false;
        foreach (var (_, fields) in _sample)
        {
            string text = fields[column];
            if (text.Length == 0)
            {
                continue;
            }

            any = true;
            // Digits beyond int64 are not silently rounded into a double: such a column is text.
            bool hugeInteger = CsvValues.LooksInteger(text) && !long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
            candidates.RemoveAll(t => (hugeInteger && t.Id == ArrowTypeId.Float64) || !CsvValues.TryParse(t, text, out _));
            if (candidates.Count == 0)
            {
                break;
            }
        }

        return any && candidates.Count > 0 ? candidates[0] : ArrowType.Utf8;
    }

    private void Append((long Line, string[] Fields) row)
    {
        for (int c = 0; c < _builders.Length; c++)
        {
            string text = row.Fields[c];
            if (text.Length == 0)
            {
                _builders[c].AppendNull();
                continue;
            }

            var type = Schema.Fields[c].Type;
            if (!CsvValues.TryParse(type, text, out object? value))
            {
                throw new CsvFormatException(row.Line, c + 1, $"{Excerpt(text)} is not a valid {CsvSchemaSpec.FormatType(type)} for column '{Schema.Fields[c].Name}'" + Hint(c));
            }

            _builders[c].Append(value);
        }
    }

    private string Hint(int column) => _inferred.Contains(column)
        ? $" (the type was inferred from the first {_inferredFrom} rows; give the column's type in a schema, e.g. '{Schema.Fields[column].Name}:utf8', or infer from more rows)"
        : " (the type was given in the schema)";
}

/// <summary>
/// The text a <see cref="CsvParser"/> reads, counted from the end of the last record (which the
/// reader is told): once more than a record's limit has been read without a record ending, the
/// read fails, so an endless record or header costs at most the limit and the parser's buffer.
/// </summary>
internal sealed class RecordBoundedReader(TextReader inner, int maxRecordChars, bool leaveOpen, Func<long> currentLine) : TextReader
{
    private const int ReadAheadSlack = 256 << 10;
    private long _sinceRecordEnd;

    /// <summary>A record ended: its characters no longer count.</summary>
    public void RecordEnded() => _sinceRecordEnd = 0;

    public override int Read(char[] buffer, int index, int count) => Counted(inner.Read(buffer, index, count));

    public override int Read(Span<char> buffer) => Counted(inner.Read(buffer));

    public override int Read()
    {
        int c = inner.Read();
        Counted(c < 0 ? 0 : 1);
        return c;
    }

    public override int Peek() => inner.Peek();

    public override async ValueTask<int> ReadAsync(Memory<char> buffer, CancellationToken cancellationToken = default) =>
        Counted(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(char[] buffer, int index, int count) => ReadAsync(buffer.AsMemory(index, count)).AsTask();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !leaveOpen)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private int Counted(int read)
    {
        _sinceRecordEnd += read;
        // The parser reads ahead a buffer at a time, so a record that ends within the limit may be
        // counted with some of the next: the slack covers that read-ahead.
        if (_sinceRecordEnd > (long)maxRecordChars + ReadAheadSlack)
        {
            throw new CsvFormatException(currentLine(), null, $"a record is longer than the limit of {maxRecordChars} characters");
        }

        return read;
    }
}
