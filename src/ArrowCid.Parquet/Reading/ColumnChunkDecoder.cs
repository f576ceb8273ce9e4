using ArrowCid.Parquet.Codecs;
using ArrowCid.Parquet.Encodings;
using ArrowCid.Parquet.Metadata;
using ArrowCid.Parquet.Schema;
using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Reading;

/// <summary>
/// Walks the pages of one column chunk and decodes them into levels and values. v1 data pages
/// are decompressed whole and hold [repetition levels][definition levels][values], each level
/// block RLE with a 4-byte length (or the legacy BIT_PACKED); v2 data pages keep both level
/// blocks uncompressed and unprefixed in front, and compress only the values when is_compressed.
/// </summary>
internal sealed class ColumnChunkDecoder
{
    private readonly SchemaNode _column;
    private readonly ColumnMetaData _meta;
    private readonly IParquetCodec _codec;
    private readonly PageValueDecoder _values;
    private readonly GrowableBuffer<int> _repetition = new();
    private readonly GrowableBuffer<int> _definition = new();
    private readonly string _name;
    private int _slots;

    public ColumnChunkDecoder(SchemaNode column, ColumnMetaData meta)
    {
        _column = column;
        _meta = meta;
        _name = column.ToString();
        _codec = ParquetCodecs.Get(meta.Codec);
        _values = new PageValueDecoder(_name, column.Element.Type!.Value, column.Element.TypeLength ?? 0);
    }

    /// <summary>Reads the headers of the chunk's pages without decoding them.</summary>
    public static List<PageHeader> ReadHeaders(ReadOnlySpan<byte> chunk, string column)
    {
        var headers = new List<PageHeader>();
        int position = 0;
        while (position < chunk.Length)
        {
            PageHeader header = ReadHeader(chunk, ref position, column);
            headers.Add(header);
            position += header.CompressedPageSize;
        }
        return headers;
    }

    public LeafColumnData Decode(ReadOnlySpan<byte> chunk)
    {
        long expected = _meta.NumValues;
        if (expected < 0 || expected > Array.MaxLength)
        {
            throw Error($"num_values {expected} is out of range");
        }
        int position = 0;
        while (_slots < expected)
        {
            if (position >= chunk.Length)
            {
                throw Error($"the chunk ends after {_slots} of {expected} values");
            }
            PageHeader header = ReadHeader(chunk, ref position, _name);
            ReadOnlySpan<byte> body = chunk.Slice(position, header.CompressedPageSize);
            position += header.CompressedPageSize;
            if (header.Crc is int crc && (uint)crc != Crc32.Compute(body))
            {
                throw Error($"page at chunk offset {position - body.Length} fails its CRC check");
            }
            switch (header.Type)
            {
                case PageType.DictionaryPage:
                    ReadDictionaryPage(header, body);
                    break;
                case PageType.DataPage:
                    ReadDataPageV1(header, body, (int)expected);
                    break;
                case PageType.DataPageV2:
                    ReadDataPageV2(header, body, (int)expected);
                    break;
                default:
                    // Index pages (never written in practice) and kinds added later carry no values.
                    break;
            }
        }
        return new LeafColumnData(
            _column,
            _slots,
            _repetition.ToArray(),
            _definition.ToArray(),
            _values.Build());
    }

    private static PageHeader ReadHeader(ReadOnlySpan<byte> chunk, ref int position, string column)
    {
        var reader = new ThriftCompactReader(chunk[position..]);
        PageHeader header = PageHeader.Read(ref reader);
        position += reader.Position;
        if (header.CompressedPageSize < 0 || header.CompressedPageSize > chunk.Length - position)
        {
            throw new ParquetFormatException($"column {column}: compressed_page_size {header.CompressedPageSize} exceeds the {chunk.Length - position} bytes left in the chunk") { Column = column };
        }
        if (header.UncompressedPageSize < 0)
        {
            throw new ParquetFormatException($"column {column}: uncompressed_page_size {header.UncompressedPageSize} is negative") { Column = column };
        }
        return header;
    }

    private void ReadDictionaryPage(PageHeader header, ReadOnlySpan<byte> body)
    {
        DictionaryPageHeader dictionary = header.DictionaryPageHeader ?? throw Error("dictionary page without dictionary_page_header");
        if (_values.HasDictionary || _slots > 0)
        {
            throw Error("a dictionary page follows a dictionary or data page");
        }
        _values.ReadDictionary(Decompress(body, header.UncompressedPageSize), dictionary);
    }

    private void ReadDataPageV1(PageHeader header, ReadOnlySpan<byte> body, int expected)
    {
        DataPageHeader page = header.DataPageHeader ?? throw Error("DATA_PAGE without data_page_header");
        int count = CheckSlotCount(page.NumValues, header.UncompressedPageSize, expected);
        ReadOnlySpan<byte> data = Decompress(body, header.UncompressedPageSize);
        int position = 0;
        Span<int> repetition = DecodeLevelsV1(data, ref position, page.RepetitionLevelEncoding, _column.MaxRepetitionLevel, count, _repetition, "repetition");
        Span<int> definition = DecodeLevelsV1(data, ref position, page.DefinitionLevelEncoding, _column.MaxDefinitionLevel, count, _definition, "definition");
        _ = repetition;
        int nonNull = CountDefined(definition, count);
        _values.ReadValues(data[position..], page.Encoding, nonNull);
        _slots += count;
    }

