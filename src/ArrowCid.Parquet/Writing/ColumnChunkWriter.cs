using ArrowCid.Parquet.Codecs;
using ArrowCid.Parquet.Encodings;
using ArrowCid.Parquet.Metadata;
using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Writing;

/// <summary>
/// Writes one column chunk: an optional dictionary page, then data pages (v1 or v2) of about
/// <see cref="ParquetWriteOptions.PageSize"/> bytes each, cut only where a row starts; collects
/// the chunk metadata, statistics and the page index entries of the chunk. The chunk is written
/// into a buffer of its own with offsets counted from the chunk's start, so the chunks of a row
/// group can be encoded at the same time and then placed in the file one after the other
/// (<see cref="Relocate"/>), giving the same bytes as encoding them in turn.
/// </summary>
internal sealed class ColumnChunkWriter
{
    private readonly LeafPlan _leaf;
    private readonly ParquetWriteOptions _options;
    private readonly IParquetCodec _codec;
    private readonly Encoding? _explicitEncoding;
    private readonly ISpanCompressor? _spanCompressor;

    // Entries a page's end is looked for in at once (PageEnd).
    private const int PageScanBlock = 1024;

    public ColumnChunkWriter(LeafPlan leaf, ParquetWriteOptions options)
    {
        _leaf = leaf;
        _options = options;
        _codec = ParquetCodecs.Get(options.Codec);
        _spanCompressor = _codec as ISpanCompressor;
        _explicitEncoding = ChosenEncoding(leaf, options);
    }

    /// <summary>The chunk's page locations and, when every page has bounds, its column index.</summary>
    public sealed record PageIndexEntry(OffsetIndex OffsetIndex, ColumnIndex? ColumnIndex);

    /// <summary>
    /// Encodes <paramref name="buffer"/> as a chunk into <paramref name="output"/> (which starts
    /// empty: offsets in the returned metadata count from the chunk's first byte).
    /// </summary>
    public (ColumnChunk Chunk, PageIndexEntry Index) Write(PooledByteWriter output, ColumnBuffer buffer, long rowGroupRows)
    {
        using var scratch = new Scratch();
        long uncompressedTotal = 0;
        PhysicalType type = _leaf.PhysicalType;
        ValueDictionary? dictionary = UseDictionary(buffer) ? ValueDictionary.TryBuild(buffer, _options.DictionaryPageSizeLimit) : null;
        Encoding valueEncoding = dictionary is not null ? Encoding.RleDictionary : _explicitEncoding ?? Encoding.Plain;
        long? dictionaryOffset = null;
        if (dictionary is not null)
        {
            dictionaryOffset = output.WrittenCount;
            ValueEncoder.EncodeDictionary(buffer, dictionary.Entries, scratch.Values);
            ReadOnlySpan<byte> body = Compress(scratch.Values.WrittenSpan, scratch.Compressed);
            var header = new PageHeader
            {
                Type = PageType.DictionaryPage,
                UncompressedPageSize = scratch.Values.WrittenCount,
                CompressedPageSize = body.Length,
                DictionaryPageHeader = new DictionaryPageHeader { NumValues = dictionary.Entries.Length, Encoding = Encoding.Plain },
            };
            uncompressedTotal += WriteThrift(output, header) + scratch.Values.WrittenCount;
            output.Write(body);
        }

        long dataStart = output.WrittenCount;
        var chunkStats = new StatisticsAccumulator(_leaf.Order);
        var locations = new List<PageLocation>();
        var pageStats = new List<(StatisticsAccumulator Stats, int Values)>();
        int entry = 0;
        int value = 0;
        long row = 0;
        // Every row gives each leaf at least one entry, so a non-empty row group has pages.
        while (entry < buffer.EntryCount)
        {
            (int entryEnd, int valueEnd, int rows) = PageEnd(buffer, entry, value, dictionary is not null ? 2 : buffer.Width, _leaf.MaxDefinitionLevel, _options.PageSize);
            var stats = new StatisticsAccumulator(_leaf.Order);
            stats.AddNulls(entryEnd - entry - (valueEnd - value));
            stats.AddRange(buffer, value, valueEnd, dictionary);
            long pageOffset = output.WrittenCount;
            uncompressedTotal += WriteDataPage(output, scratch, buffer, entry, entryEnd, value, valueEnd, rows, valueEncoding, dictionary, stats);
            locations.Add(new PageLocation { Offset = pageOffset, CompressedPageSize = checked((int)(output.WrittenCount - pageOffset)), FirstRowIndex = row });
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
            TotalCompressedSize = output.WrittenCount,
            DataPageOffset = dataStart,
            DictionaryPageOffset = dictionaryOffset,
            Statistics = _options.Statistics ? chunkStats.ToThrift(withMinMax: true) : null,
        };
        var chunk = new ColumnChunk { FileOffset = dictionaryOffset ?? dataStart, MetaData = meta };
        return (chunk, new PageIndexEntry(new OffsetIndex { PageLocations = locations }, BuildColumnIndex(pageStats)));
    }

