using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Metadata;

/// <summary>Page locations of a column chunk (parquet.thrift <c>OffsetIndex</c>).</summary>
public sealed class OffsetIndex : IThriftStruct
{
    /// <summary>1: one location per data page, by increasing offset.</summary>
    public IReadOnlyList<PageLocation> PageLocations { get; set; } = [];
    /// <summary>2: unencoded BYTE_ARRAY bytes per page.</summary>
    public IReadOnlyList<long>? UnencodedByteArrayDataBytes { get; set; }

    /// <summary>Reads the struct; unknown fields are skipped.</summary>
    public static OffsetIndex Read(ref ThriftCompactReader reader)
    {
        var o = new OffsetIndex();
        bool hasLocations = false;
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            switch (f.Id)
            {
                case 1 when f.Type == ThriftType.List:
                    o.PageLocations = ThriftFields.ReadList(ref reader, ThriftType.Struct, PageLocation.Read, "OffsetIndex.page_locations");
                    hasLocations = true;
                    break;
                case 2 when f.Type == ThriftType.List:
                    o.UnencodedByteArrayDataBytes = ThriftFields.ReadI64List(ref reader, "OffsetIndex.unencoded_byte_array_data_bytes");
                    break;
                default: reader.Skip(f.Type); break;
            }
        }
        reader.EndStruct(saved);
        return hasLocations ? o : throw ThriftFields.Missing("OffsetIndex.page_locations");
    }

    /// <inheritdoc/>
    public void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.StructList(1, PageLocations);
        writer.List(2, ThriftType.I64, UnencodedByteArrayDataBytes, static (w, v) => w.WriteI64(v));
        writer.EndStruct();
    }
}
