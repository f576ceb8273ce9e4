using System.Text;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Printing;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Ingest.Csv;

/// <summary>
/// Writes record batches as CSV (RFC 4180): a header of the field names, then one record per row,
/// <c>\n</c> line ends. A value is written as <see cref="ArrayPrinter.FormatValue"/> has it
/// (numbers round-trip, ISO 8601 dates and timestamps, hex binary, nested values in brackets); a
/// null is an empty field and an empty string <c>""</c>, so <see cref="CsvBatchReader"/> tells them
/// apart. A field holding the delimiter, a quote, a line break or leading or trailing spaces is
/// quoted, its quotes doubled. Rows are written as they come: only one row's text is held.
/// </summary>
public sealed class CsvBatchWriter
{
    private readonly TextWriter _writer;
    private readonly Schema _schema;
    private readonly char _delimiter;
    private readonly StringBuilder _row = new();
    private bool _headerWritten;

    /// <summary>A writer of rows of <paramref name="schema"/> onto <paramref name="writer"/> (not owned).</summary>
    /// <param name="writer">Where the text goes.</param>
    /// <param name="schema">The schema of every batch.</param>
    /// <param name="delimiter">The field separator (',' by default).</param>
    public CsvBatchWriter(TextWriter writer, Schema schema, char delimiter = ',')
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(schema);
        if (delimiter is '"' or '\r' or '\n')
        {
            throw new ArgumentException("the delimiter cannot be a quote or a line break", nameof(delimiter));
        }

        _writer = writer;
        _schema = schema;
        _delimiter = delimiter;
    }

    /// <summary>Writes the header if not yet written (a table of no rows is its header alone).</summary>
    public void WriteHeader()
    {
        if (_headerWritten)
        {
            return;
        }

        _headerWritten = true;
        _row.Clear();
        for (int i = 0; i < _schema.Fields.Length; i++)
        {
            AppendField(i, _schema.Fields[i].Name);
        }

        _writer.Write(_row.Append('\n'));
    }

    /// <summary>Writes every row of <paramref name="batch"/> (the header first, once).</summary>
    /// <param name="batch">A batch of the writer's schema.</param>
    /// <exception cref="ArgumentException">The batch's schema differs from the writer's.</exception>
    public void Write(RecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!batch.Schema.Equals(_schema))
        {
            throw new ArgumentException("the batch's schema differs from the writer's", nameof(batch));
        }

        WriteHeader();
        for (int row = 0; row < batch.Length; row++)
        {
            _row.Clear();
            for (int column = 0; column < batch.Columns.Length; column++)
            {
                var array = batch.Column(column);
                AppendField(column, array.IsNull(row) ? null : ArrayPrinter.FormatValue(array, row));
            }

            _writer.Write(_row.Append('\n'));
        }
    }

    private void AppendField(int column, string? value)
    {
        if (column > 0)
        {
            _row.Append(_delimiter);
        }

        if (value is null)
        {
            return;
        }

        bool quote = value.Length == 0 || value[0] == ' ' || value[^1] == ' '
            || value.AsSpan().IndexOfAny(['"', '\r', '\n', _delimiter]) >= 0;
        if (!quote)
        {
            _row.Append(value);
            return;
        }

        _row.Append('"');
        foreach (char c in value)
        {
            if (c == '"')
            {
                _row.Append('"');
            }

            _row.Append(c);
        }

        _row.Append('"');
    }
}
