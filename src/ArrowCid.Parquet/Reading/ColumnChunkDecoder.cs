using ArrowCid.Arrow.Memory;
using ArrowCid.Parquet.Codecs;
using ArrowCid.Parquet.Encodings;
using ArrowCid.Parquet.Metadata;
using ArrowCid.Parquet.Schema;

namespace ArrowCid.Parquet.Reading;

/// <summary>
/// Decodes the pages of one column chunk on demand and hands their levels and values out a
/// number of records at a time, so a chunk is never held whole: what it holds is the pages not
/// yet handed out (and its dictionary). v1 data pages are decompressed whole and hold
/// [repetition levels][definition levels][values], each level block RLE with a 4-byte length (or
/// the legacy BIT_PACKED); v2 data pages keep both level blocks uncompressed and unprefixed in
/// front, and compress only the values when is_compressed. A record starts at an entry of
/// repetition level 0 and may continue on the next page (v1), so the last record decoded is
/// complete only once the next one starts or the chunk ends.
/// </summary>
internal sealed class ColumnChunkDecoder
{
    private readonly SchemaNode _column;
    private readonly ColumnMetaData _meta;
    private readonly IParquetCodec _codec;
    private readonly PageValueDecoder _values;
    private readonly ColumnChunkPages _pages;
    private readonly DecodeBudget _budget;
    private readonly string _name;
    private readonly long _expected;
    private readonly bool _repeated;
    private readonly Queue<DecodedPage> _decoded = new();
    private long _slots;
    private long _recordStarts;
    private long _held;
    private int _frontSlot;
    private int _frontValue;

    public ColumnChunkDecoder(SchemaNode column, ColumnMetaData meta, ColumnChunkPages pages, DecodeBudget budget)
    {
        _column = column;
        _meta = meta;
        _pages = pages;
        _budget = budget;
        _name = column.ToString();
        _codec = ParquetCodecs.Get(meta.Codec);
        _values = new PageValueDecoder(_name, column.Element.Type!.Value, column.Element.TypeLength ?? 0);
        _repeated = column.MaxRepetitionLevel > 0;
        _expected = meta.NumValues;
        if (_expected < 0 || _expected > Array.MaxLength)
        {
            throw Error($"num_values {_expected} is out of range");
        }
    }

    /// <summary>The column's dotted path.</summary>
    public string Name => _name;

    /// <summary>Whether every page holding values has been decoded.</summary>
    public bool Exhausted => _slots == _expected;

    /// <summary>Records decoded and not yet handed out whose every entry is decoded.</summary>
    public long CompleteRecords => _repeated && !Exhausted ? Math.Max(0, _recordStarts - 1) : _recordStarts;

    /// <summary>Bytes of levels and values decoded and not yet handed out (the dictionary excluded).</summary>
    public long BufferedBytes { get; private set; }

    /// <summary>Decodes the next page; false when every page holding values is decoded.</summary>
    public bool DecodeNextPage()
    {
        if (Exhausted)
        {
            return false;
        }
        if (_pages.AtEnd)
        {
            throw Error($"the chunk ends after {_slots} of {_expected} values");
        }
        StoredPage page = _pages.Next();
        ReadOnlySpan<byte> body = page.Body.Span;
        if (page.Header.Crc is int crc && (uint)crc != Crc32.Compute(body))
        {
            throw Error($"page at file offset {page.Offset} fails its CRC check", page.Offset);
        }
        switch (page.Header.Type)
        {
            case PageType.DictionaryPage:
                ReadDictionaryPage(page);
                break;
            case PageType.DataPage:
                Enqueue(ReadDataPageV1(page));
                break;
            case PageType.DataPageV2:
                Enqueue(ReadDataPageV2(page));
                break;
            default:
                // Index pages (never written in practice) and kinds added later carry no values.
                break;
        }
        return true;
    }

    /// <summary>Decodes every page and hands out all their records (the whole chunk).</summary>
    public LeafColumnData TakeAll()
    {
        while (DecodeNextPage())
        {
        }
        return TakeRecords((int)CompleteRecords);
    }

