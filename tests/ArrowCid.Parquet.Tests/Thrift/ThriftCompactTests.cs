using System.Buffers;
using ArrowCid.Parquet.Metadata;
using ArrowCid.Parquet.Thrift;
using FsCheck;
using FsCheck.Fluent;

namespace ArrowCid.Parquet.Tests.Thrift;

public class ThriftCompactTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(300);

    private static byte[] Write(Action<ThriftCompactWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new ThriftCompactWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void Field_headers_use_deltas_and_fall_back_to_the_long_form()
    {
        byte[] bytes = Write(w =>
        {
            w.BeginStruct();
            w.WriteFieldHeader(1, ThriftType.I32); w.WriteI32(-1);       // 0x15, zigzag(-1) = 1
            w.WriteFieldHeader(20, ThriftType.I32); w.WriteI32(2);       // delta 19 > 15: 0x05, zigzag(20) = 40, 4
            w.WriteFieldHeader(3, ThriftType.I32); w.WriteI32(0);        // backwards: long form again
            w.WriteBoolField(4, true);                                   // delta 1, type 1 = true
            w.EndStruct();
        });
        Assert.Equal([0x15, 0x01, 0x05, 40, 4, 0x05, 6, 0, 0x11, 0x00], bytes);
        var reader = new ThriftCompactReader(bytes);
        short saved = reader.BeginStruct();
        Assert.True(reader.NextField(out ThriftField f)); Assert.Equal((1, ThriftType.I32), (f.Id, f.Type)); Assert.Equal(-1, reader.ReadI32());
        Assert.True(reader.NextField(out f)); Assert.Equal(20, f.Id); Assert.Equal(2, reader.ReadI32());
        Assert.True(reader.NextField(out f)); Assert.Equal(3, f.Id); Assert.Equal(0, reader.ReadI32());
        Assert.True(reader.NextField(out f)); Assert.Equal((4, ThriftType.Bool, true), (f.Id, f.Type, f.BoolValue));
        Assert.False(reader.NextField(out _));
        reader.EndStruct(saved);
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void Primitive_values_round_trip()
    {
        Check.One(Runs, Prop.ForAll(ArbMap.Default.ArbFor<long>(), ArbMap.Default.ArbFor<int>(), ArbMap.Default.ArbFor<double>(),
            (long l, int i, double d) =>
            {
                short s = unchecked((short)(i ^ (i >> 16)));
                byte[] bytes = Write(w => { w.WriteI64(l); w.WriteI32(i); w.WriteI16(s); w.WriteDouble(d); w.WriteByte(-5); });
                var r = new ThriftCompactReader(bytes);
                Assert.Equal(l, r.ReadI64());
                Assert.Equal(i, r.ReadI32());
                Assert.Equal(s, r.ReadI16());
                Assert.Equal(BitConverter.DoubleToInt64Bits(d), BitConverter.DoubleToInt64Bits(r.ReadDouble()));
                Assert.Equal(-5, r.ReadByte());
                Assert.Equal(0, r.Remaining);
            }));
        Check.One(Runs, Prop.ForAll(ArbMap.Default.ArbFor<string>(), (string text) =>
        {
            string s = text ?? "";
            if (System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(s)) != s)
            {
                return; // lone surrogates have no UTF-8 form
            }
            var r = new ThriftCompactReader(Write(w => w.WriteString(s)));
            Assert.Equal(s, r.ReadString());
        }));
    }

    [Fact]
    public void Unknown_fields_are_skipped_at_any_depth()
    {
        // A KeyValue from a "newer writer": extra fields of every type, nested containers, a map.
        byte[] bytes = Write(w =>
        {
            w.BeginStruct();
            w.WriteFieldHeader(1, ThriftType.Binary); w.WriteString("k");
            w.WriteFieldHeader(7, ThriftType.Struct);
            w.BeginStruct();
            w.WriteFieldHeader(1, ThriftType.List); w.WriteListHeader(ThriftType.Struct, 20);
            for (int i = 0; i < 20; i++)
            {
                w.BeginStruct(); w.WriteBoolField(3, i % 2 == 0); w.WriteFieldHeader(300, ThriftType.Double); w.WriteDouble(i); w.EndStruct();
            }
            w.WriteFieldHeader(2, ThriftType.List); w.WriteListHeader(ThriftType.BooleanTrue, 3); w.WriteBool(true); w.WriteBool(false); w.WriteBool(true);
            w.EndStruct();
            w.WriteFieldHeader(8, ThriftType.I64); w.WriteI64(long.MinValue);
            w.WriteFieldHeader(9, ThriftType.Byte); w.WriteByte(1);
            w.WriteFieldHeader(2, ThriftType.Binary); w.WriteString("v");
            w.EndStruct();
        });
        // A map field (id 10, one i32 → binary entry) spliced in before the stop byte by hand.
        byte[] withMap = [.. bytes[..^1], 0x8B, 0x01, 0x58, 0x02, 0x01, 0x61, 0x00];
        foreach (byte[] input in new[] { bytes, withMap })
        {
            var reader = new ThriftCompactReader(input);
            KeyValue kv = KeyValue.Read(ref reader);
            Assert.Equal(("k", "v"), (kv.Key, kv.Value));
            Assert.Equal(0, reader.Remaining);
        }
    }

    [Fact]
    public void Nesting_beyond_the_cap_is_rejected_not_overflowed()
    {
        // 10,000 nested structs as field 1 of one another: header 0x1C each.
        byte[] deep = [.. Enumerable.Repeat((byte)0x1C, 10_000), .. Enumerable.Repeat((byte)0, 10_001)];
        var error = Assert.Throws<ParquetFormatException>(() =>
        {
            var reader = new ThriftCompactReader(deep);
            KeyValue.Read(ref reader);
        });
        Assert.Contains("deeper", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x18, 0x0A, 0x61 })]                      // string of 10 bytes, 1 present
    [InlineData(new byte[] { 0x19, 0xF5, 0xFF, 0xFF, 0xFF, 0x0F })]    // list claims 2^32 - 1 elements
    [InlineData(new byte[] { 0x1F })]                                  // type code 15 does not exist
    [InlineData(new byte[] { 0x15, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 })] // varint too long
    [InlineData(new byte[] { 0x15, 0x80, 0x80, 0x80, 0x80, 0x20 })]    // i32 value out of range
    [InlineData(new byte[] { 0x18, 0x01, 0xFF, 0x00 })]                // string not UTF-8
    [InlineData(new byte[] { 0x18, 0x01, 0x61 })]                      // ends before the stop field
    public void Malformed_input_gives_the_one_exception_with_where_it_was_found(byte[] bytes)
    {
        var error = Assert.Throws<ParquetFormatException>(() =>
        {
            var reader = new ThriftCompactReader(bytes);
            KeyValue.Read(ref reader);
        });

        // Every format error tells its position one way: an offset within the thrift bytes.
        var position = Assert.IsAssignableFrom<Arrow.IFormatErrorPosition>(error);
        Assert.InRange(Assert.NotNull(position.Offset), 1, bytes.Length);
    }

    [Fact]
    public void A_parquet_error_s_path_names_its_row_group_and_column()
    {
        Assert.Null(new ParquetFormatException("whole file").Path);
        Assert.Equal("row group 2", new ParquetFormatException("x") { RowGroup = 2 }.Path);
        Assert.Equal("row group 2 → column a.b", new ParquetFormatException("x") { RowGroup = 2, Column = "a.b" }.Path);
    }

    [Fact]
    public void File_metadata_round_trips_and_writes_deterministically()
    {
        var metadata = new FileMetaData
        {
            Version = 2,
            NumRows = 3,
            CreatedBy = "ArrowCid tests",
            Schema =
            [
                new SchemaElement { Name = "root", NumChildren = 2 },
                new SchemaElement { Name = "ts", Type = PhysicalType.Int64, RepetitionType = FieldRepetitionType.Optional,
                    LogicalType = new LogicalType { Kind = LogicalTypeKind.Timestamp, IsAdjustedToUtc = true, Unit = TimeUnit.Nanos } },
                new SchemaElement { Name = "d", Type = PhysicalType.FixedLenByteArray, TypeLength = 16, RepetitionType = FieldRepetitionType.Required,
                    ConvertedType = ConvertedType.Decimal, Scale = 2, Precision = 30, FieldId = 7,
                    LogicalType = new LogicalType { Kind = LogicalTypeKind.Decimal, Scale = 2, Precision = 30 } },
            ],
            RowGroups =
            [
                new RowGroup
                {
                    NumRows = 3, TotalByteSize = 100, Ordinal = 0, FileOffset = 4, TotalCompressedSize = 90,
                    SortingColumns = [new SortingColumn { ColumnIndex = 1, Descending = true, NullsFirst = false }],
                    Columns =
                    [
                        new ColumnChunk
                        {
                            FileOffset = 0, OffsetIndexOffset = 200, OffsetIndexLength = 20, ColumnIndexOffset = 220, ColumnIndexLength = 30,
                            MetaData = new ColumnMetaData
                            {
                                Type = PhysicalType.Int64, Encodings = [Encoding.Plain, Encoding.Rle], PathInSchema = ["ts"],
                                Codec = CompressionCodec.Snappy, NumValues = 3, TotalCompressedSize = 40, TotalUncompressedSize = 50,
                                DataPageOffset = 4, DictionaryPageOffset = null, BloomFilterOffset = 300, BloomFilterLength = 32,
                                Statistics = new Statistics { NullCount = 1, MinValue = [1, 0, 0, 0, 0, 0, 0, 0], MaxValue = [9, 0, 0, 0, 0, 0, 0, 0], IsMaxValueExact = true },
                                EncodingStats = [new PageEncodingStats { PageType = PageType.DataPage, Encoding = Encoding.Plain, Count = 1 }],
                                KeyValueMetadata = [new KeyValue { Key = "a", Value = null }],
                            },
                        },
                        new ColumnChunk
                        {
                            MetaData = new ColumnMetaData
                            {
                                Type = PhysicalType.FixedLenByteArray, Encodings = [], PathInSchema = ["d"],
                                Codec = CompressionCodec.Uncompressed, NumValues = 3, TotalCompressedSize = 48, DataPageOffset = 44,
                            },
                        },
                    ],
                },
            ],
            KeyValueMetadata = [new KeyValue { Key = "ARROW:schema", Value = "…" }],
            ColumnOrders = [new ColumnOrder(), new ColumnOrder { Kind = ColumnOrderKind.Ieee754TotalOrder }],
        };
        byte[] first = metadata.ToBytes();
        FileMetaData parsed = FileMetaData.Parse(first);
        byte[] second = parsed.ToBytes();
        Assert.Equal(first, second);
        Assert.Equal(TimeUnit.Nanos, parsed.Schema[1].LogicalType!.Unit);
        Assert.Equal(30, parsed.Schema[2].LogicalType!.Precision);
        Assert.Equal([Encoding.Plain, Encoding.Rle], parsed.RowGroups[0].Columns[0].MetaData!.Encodings);
        Assert.Equal(ColumnOrderKind.Ieee754TotalOrder, parsed.ColumnOrders![1].Kind);
        Assert.True(parsed.RowGroups[0].SortingColumns![0].Descending);
    }

    [Fact]
    public void Every_sample_footer_and_page_header_rewrites_to_the_same_bytes()
    {
        // Parquet writers emit fields in id order with short headers, as our writer does, so a
        // parse-and-rewrite of real footers must reproduce them exactly (field-id check by a
        // second implementation).
        int sameFooters = 0;
        foreach (string name in TestFiles.All())
        {
            byte[] file = TestFiles.Read(name);
            int footerLength = BitConverter.ToInt32(file, file.Length - 8);
            byte[] footer = file[(file.Length - 8 - footerLength)..^8];
            FileMetaData parsed = FileMetaData.Parse(footer);
            if (parsed.ToBytes().AsSpan().SequenceEqual(footer))
            {
                sameFooters++;
            }
            Assert.Equal(parsed.ToBytes(), FileMetaData.Parse(parsed.ToBytes()).ToBytes());
        }
        Assert.True(sameFooters >= 12, $"only {sameFooters} footers rewrote byte for byte");
    }
}
