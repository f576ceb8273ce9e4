using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Metadata;

/// <summary>Description of one column chunk (parquet.thrift <c>ColumnMetaData</c>).</summary>
public sealed class ColumnMetaData : IThriftStruct
{
    /// <summary>1: physical type.</summary>
    public PhysicalType Type { get; set; }
    /// <summary>2: encodings used (some writers leave it empty; page headers are authoritative).</summary>
    public IReadOnlyList<Encoding> Encodings { get; set; } = [];
    /// <summary>3: path of the leaf in the schema.</summary>
    public IReadOnlyList<string> PathInSchema { get; set; } = [];
    /// <summary>4: compression of the pages.</summary>
    public CompressionCodec Codec { get; set; }
    /// <summary>5: values in the chunk, nulls included.</summary>
    public long NumValues { get; set; }
    /// <summary>6: uncompressed bytes of all pages, headers included.</summary>
    public long TotalUncompressedSize { get; set; }
    /// <summary>7: bytes of all pages on disk, headers included.</summary>
    public long TotalCompressedSize { get; set; }
    /// <summary>8: key/value metadata.</summary>
    public IReadOnlyList<KeyValue>? KeyValueMetadata { get; set; }
    /// <summary>9: file offset of the first data page.</summary>
    public long DataPageOffset { get; set; }
    /// <summary>10: file offset of the index page.</summary>
    public long? IndexPageOffset { get; set; }
    /// <summary>11: file offset of the dictionary page.</summary>
    public long? DictionaryPageOffset { get; set; }
    /// <summary>12: chunk statistics.</summary>
    public Statistics? Statistics { get; set; }
    /// <summary>13: page counts per page type and encoding.</summary>
    public IReadOnlyList<PageEncodingStats>? EncodingStats { get; set; }
    /// <summary>14: file offset of the bloom filter.</summary>
    public long? BloomFilterOffset { get; set; }
    /// <summary>15: length of the bloom filter.</summary>
    public int? BloomFilterLength { get; set; }

    /// <summary>Reads the struct; unknown fields are skipped.</summary>
    public static ColumnMetaData Read(ref ThriftCompactReader reader)
    {
        var m = new ColumnMetaData();
        int seen = 0;
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            switch (f.Id)
            {
                case 1 when f.Type == ThriftType.I32: m.Type = (PhysicalType)reader.ReadI32(); seen |= 1; break;
                case 2 when f.Type == ThriftType.List:
                    m.Encodings = ThriftFields.ReadList(ref reader, ThriftType.I32, static (ref ThriftCompactReader r) => (Encoding)r.ReadI32(), "ColumnMetaData.encodings");
                    break;
                case 3 when f.Type == ThriftType.List: m.PathInSchema = ThriftFields.ReadStringList(ref reader, "ColumnMetaData.path_in_schema"); seen |= 2; break;
                case 4 when f.Type == ThriftType.I32: m.Codec = (CompressionCodec)reader.ReadI32(); seen |= 4; break;
                case 5 when f.Type == ThriftType.I64: m.NumValues = reader.ReadI64(); seen |= 8; break;
                case 6 when f.Type == ThriftType.I64: m.TotalUncompressedSize = reader.ReadI64(); break;
                case 7 when f.Type == ThriftType.I64: m.TotalCompressedSize = reader.ReadI64(); seen |= 16; break;
                case 8 when f.Type == ThriftType.List:
                    m.KeyValueMetadata = ThriftFields.ReadList(ref reader, ThriftType.Struct, KeyValue.Read, "ColumnMetaData.key_value_metadata");
                    break;
                case 9 when f.Type == ThriftType.I64: m.DataPageOffset = reader.ReadI64(); seen |= 32; break;
                case 10 when f.Type == ThriftType.I64: m.IndexPageOffset = reader.ReadI64(); break;
                case 11 when f.Type == ThriftType.I64: m.DictionaryPageOffset = reader.ReadI64(); break;
                case 12 when f.Type == ThriftType.Struct: m.Statistics = Metadata.Statistics.Read(ref reader); break;
                case 13 when f.Type == ThriftType.List:
                    m.EncodingStats = ThriftFields.ReadList(ref reader, ThriftType.Struct, PageEncodingStats.Read, "ColumnMetaData.encoding_stats");
                    break;
                case 14 when f.Type == ThriftType.I64: m.BloomFilterOffset = reader.ReadI64(); break;
                case 15 when f.Type == ThriftType.I32: m.BloomFilterLength = reader.ReadI32(); break;
                default: reader.Skip(f.Type); break;
            }
        }
        reader.EndStruct(saved);
        return seen == 63 ? m : throw ThriftFields.Missing("ColumnMetaData.type/path_in_schema/codec/num_values/total_compressed_size/data_page_offset");
    }

    /// <inheritdoc/>
    public void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.I32(1, (int)Type);
        writer.List(2, ThriftType.I32, Encodings, static (w, e) => w.WriteI32((int)e));
        writer.List(3, ThriftType.Binary, PathInSchema, static (w, s) => w.WriteString(s));
        writer.I32(4, (int)Codec);
        writer.I64(5, NumValues);
        writer.I64(6, TotalUncompressedSize);
        writer.I64(7, TotalCompressedSize);
        writer.StructList(8, KeyValueMetadata);
        writer.I64(9, DataPageOffset);
        writer.I64(10, IndexPageOffset);
        writer.I64(11, DictionaryPageOffset);
        writer.Struct(12, Statistics);
        writer.StructList(13, EncodingStats);
        writer.I64(14, BloomFilterOffset);
        writer.I32(15, BloomFilterLength);
        writer.EndStruct();
    }
}
