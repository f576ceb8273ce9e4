using System.Collections.Immutable;

namespace ArrowCid.Arrow.Types;

/// <summary>What one buffer of an array holds (Columnar.rst, "Buffer Listing for Each Layout").</summary>
public enum BufferKind
{
    /// <summary>Validity bitmap: bit i set when slot i is valid. May be absent (all valid).</summary>
    Validity,
    /// <summary>Bit-packed values (Boolean).</summary>
    Bits,
    /// <summary>Fixed-width values; <see cref="TypeLayout.ValueBitWidth"/> bits each.</summary>
    FixedWidth,
    /// <summary>length+1 int32 offsets into a data buffer or child.</summary>
    Offsets32,
    /// <summary>length+1 int64 offsets into a data buffer or child.</summary>
    Offsets64,
    /// <summary>Variable-length bytes addressed by offsets.</summary>
    Data,
    /// <summary>16-byte views (length, prefix, buffer index, offset) of binary/utf8 view types.</summary>
    Views,
    /// <summary>length int32 sizes of a list view.</summary>
    Sizes32,
    /// <summary>length int64 sizes of a large list view.</summary>
    Sizes64,
    /// <summary>length int8 union type codes.</summary>
    TypeIds,
    /// <summary>length int32 offsets of a dense union into the selected child.</summary>
    UnionOffsets,
}

/// <summary>
/// The physical layout of a type: the fixed list of buffers in IPC order, whether children and a
/// dictionary follow, and whether variadic data buffers follow (view types). Every part that
/// walks buffers (IPC, validation, canonical form, C Data Interface, equality) reads this one table
/// instead of switching on types itself.
/// </summary>
public sealed class TypeLayout
{
    private TypeLayout(ImmutableArray<BufferKind> buffers, int valueBitWidth = 0, bool variadic = false)
    {
        Buffers = buffers;
        ValueBitWidth = valueBitWidth;
        HasVariadicBuffers = variadic;
    }

    /// <summary>The fixed buffers, in IPC order.</summary>
    public ImmutableArray<BufferKind> Buffers { get; }

    /// <summary>Bits per value of a <see cref="BufferKind.FixedWidth"/> buffer.</summary>
    public int ValueBitWidth { get; }

    /// <summary>View types: any number of variadic data buffers follow the fixed ones.</summary>
    public bool HasVariadicBuffers { get; }

    /// <summary>Whether buffer 0 is a validity bitmap.</summary>
    public bool HasValidity => Buffers.Length > 0 && Buffers[0] == BufferKind.Validity;

    private static readonly TypeLayout NoBuffers = new([]);
    private static readonly TypeLayout ValidityOnly = new([BufferKind.Validity]);
    private static readonly TypeLayout Bits = new([BufferKind.Validity, BufferKind.Bits], 1);
    private static readonly TypeLayout VarBinary32 = new([BufferKind.Validity, BufferKind.Offsets32, BufferKind.Data]);
    private static readonly TypeLayout VarBinary64 = new([BufferKind.Validity, BufferKind.Offsets64, BufferKind.Data]);
    private static readonly TypeLayout View = new([BufferKind.Validity, BufferKind.Views], 128, variadic: true);
    private static readonly TypeLayout List32 = new([BufferKind.Validity, BufferKind.Offsets32]);
    private static readonly TypeLayout List64 = new([BufferKind.Validity, BufferKind.Offsets64]);
    private static readonly TypeLayout ListView32 = new([BufferKind.Validity, BufferKind.Offsets32, BufferKind.Sizes32]);
    private static readonly TypeLayout ListView64 = new([BufferKind.Validity, BufferKind.Offsets64, BufferKind.Sizes64]);
    private static readonly TypeLayout Sparse = new([BufferKind.TypeIds]);
    private static readonly TypeLayout Dense = new([BufferKind.TypeIds, BufferKind.UnionOffsets]);
    private static readonly TypeLayout[] Fixed = [.. Enumerable.Range(0, 9).Select(i => new TypeLayout([BufferKind.Validity, BufferKind.FixedWidth], 8 << i))];

    /// <summary>The layout of arrays of <paramref name="type"/>.</summary>
    public static TypeLayout Of(ArrowType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var t = type.PhysicalType;
        return t.Id switch
        {
            ArrowTypeId.Null or ArrowTypeId.RunEndEncoded => NoBuffers,
            ArrowTypeId.Boolean => Bits,
            ArrowTypeId.Binary or ArrowTypeId.Utf8 => VarBinary32,
            ArrowTypeId.LargeBinary or ArrowTypeId.LargeUtf8 => VarBinary64,
            ArrowTypeId.BinaryView or ArrowTypeId.Utf8View => View,
            ArrowTypeId.List or ArrowTypeId.Map => List32,
            ArrowTypeId.LargeList => List64,
            ArrowTypeId.ListView => ListView32,
            ArrowTypeId.LargeListView => ListView64,
            ArrowTypeId.FixedSizeList or ArrowTypeId.Struct => ValidityOnly,
            ArrowTypeId.SparseUnion => Sparse,
            ArrowTypeId.DenseUnion => Dense,
            ArrowTypeId.Dictionary => Of(t.IndexType!),
            ArrowTypeId.FixedSizeBinary => new TypeLayout([BufferKind.Validity, BufferKind.FixedWidth], checked(t.ByteWidth * 8)),
            _ => FixedWidthLayout(t.BitWidth),
        };
    }

    private static TypeLayout FixedWidthLayout(int bitWidth) => bitWidth switch
    {
        8 => Fixed[0],
        16 => Fixed[1],
        32 => Fixed[2],
        64 => Fixed[3],
        128 => Fixed[4],
        256 => Fixed[5],
        _ => new TypeLayout([BufferKind.Validity, BufferKind.FixedWidth], bitWidth),
    };
}
