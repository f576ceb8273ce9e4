using System.Buffers;
using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Metadata;

/// <summary>The footer of a Parquet file (parquet.thrift <c>FileMetaData</c>).</summary>
public sealed class FileMetaData : IThriftStruct
{
    /// <summary>1: format version (1 or 2).</summary>
    public int Version { get; set; }
    /// <summary>2: the schema, flattened depth-first; the first element is the root.</summary>
    public IReadOnlyList<SchemaElement> Schema { get; set; } = [];
    /// <summary>3: rows in the file.</summary>
    public long NumRows { get; set; }
    /// <summary>4: the row groups.</summary>
    public IReadOnlyList<RowGroup> RowGroups { get; set; } = [];
    /// <summary>5: key/value metadata.</summary>
    public IReadOnlyList<KeyValue>? KeyValueMetadata { get; set; }
    /// <summary>6: the writing application.</summary>
    public string? CreatedBy { get; set; }
    /// <summary>7: sort order of each leaf column's statistics.</summary>
    public IReadOnlyList<ColumnOrder>? ColumnOrders { get; set; }

    /// <summary>Parses a footer that fills <paramref name="footer"/> exactly.</summary>
    public static FileMetaData Parse(ReadOnlySpan<byte> footer)
    {
        var reader = new ThriftCompactReader(footer);
        FileMetaData metadata = Read(ref reader);
        return reader.Remaining == 0
            ? metadata
            : throw new ParquetFormatException($"footer: {reader.Remaining} bytes follow the FileMetaData struct");
    }

    /// <summary>Reads the struct; unknown fields (encryption among them) are skipped.</summary>
    public static FileMetaData Read(ref ThriftCompactReader reader)
    {
        var m = new FileMetaData();
        int seen = 0;
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            switch (f.Id)
            {
                case 1 when f.Type == ThriftType.I32: m.Version = reader.ReadI32(); seen |= 1; break;
                case 2 when f.Type == ThriftType.List:
                    m.Schema = ThriftFields.ReadList(ref reader, ThriftType.Struct, SchemaElement.Read, "FileMetaData.schema");
                    seen |= 2;
                    break;
                case 3 when f.Type == ThriftType.I64: m.NumRows = reader.ReadI64(); seen |= 4; break;
                case 4 when f.Type == ThriftType.List:
                    m.RowGroups = ThriftFields.ReadList(ref reader, ThriftType.Struct, RowGroup.Read, "FileMetaData.row_groups");
                    seen |= 8;
                    break;
                case 5 when f.Type == ThriftType.List:
                    m.KeyValueMetadata = ThriftFields.ReadList(ref reader, ThriftType.Struct, KeyValue.Read, "FileMetaData.key_value_metadata");
                    break;
                case 6 when f.Type == ThriftType.Binary: m.CreatedBy = reader.ReadString(); break;
                case 7 when f.Type == ThriftType.List:
                    m.ColumnOrders = ThriftFields.ReadList(ref reader, ThriftType.Struct, ColumnOrder.Read, "FileMetaData.column_orders");
                    break;
                default: reader.Skip(f.Type); break;
            }
        }
        reader.EndStruct(saved);
        return seen == 15 ? m : throw ThriftFields.Missing("FileMetaData.version/schema/num_rows/row_groups");
    }

    /// <inheritdoc/>
    public void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.I32(1, Version);
        writer.StructList(2, Schema);
        writer.I64(3, NumRows);
        writer.StructList(4, RowGroups);
        writer.StructList(5, KeyValueMetadata);
        writer.String(6, CreatedBy);
        writer.StructList(7, ColumnOrders);
        writer.EndStruct();
    }

    /// <summary>Serialises the footer struct to a new array.</summary>
    public byte[] ToBytes()
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(new ThriftCompactWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }
}
