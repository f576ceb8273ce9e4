using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Metadata;

/// <summary>Which member of the <c>ColumnOrder</c> union is set; numbers are the union field ids.</summary>
public enum ColumnOrderKind
{
    /// <summary>A member this build does not know; statistics should be ignored.</summary>
    Unrecognized = 0,
    /// <summary>TYPE_ORDER (TypeDefinedOrder).</summary>
    TypeDefined = 1,
    /// <summary>IEEE_754_TOTAL_ORDER.</summary>
    Ieee754TotalOrder = 2,
    /// <summary>INT96_TIMESTAMP_ORDER.</summary>
    Int96TimestampOrder = 3,
}

/// <summary>The sort order of a leaf column's statistics (parquet.thrift union <c>ColumnOrder</c>).</summary>
public sealed class ColumnOrder : IThriftStruct
{
    /// <summary>The member that is set.</summary>
    public ColumnOrderKind Kind { get; set; } = ColumnOrderKind.TypeDefined;
    /// <summary>For <see cref="ColumnOrderKind.Unrecognized"/>: the union field id that was read.</summary>
    public short UnrecognizedFieldId { get; set; }

    /// <summary>Reads the union.</summary>
    public static ColumnOrder Read(ref ThriftCompactReader reader)
    {
        var o = new ColumnOrder { Kind = ColumnOrderKind.Unrecognized };
        bool any = false;
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            if (any)
            {
                throw new ParquetFormatException("thrift: ColumnOrder union has more than one member set");
            }
            any = true;
            if (f.Id is >= 1 and <= 3 && f.Type == ThriftType.Struct)
            {
                o.Kind = (ColumnOrderKind)f.Id;
            }
            else
            {
                o.UnrecognizedFieldId = f.Id;
            }
            reader.Skip(f.Type);
        }
        reader.EndStruct(saved);
        return any ? o : throw new ParquetFormatException("thrift: ColumnOrder union has no member set");
    }

    /// <inheritdoc/>
    public void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.EmptyStruct(Kind == ColumnOrderKind.Unrecognized ? UnrecognizedFieldId : (short)Kind);
        writer.EndStruct();
    }
}
