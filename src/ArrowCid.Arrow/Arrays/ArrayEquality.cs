using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Arrays;

/// <summary>How floating-point slots are compared by <see cref="ArrayEquality"/>.</summary>
public enum FloatComparison
{
    /// <summary>Bit for bit, except that every NaN equals every other NaN.</summary>
    Bitwise,

    /// <summary>
    /// For data that went through decimal text (integration JSON): values are equal when they are
    /// equal after rounding both to float32 (so +0 equals -0); NaNs are equal to each other.
    /// </summary>
    RoundToSingle,
}

/// <summary>
/// Logical equality of arrays and record batches: two arrays are equal when every slot holds the
/// same value, however the bytes are laid out. Offsets, padding, values under null slots, an
/// all-valid bitmap versus none, var-width and view buffer layouts, list child data outside the
/// referenced ranges, dense-union offsets, run boundaries of run-end encoding and dictionary
/// indices (compared by the values they decode to) are all ignored.
/// </summary>
public static class ArrayEquality
{
    /// <summary>Whether two arrays are logically equal (floats bitwise, NaNs equal).</summary>
    /// <param name="a">First array.</param>
    /// <param name="b">Second array.</param>
    /// <param name="difference">When not equal, the first difference, e.g. <c>slot 5/child 0 'item' slot 9: 3 != 4</c>.</param>
    public static bool Equals(ArrayData a, ArrayData b, out string? difference) =>
        Equals(a, b, FloatComparison.Bitwise, out difference);

    /// <summary>Whether two arrays are logically equal, comparing floats as <paramref name="floats"/> says.</summary>
    /// <param name="a">First array.</param>
    /// <param name="b">Second array.</param>
    /// <param name="floats">How floating-point values compare.</param>
    /// <param name="difference">When not equal, the first difference.</param>
    public static bool Equals(ArrayData a, ArrayData b, FloatComparison floats, out string? difference)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        difference = new ArrayEqualityWalker(floats).CompareArrays(a, b);
        return difference is null;
    }

    /// <summary>Whether two batches have equal schemas, row counts and logically equal columns (floats bitwise, NaNs equal).</summary>
    /// <param name="a">First batch.</param>
    /// <param name="b">Second batch.</param>
    /// <param name="difference">When not equal, the first difference, e.g. <c>column 'x' (1) slot 5: 3 != 4</c>.</param>
    public static bool Equals(RecordBatch a, RecordBatch b, out string? difference) =>
        Equals(a, b, FloatComparison.Bitwise, out difference);

    /// <summary>Whether two batches are equal, comparing floats as <paramref name="floats"/> says.</summary>
    /// <param name="a">First batch.</param>
    /// <param name="b">Second batch.</param>
    /// <param name="floats">How floating-point values compare.</param>
    /// <param name="difference">When not equal, the first difference.</param>
    public static bool Equals(RecordBatch a, RecordBatch b, FloatComparison floats, out string? difference)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        difference = SchemaDifference(a.Schema, b.Schema);
        if (difference is not null)
        {
            return false;
        }

        if (a.Length != b.Length)
        {
            difference = $"rows {a.Length} != {b.Length}";
            return false;
        }

        var walker = new ArrayEqualityWalker(floats);
        for (int i = 0; i < a.Columns.Length; i++)
        {
            string? d = walker.CompareArrays(a.Columns[i], b.Columns[i]);
            if (d is not null)
            {
                difference = $"column '{a.Schema.Fields[i].Name}' ({i}) {d}";
                return false;
            }
        }

        return true;
    }

    /// <summary>Null when the schemas are equal (<see cref="Schema.Equals(Schema)"/>), else the first field or metadata that differs.</summary>
    /// <param name="a">First schema.</param>
    /// <param name="b">Second schema.</param>
    public static string? SchemaDifference(Schema a, Schema b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Equals(b))
        {
            return null;
        }

        if (a.Fields.Length != b.Fields.Length)
        {
            return $"schema: {a.Fields.Length} fields != {b.Fields.Length}";
        }

        for (int i = 0; i < a.Fields.Length; i++)
        {
            if (!a.Fields[i].Equals(b.Fields[i]))
            {
                return $"schema: field {i}: {Describe(a.Fields[i])} != {Describe(b.Fields[i])}";
            }
        }

        return "schema: metadata differs";
    }

    private static string Describe(Field f)
    {
        string meta = f.Metadata.IsEmpty ? string.Empty : " {" + string.Join(", ", f.Metadata.Select(kv => $"{kv.Key}={kv.Value}")) + "}";
        return f + meta;
    }
}