    /// <summary>Moves a chunk written by <see cref="Write"/> to file offset <paramref name="chunkStart"/>.</summary>
    public static void Relocate(ColumnChunk chunk, PageIndexEntry index, long chunkStart)
    {
        chunk.FileOffset += chunkStart;
        ColumnMetaData meta = chunk.MetaData!;
        meta.DataPageOffset += chunkStart;
        if (meta.DictionaryPageOffset is { } dictionaryOffset)
        {
            meta.DictionaryPageOffset = dictionaryOffset + chunkStart;
        }
        foreach (PageLocation location in index.OffsetIndex.PageLocations)
        {
            location.Offset += chunkStart;
        }
    }

    private static int WriteThrift(PooledByteWriter output, PageHeader value)
    {
        int before = output.WrittenCount;
        value.Write(new ThriftCompactWriter(output));
        return output.WrittenCount - before;
    }

    /// <summary>Compresses one page body into <paramref name="target"/> (reset first); returns the compressed bytes.</summary>
    private ReadOnlySpan<byte> Compress(ReadOnlySpan<byte> source, PooledByteWriter target)
    {
        target.ResetWrittenCount();
        if (_spanCompressor is not null)
        {
            Span<byte> room = target.GetSpan(_spanCompressor.MaxCompressedLength(source.Length));
            target.Advance(_spanCompressor.Compress(source, room));
        }
        else
        {
            target.Write(_codec.Compress(source));
        }
        return target.WrittenSpan;
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

    /// <summary>
    /// The end of the page that starts at <paramref name="entry"/> (and value <paramref name="value"/>):
    /// the first row start at which the page's estimated size has reached <paramref name="pageSize"/>
    /// (a byte of levels per entry, and <paramref name="fixedBytes"/> per value, or 4 and its
    /// length for a byte array when 0), or the buffer's end; with the values and rows it holds.
    /// </summary>
    internal static (int EntryEnd, int ValueEnd, int Rows) PageEnd(ColumnBuffer buffer, int entry, int value, int fixedBytes, int maxDefinition, long pageSize)
    {
        // Levels not kept are constant: every entry starts a row (no repetition) or is a value (required).
        ReadOnlySpan<int> definition = buffer.Definition;
        ReadOnlySpan<int> repetition = buffer.Repetition;
        ReadOnlySpan<int> offsets = buffer.Offsets;
        bool repeated = buffer.HasRepetitionLevels;
        bool optional = buffer.HasDefinitionLevels;
        long bytes = 0;
        int rows = 0;
        int e = entry;
        int v = value;
        while (e < buffer.EntryCount)
        {
            // A block of entries that keeps the page under its size holds no page end (the size
            // only grows), so it is counted in bulk; the block that reaches the size, entry by entry.
            int blockEnd = Math.Min(e + PageScanBlock, buffer.EntryCount);
            int defined = optional ? definition[e..blockEnd].Count(maxDefinition) : blockEnd - e;
            long blockBytes = (blockEnd - e) + (fixedBytes != 0 ? (long)fixedBytes * defined : (4L * defined) + offsets[v + defined] - offsets[v]);
            if (bytes + blockBytes < pageSize)
            {
                rows += repeated ? repetition[e..blockEnd].Count(0) : blockEnd - e;
                bytes += blockBytes;
                v += defined;
                e = blockEnd;
                continue;
            }

            for (; e < blockEnd; e++)
            {
                if (!repeated || repetition[e] == 0)
                {
                    if (bytes >= pageSize && e > entry)
                    {
                        return (e, v, rows);
                    }
                    rows++;
                }
                // A few bits of levels per entry.
                bytes++;
                if (!optional || definition[e] == maxDefinition)
                {
                    bytes += fixedBytes != 0 ? fixedBytes : 4 + offsets[v + 1] - offsets[v];
                    v++;
                }
            }
        }
        return (e, v, rows);
    }

    private long WriteDataPage(PooledByteWriter output, Scratch scratch, ColumnBuffer buffer, int entry, int entryEnd, int value, int valueEnd, int rows,
        Encoding encoding, ValueDictionary? dictionary, StatisticsAccumulator stats)
    {
        bool v2 = _options.DataPageVersion == 2;
        PooledByteWriter levels = scratch.Levels;
        levels.ResetWrittenCount();
        int repetitionLength = EncodeLevels(levels, buffer.Repetition.IsEmpty ? default : buffer.Repetition[entry..entryEnd], _leaf.MaxRepetitionLevel, prefixed: !v2);
        int definitionLength = EncodeLevels(levels, buffer.Definition.IsEmpty ? default : buffer.Definition[entry..entryEnd], _leaf.MaxDefinitionLevel, prefixed: !v2);
        int levelBytes = levels.WrittenCount;
        // v1 compresses levels and values as one body: the values are encoded right behind the
        // levels instead of being copied there. v2 compresses the values alone.
        PooledByteWriter values = v2 ? scratch.Values : levels;
        if (v2)
        {
            values.ResetWrittenCount();
        }
        if (dictionary is not null)
        {
            ValueEncoder.EncodeIndices(dictionary.Indices.AsSpan(value, valueEnd - value), dictionary.Entries.Length, values);
        }
        else
        {
            ValueEncoder.Encode(buffer, _leaf.PhysicalType, encoding, value, valueEnd, values);
        }
        Statistics? pageStatistics = _options.Statistics ? stats.ToThrift(withMinMax: true) : null;
        int uncompressed = v2 ? levelBytes + values.WrittenCount : levels.WrittenCount;
        ReadOnlySpan<byte> compressed;
        PageHeader header;
        if (v2)
        {
            bool compress = _options.Codec != CompressionCodec.Uncompressed;
            compressed = compress ? Compress(values.WrittenSpan, scratch.Compressed) : values.WrittenSpan;
            header = new PageHeader
            {
                Type = PageType.DataPageV2,
                UncompressedPageSize = uncompressed,
                CompressedPageSize = levelBytes + compressed.Length,
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
            compressed = _options.Codec == CompressionCodec.Uncompressed ? levels.WrittenSpan : Compress(levels.WrittenSpan, scratch.Compressed);
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
        int headerLength = WriteThrift(output, header);
        if (v2)
        {
            output.Write(levels.WrittenSpan);
        }
        output.Write(compressed);
        return headerLength + uncompressed;
    }

    /// <summary>Appends RLE levels to <paramref name="target"/> (v1: with the 4-byte length); returns the bytes added.</summary>
    private static int EncodeLevels(PooledByteWriter target, ReadOnlySpan<int> levels, int maxLevel, bool prefixed)
    {
        if (maxLevel == 0)
        {
            return 0;
        }
        int before = target.WrittenCount;
        int bitWidth = RleBitPackedHybrid.BitWidthFor(maxLevel);
        if (prefixed)
        {
            // The length is known only after encoding: reserve it, then fill it in.
            target.Append(4);
            RleBitPackedHybrid.Encode(levels, bitWidth, target);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(target.WrittenBytes[before..], target.WrittenCount - before - 4);
        }
        else
        {
            RleBitPackedHybrid.Encode(levels, bitWidth, target);
        }
        return target.WrittenCount - before;
    }

    /// <summary>Per-chunk scratch buffers, rented for one chunk and given back after it.</summary>
    private sealed class Scratch : IDisposable
    {
        public PooledByteWriter Values { get; } = new();

        public PooledByteWriter Levels { get; } = new();

        public PooledByteWriter Compressed { get; } = new();

        public void Dispose()
        {
            Values.Dispose();
            Levels.Dispose();
            Compressed.Dispose();
        }
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
