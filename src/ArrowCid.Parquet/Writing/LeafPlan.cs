using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Writing;

/// <summary>How one Arrow slot becomes one Parquet physical value.</summary>
internal enum ValueConversion
{
    /// <summary>BOOLEAN from a bit.</summary>
    Boolean,
    /// <summary>The slot's low (up to 8) little-endian bytes sign-extended, times <see cref="LeafPlan.Multiplier"/>.</summary>
    SignedInteger,
    /// <summary>The slot's little-endian bytes zero-extended (the bit pattern is kept in INT32/INT64).</summary>
    UnsignedInteger,
    /// <summary>date64 milliseconds to DATE days (floor).</summary>
    Date64ToDays,
    /// <summary>The slot's bytes as they are (FLOAT, DOUBLE, float16, fixed-size binary, uuid).</summary>
    RawSlot,
    /// <summary>A decimal's low bytes in big-endian two's complement (FIXED_LEN_BYTE_ARRAY).</summary>
    BigEndianDecimal,
    /// <summary>Variable-length bytes (BYTE_ARRAY).</summary>
    Bytes,
    /// <summary>Arrow null: every slot is null, nothing is ever converted.</summary>
    AlwaysNull,
}

/// <summary>One leaf column of the file being written: where it sits and how its values are made.</summary>
internal sealed class LeafPlan
{
    /// <summary>Nodes from the top-level field down to this leaf.</summary>
    public required IReadOnlyList<ShredNode> Chain { get; init; }

    /// <summary>The leaf's schema element.</summary>
    public required SchemaElement Element { get; init; }

    /// <summary>Dotted Parquet path (<c>path_in_schema</c> joined).</summary>
    public required IReadOnlyList<string> Path { get; init; }

    public required ValueConversion Conversion { get; init; }

    /// <summary>Scale for <see cref="ValueConversion.SignedInteger"/> (seconds to milliseconds: 1000).</summary>
    public long Multiplier { get; init; } = 1;

    /// <summary>How min/max statistics compare this column's values.</summary>
    public required StatisticsOrder Order { get; init; }

    /// <summary>Highest definition level.</summary>
    public required int MaxDefinitionLevel { get; init; }

    /// <summary>Highest repetition level.</summary>
    public required int MaxRepetitionLevel { get; init; }

    public PhysicalType PhysicalType => Element.Type!.Value;

    /// <summary>Bytes per value of a fixed-width physical type (BOOLEAN 1), 0 for BYTE_ARRAY.</summary>
    public int Width => PhysicalType switch
    {
        PhysicalType.Boolean => 1,
        PhysicalType.Int32 or PhysicalType.Float => 4,
        PhysicalType.Int64 or PhysicalType.Double => 8,
        PhysicalType.FixedLenByteArray => Element.TypeLength!.Value,
        _ => 0,
    };

    public string DottedPath => string.Join('.', Path);
}