    private void ReadDataPageV2(PageHeader header, ReadOnlySpan<byte> body, int expected)
    {
        DataPageHeaderV2 page = header.DataPageHeaderV2 ?? throw Error("DATA_PAGE_V2 without data_page_header_v2");
        int count = CheckSlotCount(page.NumValues, header.UncompressedPageSize, expected);
        int repLength = page.RepetitionLevelsByteLength;
        int defLength = page.DefinitionLevelsByteLength;
        if (repLength < 0 || defLength < 0 || (long)repLength + defLength > body.Length)
        {
            throw Error($"v2 level lengths {repLength} + {defLength} do not fit the {body.Length}-byte page");
        }
        DecodeLevelsV2(body[..repLength], _column.MaxRepetitionLevel, count, _repetition, "repetition");
        Span<int> definition = DecodeLevelsV2(body.Slice(repLength, defLength), _column.MaxDefinitionLevel, count, _definition, "definition");
        int nonNull = CountDefined(definition, count);
        if (page.NumNulls != count - nonNull)
        {
            throw Error($"v2 page declares {page.NumNulls} nulls, its definition levels give {count - nonNull}");
        }
        ReadOnlySpan<byte> valuesOnDisk = body[(repLength + defLength)..];
        long valuesSize = (long)header.UncompressedPageSize - repLength - defLength;
        if (valuesSize < 0)
        {
            throw Error($"uncompressed_page_size {header.UncompressedPageSize} is smaller than the levels");
        }
        ReadOnlySpan<byte> data = page.IsCompressed
            ? Decompress(valuesOnDisk, (int)valuesSize)
            : valuesOnDisk.Length == valuesSize ? valuesOnDisk : throw Error($"uncompressed v2 values hold {valuesOnDisk.Length} bytes, the header says {valuesSize}");
        _values.ReadValues(data, page.Encoding, nonNull);
        _slots += count;
    }

    private int CheckSlotCount(int numValues, int uncompressedPageSize, int expected)
    {
        if (numValues < 0 || numValues > expected - _slots)
        {
            throw Error($"page num_values {numValues} exceeds the {expected - _slots} values left in the chunk");
        }
        if (!ReaderLimits.PageSlotsPlausible(numValues, uncompressedPageSize))
        {
            throw Error($"page claims {numValues} values in {uncompressedPageSize} bytes");
        }
        return numValues;
    }

    private ReadOnlySpan<byte> Decompress(ReadOnlySpan<byte> body, int uncompressedSize)
    {
        if (_meta.Codec == CompressionCodec.Uncompressed)
        {
            return body.Length == uncompressedSize
                ? body
                : throw Error($"uncompressed page holds {body.Length} bytes, uncompressed_page_size says {uncompressedSize}");
        }
        try
        {
            return _codec.Decompress(body, uncompressedSize);
        }
        catch (ParquetFormatException ex)
        {
            throw new ParquetFormatException($"column {_name}: {ex.Message}", ex) { Column = _name };
        }
    }

    private Span<int> DecodeLevelsV1(ReadOnlySpan<byte> data, ref int position, Encoding encoding, int maxLevel, int count, GrowableBuffer<int> sink, string kind)
    {
        if (maxLevel == 0)
        {
            return default;
        }
        Span<int> levels = sink.Append(count);
        int bitWidth = RleBitPackedHybrid.BitWidthFor(maxLevel);
        position += encoding switch
        {
            Encoding.Rle => RleBitPackedHybrid.DecodeWithLengthPrefix(data[position..], bitWidth, levels),
            Encoding.BitPacked => LegacyBitPacked.Decode(data[position..], bitWidth, levels),
            _ => throw Error($"{kind} level encoding {encoding} is not RLE or BIT_PACKED"),
        };
        CheckLevels(levels, maxLevel, kind);
        return levels;
    }

    private Span<int> DecodeLevelsV2(ReadOnlySpan<byte> data, int maxLevel, int count, GrowableBuffer<int> sink, string kind)
    {
        if (maxLevel == 0)
        {
            return default;
        }
        Span<int> levels = sink.Append(count);
        RleBitPackedHybrid.Decode(data, RleBitPackedHybrid.BitWidthFor(maxLevel), levels);
        CheckLevels(levels, maxLevel, kind);
        return levels;
    }

    private void CheckLevels(ReadOnlySpan<int> levels, int maxLevel, string kind)
    {
        foreach (int level in levels)
        {
            if ((uint)level > (uint)maxLevel)
            {
                throw Error($"{kind} level {level} exceeds the maximum {maxLevel}");
            }
        }
    }

    private int CountDefined(ReadOnlySpan<int> definition, int count)
    {
        if (_column.MaxDefinitionLevel == 0)
        {
            return count;
        }
        int defined = 0;
        foreach (int level in definition)
        {
            if (level == _column.MaxDefinitionLevel)
            {
                defined++;
            }
        }
        return defined;
    }

    private ParquetFormatException Error(string message) => new($"column {_name}: {message}") { Column = _name };
}
