using ArrowCid.Arrow.Types;
using ArrowCid.Parquet.Schema;

namespace ArrowCid.Parquet.Reading;

/// <summary>
/// One node of the Arrow tree assembled from a Parquet schema, with what inverse Dremel needs:
/// its slots are the entries of its first leaf whose repetition level is at most
/// <see cref="SlotRepetition"/> and definition level at least <see cref="SlotDefinition"/>; a
/// slot is valid when its definition level reaches <see cref="DefinitionLevel"/>.
/// </summary>
internal abstract class ReadNode
{
    public required Field Field { get; init; }

    public required int DefinitionLevel { get; init; }

    public required int SlotRepetition { get; init; }

    public required int SlotDefinition { get; init; }

    public required int FirstLeaf { get; init; }

    public bool Nullable => Field.Nullable;
}

/// <summary>A primitive column.</summary>
internal sealed class LeafReadNode : ReadNode
{
    public required SchemaNode Column { get; init; }

    public required LeafDecoding Decoding { get; init; }

    public required ParquetReadOptions Options { get; init; }
}

/// <summary>A group read as a struct.</summary>
internal sealed class StructReadNode : ReadNode
{
    public required IReadOnlyList<ReadNode> Members { get; init; }
}

/// <summary>A LIST or MAP group, or a bare repeated field: items are entries with repetition ≤ <see cref="ItemRepetition"/> and definition ≥ <see cref="ItemDefinition"/>.</summary>
internal sealed class ListReadNode : ReadNode
{
    public required int ItemRepetition { get; init; }

    public required int ItemDefinition { get; init; }

    public required ReadNode Element { get; init; }
}

/// <summary>How a leaf's physical values become Arrow slots.</summary>
internal enum LeafDecoding
{
    Null,
    Boolean,
    /// <summary>INT32 or INT64 narrowed or copied to the Arrow slot width (integers, dates, times, timestamps).</summary>
    Integer,
    /// <summary>INT32 or INT64 sign-extended into a 128- or 256-bit decimal.</summary>
    IntegerDecimal,
    /// <summary>Big-endian two's complement (FIXED_LEN_BYTE_ARRAY or BYTE_ARRAY) into a decimal.</summary>
    BigEndianDecimal,
    Int96Timestamp,
    /// <summary>FLOAT, DOUBLE, float16, fixed-size binary, uuid: bytes as they are.</summary>
    Raw,
    /// <summary>BYTE_ARRAY into binary or utf8.</summary>
    Binary,
}