    /// <summary>Hands out the next <paramref name="records"/> complete records (at most <see cref="CompleteRecords"/>).</summary>
    public LeafColumnData TakeRecords(int records)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(records, CompleteRecords);
        var levelPieces = new List<(DecodedPage Page, int Start, int Count)>();
        var valuePieces = new List<PageValueRange>();
        int slots = 0;
        int startsLeft = records;
        bool done = records == 0;
        while (!done && _decoded.Count > 0)
        {
            DecodedPage page = _decoded.Peek();
            int first = _frontSlot;
            int end = first;
            int defined = 0;
            for (; end < page.Slots; end++)
            {
                if (!_repeated || page.Repetition[end] == 0)
                {
                    if (startsLeft == 0)
                    {
                        done = true;
                        break;
                    }
                    startsLeft--;
                }
                else if (slots == 0 && end == first)
                {
                    throw Error($"a record starts with repetition level {page.Repetition[end]}, not 0");
                }
                if (_column.MaxDefinitionLevel == 0 || page.Definition[end] == _column.MaxDefinitionLevel)
                {
                    defined++;
                }
            }
            levelPieces.Add((page, first, end - first));
            valuePieces.Add(new PageValueRange(page.Values, _frontValue, defined));
            slots += end - first;
            _frontSlot = end;
            _frontValue += defined;
            if (end == page.Slots)
            {
                if (_frontValue != page.Values.Count)
                {
                    throw Error($"a page's levels use {_frontValue} of its {page.Values.Count} values");
                }
                Drop();
                done |= startsLeft == 0 && !_repeated;
            }
        }
        if (startsLeft > 0)
        {
            throw Error($"{records - startsLeft} of {records} records are decoded");
        }
        _recordStarts -= records;
        return new LeafColumnData(
            _column,
            slots,
            _repeated ? ConcatLevels(levelPieces, slots, p => p.Repetition) : [],
            _column.MaxDefinitionLevel > 0 ? ConcatLevels(levelPieces, slots, p => p.Definition) : [],
            _values.Concat(valuePieces));
    }

    /// <summary>Gives back to the budget everything this chunk still holds.</summary>
    public void Close()
    {
        _budget.Release(_held);
        _held = 0;
        BufferedBytes = 0;
        _decoded.Clear();
    }

    private void Enqueue(DecodedPage page)
    {
        _decoded.Enqueue(page);
        _held += page.Bytes;
        BufferedBytes += page.Bytes;
        _slots += page.Slots;
        if (!_repeated)
        {
            _recordStarts += page.Slots;
            return;
        }
        foreach (int level in page.Repetition)
        {
            if (level == 0)
            {
                _recordStarts++;
            }
        }
    }

    /// <summary>The front page is handed out whole: its memory is given back.</summary>
    private void Drop()
    {
        DecodedPage page = _decoded.Dequeue();
        _budget.Release(page.Bytes);
        _held -= page.Bytes;
        BufferedBytes -= page.Bytes;
        _frontSlot = 0;
        _frontValue = 0;
    }

    private static int[] ConcatLevels(List<(DecodedPage Page, int Start, int Count)> pieces, int slots, Func<DecodedPage, int[]> levels)
    {
        int[] all = new int[slots];
        int at = 0;
        foreach ((DecodedPage page, int start, int count) in pieces)
        {
            levels(page).AsSpan(start, count).CopyTo(all.AsSpan(at));
            at += count;
        }
        return all;
    }

    private void ReadDictionaryPage(StoredPage page)
    {
        DictionaryPageHeader dictionary = page.Header.DictionaryPageHeader ?? throw Error("dictionary page without dictionary_page_header", page.Offset);
        if (_values.HasDictionary || _slots > 0)
        {
            throw Error("a dictionary page follows a dictionary or data page", page.Offset);
        }
        string what = $"column {_name}: the dictionary page at file offset {page.Offset}";
        long entries = WithPageBytes(page, page.Header.UncompressedPageSize, what, data => _values.ReadDictionary(data, dictionary));
        _budget.Take(entries, what);
        _held += entries;
    }

    private DecodedPage ReadDataPageV1(StoredPage page)
    {
        PageHeader header = page.Header;
        DataPageHeader v1 = header.DataPageHeader ?? throw Error("DATA_PAGE without data_page_header", page.Offset);
        int count = CheckSlotCount(v1.NumValues, header.UncompressedPageSize);
        string what = $"column {_name}: the page at file offset {page.Offset}";
        return WithPageBytes(page, header.UncompressedPageSize, what, data =>
        {
            int position = 0;
            int[] repetition = DecodeLevelsV1(data, ref position, v1.RepetitionLevelEncoding, _column.MaxRepetitionLevel, count, "repetition", what);
            int[] definition = DecodeLevelsV1(data, ref position, v1.DefinitionLevelEncoding, _column.MaxDefinitionLevel, count, "definition", what);
            int nonNull = CountDefined(definition, count);
            PageValues values = _values.ReadValues(data[position..], v1.Encoding, nonNull, _budget, what);
            return new DecodedPage(count, repetition, definition, values);
        });
    }

    private DecodedPage ReadDataPageV2(StoredPage page)
    {
        PageHeader header = page.Header;
        DataPageHeaderV2 v2 = header.DataPageHeaderV2 ?? throw Error("DATA_PAGE_V2 without data_page_header_v2", page.Offset);
        int count = CheckSlotCount(v2.NumValues, header.UncompressedPageSize);
        ReadOnlySpan<byte> body = page.Body.Span;
        int repLength = v2.RepetitionLevelsByteLength;
        int defLength = v2.DefinitionLevelsByteLength;
        if (repLength < 0 || defLength < 0 || (long)repLength + defLength > body.Length)
        {
            throw Error($"v2 level lengths {repLength} + {defLength} do not fit the {body.Length}-byte page", page.Offset);
        }
        string what = $"column {_name}: the page at file offset {page.Offset}";
        int[] repetition = DecodeLevelsV2(body[..repLength], _column.MaxRepetitionLevel, count, "repetition", what);
        int[] definition = DecodeLevelsV2(body.Slice(repLength, defLength), _column.MaxDefinitionLevel, count, "definition", what);
        int nonNull = CountDefined(definition, count);
        if (v2.NumNulls != count - nonNull)
        {
            throw Error($"v2 page declares {v2.NumNulls} nulls, its definition levels give {count - nonNull}", page.Offset);
        }
        long valuesSize = (long)header.UncompressedPageSize - repLength - defLength;
        if (valuesSize < 0)
        {
            throw Error($"uncompressed_page_size {header.UncompressedPageSize} is smaller than the levels", page.Offset);
        }
        StoredPage values = page with { Body = page.Body[(repLength + defLength)..] };
        if (!v2.IsCompressed && values.Body.Length != valuesSize)
        {
            throw Error($"uncompressed v2 values hold {values.Body.Length} bytes, the header says {valuesSize}", page.Offset);
        }
        PageValues decoded = WithPageBytes(values, v2.IsCompressed ? (int)valuesSize : -1, what,
            data => _values.ReadValues(data, v2.Encoding, nonNull, _budget, what));
        return new DecodedPage(count, repetition, definition, decoded);
    }

    /// <summary>
    /// Runs <paramref name="decode"/> over a page's body decompressed to <paramref name="size"/>
    /// bytes (or as stored when <paramref name="size"/> is -1 or the chunk is uncompressed). The
    /// decompressed bytes are taken from the budget before they exist and given back after.
    /// </summary>
    private T WithPageBytes<T>(StoredPage page, int size, string what, PageDecoder<T> decode)
    {
        if (size < 0 || _meta.Codec == CompressionCodec.Uncompressed)
        {
            if (size >= 0 && page.Body.Length != size)
            {
                throw Error($"uncompressed page holds {page.Body.Length} bytes, uncompressed_page_size says {size}", page.Offset);
            }
            return decode(page.Body.Span);
        }
        _budget.Take(size, what);
        try
        {
            // The decompressed page lives only while it is decoded: native memory, freed at once.
            using var data = new NativeScratch(size);
            try
            {
                _codec.DecompressInto(page.Body.Span, data.GetSpan());
            }
            catch (ParquetFormatException ex)
            {
                throw new ParquetFormatException($"column {_name}: {ex.Message}", ex) { Column = _name, Offset = page.Offset };
            }
            return decode(data.GetSpan());
        }
        finally
        {
            _budget.Release(size);
        }
    }

    private delegate T PageDecoder<T>(ReadOnlySpan<byte> data);

    private int CheckSlotCount(int numValues, int uncompressedPageSize)
    {
        if (numValues < 0 || numValues > _expected - _slots)
        {
            throw Error($"page num_values {numValues} exceeds the {_expected - _slots} values left in the chunk");
        }
        if (!ReaderLimits.PageSlotsPlausible(numValues, uncompressedPageSize))
        {
            throw Error($"page claims {numValues} values in {uncompressedPageSize} bytes");
        }
        return numValues;
    }

    private int[] DecodeLevelsV1(ReadOnlySpan<byte> data, ref int position, Encoding encoding, int maxLevel, int count, string kind, string what)
    {
        if (maxLevel == 0)
        {
            return [];
        }
        int[] levels = NewLevels(count, what);
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

    private int[] DecodeLevelsV2(ReadOnlySpan<byte> data, int maxLevel, int count, string kind, string what)
    {
        if (maxLevel == 0)
        {
            return [];
        }
        int[] levels = NewLevels(count, what);
        RleBitPackedHybrid.Decode(data, RleBitPackedHybrid.BitWidthFor(maxLevel), levels);
        CheckLevels(levels, maxLevel, kind);
        return levels;
    }

    /// <summary>Room for one page's levels, taken from the budget (its page gives it back when handed out).</summary>
    private int[] NewLevels(int count, string what)
    {
        _budget.Take(4L * count, what);
        return new int[count];
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

    private int CountDefined(int[] definition, int count)
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

    private ParquetFormatException Error(string message, long? offset = null) => new($"column {_name}: {message}") { Column = _name, Offset = offset };

    /// <summary>One decoded data page: a level per slot (none when the maximum level is 0) and its non-null values.</summary>
    private sealed record DecodedPage(int Slots, int[] Repetition, int[] Definition, PageValues Values)
    {
        /// <summary>What the page holds: its levels and its values.</summary>
        public long Bytes { get; } = (4L * (Repetition.Length + Definition.Length)) + Values.Bytes;
    }
}
