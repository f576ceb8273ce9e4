using System.Buffers;
using ArrowCid.Parquet.Codecs;
using ArrowCid.Parquet.Encodings;
using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Writing;

/// <summary>
/// Writes one column chunk: an optional dictionary page, then data pages (v1 or v2) of about
/// <see cref="ParquetWriteOptions.PageSize"/> bytes each, cut only where a row starts; collects
/// the chunk metadata, statistics and the page index entries of the chunk.
/// </summary>
internal sealed class ColumnChunkWriter
{
    private readonly LeafPlan _leaf;
    private readonly ParquetWriteOptions _options;
    private readonly IParquetCodec _codec;
    private readonly Encoding? _explicitEncoding;
    private readonly ArrayBufferWriter<byte> _page = new();
    private readonly ArrayBufferWriter<byte> _values = new();
    private readonly ArrayBufferWriter<byte> _levels = new();

    public ColumnChunkWriter(LeafPlan leaf, ParquetWriteOptions options)
    {
        _leaf = leaf;
        _options = options;
        _codec = ParquetCodecs.Get(options.Codec);
        _explicitEncoding = ChosenEncoding(leaf, options);
    }

    /// <summary>The chunk's page locations and, when every page has bounds, its column index.</summary>
    public sealed record PageIndexEntry(OffsetIndex OffsetIndex, ColumnIndex? ColumnIndex);

    public (ColumnChunk Chunk, PageIndexEntry Index) Write(PositionedOutput output, ColumnBuffer buffer, long rowGroupRows)
    {
        long chunkStart = output.Position;
        long uncompressedTotal = 0;
        PhysicalType type = _leaf.PhysicalType;
        ValueDictionary? dictionary = UseDictionary(buffer) ? ValueDictionary.TryBuild(buffer, _options.DictionaryPageSizeLimit) : null;
        Encoding valueEncoding = dictionary is not null ? Encoding.RleDictionary : _explicitEncoding ?? Encoding.Plain;
        long? dictionaryOffset = null;
        if (dictionary is not null)
        {
            dictionaryOffset = output.Position;
            _values.ResetWrittenCount();
            ValueEncoder.EncodeDictionary(buffer, type, dictionary.Entries, _values);
            byte[] body = _codec.Compress(_values.WrittenSpan);
            var header = new PageHeader
            {
                Type = PageType.DictionaryPage,
                UncompressedPageSize = _values.WrittenCount,
                CompressedPageSize = body.Length,
                DictionaryPageHeader = new DictionaryPageHeader { NumValues = dictionary.Entries.Length, Encoding = Encoding.Plain },
            };
            uncompressedTotal += output.WriteThrift(header) + _values.WrittenCount;
            output.Write(body);
        }

        long dataStart = output.Position;
        var chunkStats = new StatisticsAccumulator(_leaf.Order);
        var locations = new List<PageLocation>();
        var pageStats = new List<(StatisticsAccumulator Stats, int Values)>();
        int entry = 0;
        int value = 0;
        long row = 0;
        // Every row gives each leaf at least one entry, so a non-empty row group has pages.
        while (entry < buffer.EntryCount)
        {
            (int entryEnd, int valueEnd, int rows) = NextPage(buffer, entry, value, dictionary);
            var stats = new StatisticsAccumulator(_leaf.Order);
            stats.AddNulls(entryEnd - entry - (valueEnd - value));
            for (int v = value; v < valueEnd; v++)
            {
                stats.Add(buffer.Value(v));
            }
            long pageOffset = output.Position;
            uncompressedTotal += WriteDataPage(output, buffer, entry, entryEnd, value, valueEnd, rows, valueEncoding, dictionary, stats);
            locations.Add(new PageLocation { Offset = pageOffset, CompressedPageSize = checked((int)(output.Position - pageOffset)), FirstRowIndex = row });
            pageStats.Add((stats, valueEnd - value));
            chunkStats.Merge(stats);
            row += rows;
            entry = entryEnd;
            value = valueEnd;
        }
        if (row != rowGroupRows)
        {
            throw new InvalidOperationException($"column {_leaf.DottedPath}: shredded {row} rows of a {rowGroupRows}-row group");
        }

        var meta = new ColumnMetaData
        {
            Type = type,
            Encodings = dictionary is not null ? [Encoding.Plain, Encoding.Rle, Encoding.RleDictionary] : [valueEncoding, Encoding.Rle],
            PathInSchema = _leaf.Path,
            Codec = _options.Codec,
            NumValues = buffer.EntryCount,
            TotalUncompressedSize = uncompressedTotal,
            TotalCompressedSize = output.Position - chunkStart,
            DataPageOffset = dataStart,
            DictionaryPageOffset = dictionaryOffset,
            Statistics = _options.Statistics ? chunkStats.ToThrift(withMinMax: true) : null,
        };
        var chunk = new ColumnChunk { FileOffset = dictionaryOffset ?? dataStart, MetaData = meta };
        return (chunk, new PageIndexEntry(new OffsetIndex { PageLocations = locations }, BuildColumnIndex(pageStats)));
    }

