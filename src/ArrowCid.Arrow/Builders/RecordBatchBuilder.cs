using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Builders;

/// <summary>Builds a record batch row by row: one <see cref="ArrayBuilder"/> per field of the schema.</summary>
public sealed class RecordBatchBuilder
{
    private readonly ArrayBuilder[] _columns;

    /// <summary>Creates a builder for batches of <paramref name="schema"/>.</summary>
    public RecordBatchBuilder(Schema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        Schema = schema;
        _columns = [.. schema.Fields.Select(f => ArrayBuilder.Create(f.Type))];
    }

    /// <summary>The schema of the batches built.</summary>
    public Schema Schema { get; }

    /// <summary>Rows appended since the last <see cref="Build"/>.</summary>
    public int Length { get; private set; }

    /// <summary>The builder of column <paramref name="index"/>, for appending column-wise (keep all columns at the same length).</summary>
    public ArrayBuilder Column(int index) => _columns[index];

    /// <summary>Appends one row: one value per field, in field order.</summary>
    public void AppendRow(params object?[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != _columns.Length)
        {
            throw new ArgumentException($"a row of this schema has {_columns.Length} values, got {values.Length}", nameof(values));
        }

        for (int i = 0; i < values.Length; i++)
        {
            _columns[i].Append(values[i]);
        }

        Length++;
    }

    /// <summary>Returns the batch of the rows appended so far and empties the builder.</summary>
    public RecordBatch Build()
    {
        var columns = _columns.Select(c => c.Build()).ToList();
        int length = columns.Count > 0 ? columns[0].Length : Length;
        Length = 0;
        return new RecordBatch(Schema, length, columns);
    }
}
