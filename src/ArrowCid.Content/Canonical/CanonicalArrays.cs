using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Content.Canonical;

/// <summary>
/// Brings record batches and arrays into canonical shape (docs/canonical-form.md): logically
/// equal input gives physically identical output, so the canonical IPC bytes, and hence the CID,
/// depend only on the logical batch. Input that is already canonical is returned as it is, the
/// same instances, without copying a buffer.
/// </summary>
/// <remarks>
/// The result may share buffers with the input (only what differs is rebuilt), so keep the input,
/// and any lease it holds, alive while the result is used. A new result batch borrows the input's
/// memory (<see cref="RecordBatch.Borrowing"/>): it holds no reference of its own, and carries the
/// input's shared owner, if any, for a consumer that keeps it longer.
/// </remarks>
public static class CanonicalArrays
{
    /// <summary>The canonical form of <paramref name="batch"/>: the same instance when it already is canonical.</summary>
    /// <param name="batch">Any valid batch.</param>
    /// <returns>A logically equal batch in canonical shape.</returns>
    public static RecordBatch Normalize(RecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var schema = MetadataOrder.Sort(batch.Schema);
        bool same = ReferenceEquals(schema, batch.Schema);
        if (same && AllPlainFixedWidth(batch))
        {
            return batch;
        }

        var columns = new ArrayData[batch.Columns.Length];
        for (int i = 0; i < columns.Length; i++)
        {
            columns[i] = Normalize(batch.Columns[i]);
            same &= ReferenceEquals(columns[i], batch.Columns[i]);
        }

        if (same)
        {
            return batch;
        }

        // Unchanged buffers are shared with the input, which the caller keeps alive.
        return RecordBatch.Borrowing(schema, batch.Length, columns, batch.Owner);
    }

    // The common small publish, decided without building a selection and drafts per column (which
    // the full normaliser would, to return the same instance): every column integers (or dates,
    // times, timestamps, durations) at offset 0, no validity bitmap and no nulls, the values buffer
    // exactly as long as its slots. Such a column is canonical as it is (only floats' values and
    // bitmaps, padding and offsets ever change); anything else takes the full path.
    private static bool AllPlainFixedWidth(RecordBatch batch)
    {
        foreach (var column in batch.Columns)
        {
            if (column.Offset != 0 || column.NullCount != 0 || column.Buffers.Length != 2 || !column.Buffers[0].IsEmpty
                || column.Children.Length != 0 || column.Dictionary is not null)
            {
                return false;
            }

            var type = column.Type.PhysicalType;
            bool integers = type.Id is >= ArrowTypeId.Int8 and <= ArrowTypeId.UInt64
                or ArrowTypeId.Date32 or ArrowTypeId.Date64 or ArrowTypeId.Time32 or ArrowTypeId.Time64 or ArrowTypeId.Timestamp or ArrowTypeId.Duration;
            if (!integers || column.Buffers[1].Length != (long)column.Length * (type.BitWidth / 8))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The canonical form of one array: the same instance when it already is canonical.</summary>
    /// <param name="array">Any valid array.</param>
    /// <returns>A logically equal array in canonical shape, offset 0.</returns>
    public static ArrayData Normalize(ArrayData array)
    {
        ArgumentNullException.ThrowIfNull(array);
        return ArrayNormalizer.Normalize(array, SlotSelection.Range(0, array.Length));
    }

    /// <summary>The schema with its and its fields' custom metadata in canonical order.</summary>
    /// <param name="schema">Any schema.</param>
    /// <returns>The same instance when already in order.</returns>
    public static Schema Normalize(Schema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return MetadataOrder.Sort(schema);
    }

    /// <summary>Whether <paramref name="batch"/> is already in canonical shape (an O(n) scan; nothing is copied when it is).</summary>
    /// <param name="batch">Any valid batch.</param>
    /// <returns>True when <see cref="Normalize(RecordBatch)"/> would return it unchanged.</returns>
    public static bool IsCanonical(RecordBatch batch) => ReferenceEquals(Normalize(batch), batch);
}