    private static Encoding? ChosenEncoding(LeafPlan leaf, ParquetWriteOptions options)
    {
        if (!options.ColumnEncodings.TryGetValue(leaf.DottedPath, out Encoding encoding)
            && !options.ColumnEncodings.TryGetValue(leaf.Path[0], out encoding))
        {
            return null;
        }
        return ValueEncoder.Supports(encoding, leaf.PhysicalType)
            ? encoding
            : throw new ArgumentException($"column {leaf.DottedPath}: encoding {encoding} cannot encode {leaf.PhysicalType} values", nameof(options));
    }

    private bool UseDictionary(ColumnBuffer buffer) =>
        _options.Dictionary && _explicitEncoding is null && buffer.ValueCount > 0
        && _leaf.PhysicalType != PhysicalType.Boolean && _leaf.Conversion != ValueConversion.AlwaysNull;

    /// <summary>The end of the page that starts at <paramref name="entry"/>: past the size target, at a row start.</summary>
    private (int EntryEnd, int ValueEnd, int Rows) NextPage(ColumnBuffer buffer, int entry, int value, ValueDictionary? dictionary)
    {
        ReadOnlySpan<int> definition = buffer.Definition;
        ReadOnlySpan<int> repetition = buffer.Repetition;
        long bytes = 0;
        int rows = 0;
        int e = entry;
        int v = value;
        while (e < buffer.EntryCount)
        {
            if (repetition[e] == 0)
            {
                if (bytes >= _options.PageSize && e > entry)
                {
                    break;
                }
                rows++;
            }
            // A few bits of levels per entry.
            bytes++;
            if (definition[e] == _leaf.MaxDefinitionLevel)
            {
                bytes += dictionary is not null ? 2 : buffer.Width == 0 ? 4 + buffer.Value(v).Length : buffer.Width;
                v++;
            }
            e++;
        }
        return (e, v, rows);
    }

