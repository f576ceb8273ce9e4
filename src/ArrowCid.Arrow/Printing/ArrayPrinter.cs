using System.Text;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;

namespace ArrowCid.Arrow.Printing;

/// <summary>
/// Human-readable text of arrays and batches, and natural CLR values of slots. Inputs are
/// expected to be valid (see <c>ArrayValidator</c>); nothing here re-checks bounds.
/// </summary>
public static class ArrayPrinter
{
    /// <summary>
    /// The batch as an aligned text table: a header row of <c>name: type</c>, a rule, then one row
    /// per record (at most <paramref name="limit"/>, followed by a line counting the rest). Line
    /// breaks and tabs inside values are escaped so rows stay on one line.
    /// </summary>
    public static string Format(RecordBatch batch, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (limit is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "limit must not be negative");
        }

        var fields = batch.Schema.Fields;
        if (fields.IsEmpty)
        {
            return $"({batch.Length} rows, no columns)\n";
        }

        int rows = Math.Min(batch.Length, limit ?? batch.Length);
        var table = new string[rows + 1][];
        table[0] = [.. fields.Select(f => $"{f.Name}: {f.Type}")];
        for (int r = 0; r < rows; r++)
        {
            table[r + 1] = [.. batch.Columns.Select(c => EscapeCell(FormatValue(c, r)))];
        }

        var widths = Enumerable.Range(0, fields.Length).Select(c => table.Max(row => row[c].Length)).ToArray();
        var sb = new StringBuilder();
        AppendRow(sb, table[0], widths);
        sb.AppendJoin("-+-", widths.Select(w => new string('-', w))).Append('\n');
        for (int r = 1; r <= rows; r++)
        {
            AppendRow(sb, table[r], widths);
        }

        if (rows < batch.Length)
        {
            int more = batch.Length - rows;
            sb.Append("… ").Append(more).Append(more == 1 ? " more row\n" : " more rows\n");
        }

        return sb.ToString();
    }

    /// <summary>
    /// Slot <paramref name="index"/> as text: <c>null</c>; numbers invariant; decimals with their scale
    /// (<c>-12.34</c>); strings as they are; binary as lower-case hex; dates <c>2024-01-31</c>; times
    /// <c>13:45:00.250</c>; timestamps ISO-8601 in their zone (<c>…Z</c>, <c>…+05:30</c>, none without
    /// a zone); durations with their unit (<c>1500ms</c>); intervals <c>14M</c>, <c>3d250ms</c>,
    /// <c>1M2d3ns</c>; lists <c>[1, 2, null]</c>; structs <c>{a: 1, b: x}</c>; maps <c>{k1: v1}</c>;
    /// unions, dictionaries and run-end encoded arrays as the value they stand for.
    /// </summary>
    public static string FormatValue(ArrayData array, int index)
    {
        ArgumentNullException.ThrowIfNull(array);
        CheckIndex(array, index);
        var sb = new StringBuilder();
        ValueText.Append(sb, array, index);
        return sb.ToString();
    }

    /// <summary>
    /// Slot <paramref name="index"/> as a natural CLR value: null; bool; the integer or float type of the
    /// column (Half for float16); <see cref="decimal"/> (or <see cref="ArrowDecimal"/> when decimal cannot
    /// hold it exactly); DateOnly for dates; TimeOnly for times; DateTimeOffset (UTC) for zoned and
    /// DateTime for zone-less timestamps; TimeSpan for durations (temporal values outside the CLR's
    /// range come back as their raw integer); int months, <see cref="DayTimeInterval"/>,
    /// <see cref="MonthDayNanoInterval"/>; string; byte[]; object?[] for lists; a
    /// Dictionary&lt;string, object?&gt; for structs (object?[] when member names repeat);
    /// List&lt;KeyValuePair&lt;object?, object?&gt;&gt; for maps; the selected member's value for unions;
    /// the decoded value for dictionary and run-end encoded arrays.
    /// </summary>
    public static object? GetValue(ArrayData array, int index)
    {
        ArgumentNullException.ThrowIfNull(array);
        CheckIndex(array, index);
        return ValueReader.Get(array, index);
    }

    private static void CheckIndex(ArrayData array, int index)
    {
        if ((uint)index >= (uint)array.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"index is outside an array of {array.Length} slots");
        }
    }

    private static void AppendRow(StringBuilder sb, string[] cells, int[] widths)
    {
        var line = new StringBuilder();
        for (int c = 0; c < cells.Length; c++)
        {
            if (c > 0)
            {
                line.Append(" | ");
            }

            line.Append(cells[c].PadRight(widths[c]));
        }

        sb.Append(line.ToString().TrimEnd()).Append('\n');
    }

    private static string EscapeCell(string text) =>
        text.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);
}
