using System.Buffers;
using System.Buffers.Binary;
using ArrowCid.Parquet.Encodings;
using ArrowCid.Parquet.Metadata;
using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Tests.Bounded;

/// <summary>
/// Parquet files put together page by page, for what no honest writer makes: decompression and
/// dictionary bombs, records that span pages (also linked into the Flight and gateway tests, which
/// upload the bombs to a node). Every column is a top-level leaf; uncompressed unless a page says.
/// </summary>
internal static class HandMadeParquet
{
    /// <summary>One page as stored: its header and body.</summary>
    public sealed record Page(PageHeader Header, byte[] Body);

    /// <summary>One leaf column: its schema element, codec and pages.</summary>
    public sealed record Column(SchemaElement Element, CompressionCodec Codec, IReadOnlyList<Page> Pages, long NumValues);

    /// <summary>
    /// A zstd frame (RFC 8878) of <paramref name="zeros"/> zero bytes built from RLE blocks of
    /// 128 KiB, 4 bytes each: 2 GiB of zeros in 64 KiB, what a zstd encoder makes of them too.
    /// </summary>
    public static byte[] ZstdZeros(long zeros)
    {
        const int BlockMaximum = 128 << 10;
        var frame = new ArrayBufferWriter<byte>();
        Span<byte> header = stackalloc byte[14];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xFD2FB528);
        header[4] = 0xC0; // Frame_Content_Size_flag 3 (8 bytes), not single-segment, no checksum, no dictionary.
        header[5] = 0x38; // Window_Descriptor: exponent 7, mantissa 0 = 2^17 bytes.
        BinaryPrimitives.WriteInt64LittleEndian(header[6..], zeros);
        frame.Write(header);
        long left = zeros;
        do
        {
            int size = (int)Math.Min(BlockMaximum, left);
            left -= size;
            // Block_Header: Last_Block (bit 0), Block_Type 1 = RLE (bits 1-2), Block_Size (bits 3-23); then the byte.
            uint block = ((uint)size << 3) | (1u << 1) | (left == 0 ? 1u : 0u);
            frame.Write<byte>([(byte)block, (byte)(block >> 8), (byte)(block >> 16), 0]);
        }
        while (left > 0);
        return frame.WrittenSpan.ToArray();
    }

    /// <summary>
    /// <paramref name="columns"/> required INT64 columns of <paramref name="rows"/> zeros in one row
    /// group, each one PLAIN v1 page whose zstd body is a few KiB that claim 8 bytes a row.
    /// </summary>
    public static byte[] Int64ZerosInZstd(int rows, int columns = 1)
    {
        byte[] body = ZstdZeros(rows * 8L);
        var page = new Page(DataPage(rows, Encoding.Plain, checked(rows * 8), body.Length), body);
        return File(rows, [.. Enumerable.Range(0, columns).Select(c => new Column(Leaf($"zeros{c}", PhysicalType.Int64), CompressionCodec.Zstd, [page], rows))]);
    }

    /// <summary>
    /// A required BYTE_ARRAY column whose dictionary holds one entry of <paramref name="entryBytes"/>
    /// bytes and whose one data page names it <paramref name="rows"/> times in 7 bytes (one RLE run):
    /// <paramref name="entryBytes"/> × <paramref name="rows"/> bytes of values.
    /// </summary>
    public static byte[] OneDictionaryEntryRepeated(int entryBytes, int rows)
    {
        byte[] dictionary = new byte[4 + entryBytes];
        BinaryPrimitives.WriteInt32LittleEndian(dictionary, entryBytes);
        dictionary.AsSpan(4).Fill((byte)'x');
        var indices = new ArrayBufferWriter<byte>();
        indices.Write<byte>([1]); // bit width 1
        RleBitPackedHybrid.Encode(new int[rows], 1, indices);
        byte[] data = indices.WrittenSpan.ToArray();
        var dictionaryPage = new Page(new PageHeader
        {
            Type = PageType.DictionaryPage,
            UncompressedPageSize = dictionary.Length,
            CompressedPageSize = dictionary.Length,
            DictionaryPageHeader = new DictionaryPageHeader { NumValues = 1, Encoding = Encoding.Plain },
        }, dictionary);
        var dataPage = new Page(DataPage(rows, Encoding.RleDictionary, data.Length, data.Length), data);
        return File(rows, [new Column(Leaf("text", PhysicalType.ByteArray), CompressionCodec.Uncompressed, [dictionaryPage, dataPage], rows)]);
    }

    /// <summary>
    /// A required BYTE_ARRAY column in one DELTA_BYTE_ARRAY page: a first value of
    /// <paramref name="valueBytes"/> bytes, then <paramref name="rows"/> - 1 values that share all
    /// of it as their prefix and add nothing: each repeats the first, in a few bits.
    /// </summary>
    public static byte[] FrontCodedPrefixRepeated(int valueBytes, int rows)
    {
        int[] prefixes = new int[rows];
        prefixes.AsSpan(1).Fill(valueBytes);
        int[] suffixOffsets = new int[rows + 1];
        suffixOffsets.AsSpan(1).Fill(valueBytes);
        byte[] first = new byte[valueBytes];
        first.AsSpan().Fill((byte)'y');
        var body = new ArrayBufferWriter<byte>();
        DeltaBinaryPacked.EncodeInt32(prefixes, body);
        DeltaLengthByteArray.Encode(new ByteArrayValues(suffixOffsets, first), body);
        byte[] data = body.WrittenSpan.ToArray();
        var page = new Page(DataPage(rows, Encoding.DeltaByteArray, data.Length, data.Length), data);
        return File(rows, [new Column(Leaf("text", PhysicalType.ByteArray), CompressionCodec.Uncompressed, [page], rows)]);
    }

    /// <summary>A v1 data page header; levels, if any, are in the body.</summary>
    public static PageHeader DataPage(int values, Encoding encoding, int uncompressed, int compressed) => new()
    {
        Type = PageType.DataPage,
        UncompressedPageSize = uncompressed,
        CompressedPageSize = compressed,
        DataPageHeader = new DataPageHeader
        {
            NumValues = values, Encoding = encoding, DefinitionLevelEncoding = Encoding.Rle, RepetitionLevelEncoding = Encoding.Rle,
        },
    };

    /// <summary>A required top-level leaf.</summary>
    public static SchemaElement Leaf(string name, PhysicalType type, FieldRepetitionType repetition = FieldRepetitionType.Required) =>
        new() { Name = name, Type = type, RepetitionType = repetition };

    /// <summary>The file: magic, each column's pages as one chunk of one row group, the footer.</summary>
    public static byte[] File(long rows, IReadOnlyList<Column> columns)
    {
        var output = new ArrayBufferWriter<byte>();
        output.Write("PAR1"u8);
        var chunks = new List<ColumnChunk>();
        foreach (Column column in columns)
        {
            long start = output.WrittenCount;
            long? dictionaryOffset = null;
            long? dataOffset = null;
            long uncompressed = 0;
            foreach (Page page in column.Pages)
            {
                if (page.Header.Type == PageType.DictionaryPage)
                {
                    dictionaryOffset ??= output.WrittenCount;
                }
                else
                {
                    dataOffset ??= output.WrittenCount;
                }
                int headerStart = output.WrittenCount;
                page.Header.Write(new ThriftCompactWriter(output));
                uncompressed += output.WrittenCount - headerStart + page.Header.UncompressedPageSize;
                output.Write(page.Body);
            }
            chunks.Add(new ColumnChunk
            {
                FileOffset = start,
                MetaData = new ColumnMetaData
                {
                    Type = column.Element.Type!.Value,
                    Encodings = [Encoding.Plain, Encoding.Rle, Encoding.RleDictionary],
                    PathInSchema = [column.Element.Name],
                    Codec = column.Codec,
                    NumValues = column.NumValues,
                    TotalUncompressedSize = uncompressed,
                    TotalCompressedSize = output.WrittenCount - start,
                    DataPageOffset = dataOffset!.Value,
                    DictionaryPageOffset = dictionaryOffset,
                },
            });
        }
        var footer = new FileMetaData
        {
            Version = 1,
            Schema = [new SchemaElement { Name = "schema", NumChildren = columns.Count }, .. columns.Select(c => c.Element)],
            NumRows = rows,
            RowGroups = [new RowGroup { Columns = chunks, NumRows = rows, TotalByteSize = chunks.Sum(c => c.MetaData!.TotalUncompressedSize) }],
            CreatedBy = "ArrowCid tests (hand-made)",
        };
        return Finish(output, footer);
    }

    /// <summary>Appends the footer, its length and the closing magic to a file whose pages are written; returns the file.</summary>
    public static byte[] Finish(ArrayBufferWriter<byte> output, FileMetaData footer)
    {
        int footerStart = output.WrittenCount;
        footer.Write(new ThriftCompactWriter(output));
        BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(4), output.WrittenCount - footerStart);
        output.Advance(4);
        output.Write("PAR1"u8);
        return output.WrittenSpan.ToArray();
    }
}