    private long WriteDataPage(PositionedOutput output, ColumnBuffer buffer, int entry, int entryEnd, int value, int valueEnd, int rows,
        Encoding encoding, ValueDictionary? dictionary, StatisticsAccumulator stats)
    {
        bool v2 = _options.DataPageVersion == 2;
        _values.ResetWrittenCount();
        if (dictionary is not null)
        {
            ValueEncoder.EncodeIndices(dictionary.Indices.AsSpan(value, valueEnd - value), dictionary.Entries.Length, _values);
        }
        else
        {
            ValueEncoder.Encode(buffer, _leaf.PhysicalType, encoding, value, valueEnd, _values);
        }
        _levels.ResetWrittenCount();
        int repetitionLength = EncodeLevels(buffer.Repetition[entry..entryEnd], _leaf.MaxRepetitionLevel, prefixed: !v2);
        int definitionLength = EncodeLevels(buffer.Definition[entry..entryEnd], _leaf.MaxDefinitionLevel, prefixed: !v2);
        Statistics? pageStatistics = _options.Statistics ? stats.ToThrift(withMinMax: true) : null;
        int uncompressed = _levels.WrittenCount + _values.WrittenCount;
        byte[] compressed;
        PageHeader header;
        if (v2)
        {
            bool compress = _options.Codec != CompressionCodec.Uncompressed;
            compressed = compress ? _codec.Compress(_values.WrittenSpan) : _values.WrittenSpan.ToArray();
            header = new PageHeader
            {
                Type = PageType.DataPageV2,
                UncompressedPageSize = uncompressed,
                CompressedPageSize = _levels.WrittenCount + compressed.Length,
                DataPageHeaderV2 = new DataPageHeaderV2
                {
                    NumValues = entryEnd - entry,
                    NumNulls = entryEnd - entry - (valueEnd - value),
                    NumRows = rows,
                    Encoding = encoding,
                    RepetitionLevelsByteLength = repetitionLength,
                    DefinitionLevelsByteLength = definitionLength,
                    IsCompressed = compress,
                    Statistics = pageStatistics,
                },
            };
        }
        else
        {
            _levels.Write(_values.WrittenSpan);
            compressed = _codec.Compress(_levels.WrittenSpan);
            header = new PageHeader
            {
                Type = PageType.DataPage,
                UncompressedPageSize = uncompressed,
                CompressedPageSize = compressed.Length,
                DataPageHeader = new DataPageHeader
                {
                    NumValues = entryEnd - entry,
                    Encoding = encoding,
                    DefinitionLevelEncoding = Encoding.Rle,
                    RepetitionLevelEncoding = Encoding.Rle,
                    Statistics = pageStatistics,
                },
            };
        }
        int headerLength = output.WriteThrift(header);
        if (v2)
        {
            output.Write(_levels.WrittenSpan);
        }
        output.Write(compressed);
        return headerLength + uncompressed;
    }

    /// <summary>Appends RLE levels to the level buffer (v1: with the 4-byte length); returns the bytes added.</summary>
    private int EncodeLevels(ReadOnlySpan<int> levels, int maxLevel, bool prefixed)
    {
        if (maxLevel == 0)
        {
            return 0;
        }
        int before = _levels.WrittenCount;
        int bitWidth = RleBitPackedHybrid.BitWidthFor(maxLevel);
        if (prefixed)
        {
            RleBitPackedHybrid.EncodeWithLengthPrefix(levels, bitWidth, _levels);
        }
        else
        {
            RleBitPackedHybrid.Encode(levels, bitWidth, _levels);
        }
        return _levels.WrittenCount - before;
    }

    private ColumnIndex? BuildColumnIndex(List<(StatisticsAccumulator Stats, int Values)> pageList)
    {
        List<StatisticsAccumulator> pages = [.. pageList.Select(p => p.Stats)];
        var nullPages = new bool[pages.Count];
        var mins = new byte[pages.Count][];
        var maxs = new byte[pages.Count][];
        for (int i = 0; i < pages.Count; i++)
        {
            StatisticsAccumulator page = pages[i];
            if (page.HasMinMax)
            {
                mins[i] = page.Min;
                maxs[i] = page.Max;
            }
            else if (pageList[i].Values == 0)
            {
                nullPages[i] = true;
                mins[i] = [];
                maxs[i] = [];
            }
            else
            {
                // A page with values but no bounds (too large, NaN only, no order): no column index.
                return null;
            }
        }
        return new ColumnIndex
        {
            NullPages = nullPages,
            MinValues = mins,
            MaxValues = maxs,
            BoundaryOrder = Boundary(pages, nullPages, mins, maxs),
            NullCounts = [.. pages.Select(p => p.NullCount)],
        };
    }

    private BoundaryOrder Boundary(List<StatisticsAccumulator> pages, bool[] nullPages, byte[][] mins, byte[][] maxs)
    {
        bool ascending = true;
        bool descending = true;
        int previous = -1;
        for (int i = 0; i < pages.Count; i++)
        {
            if (nullPages[i])
            {
                continue;
            }
            if (previous >= 0)
            {
                int minOrder = StatisticsComparer.Compare(_leaf.Order, mins[previous], mins[i]);
                int maxOrder = StatisticsComparer.Compare(_leaf.Order, maxs[previous], maxs[i]);
                ascending &= minOrder <= 0 && maxOrder <= 0;
                descending &= minOrder >= 0 && maxOrder >= 0;
            }
            previous = i;
        }
        return ascending ? BoundaryOrder.Ascending : descending ? BoundaryOrder.Descending : BoundaryOrder.Unordered;
    }
}
