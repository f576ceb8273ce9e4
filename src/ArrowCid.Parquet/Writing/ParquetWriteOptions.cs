using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Writing;

/// <summary>Page compression a <see cref="ParquetWriter"/> applies (Compression.md).</summary>
public enum ParquetCompression
{
    /// <summary>UNCOMPRESSED.</summary>
    None,
    /// <summary>SNAPPY (raw blocks).</summary>
    Snappy,
    /// <summary>GZIP.</summary>
    Gzip,
    /// <summary>ZSTD.</summary>
    Zstd,
    /// <summary>LZ4_RAW (LZ4 blocks, no framing).</summary>
    Lz4Raw,
    /// <summary>BROTLI.</summary>
    Brotli,
}

/// <summary>
/// How a <see cref="ParquetWriter"/> lays out a file. The defaults give files every mainstream
/// reader accepts: SNAPPY, v1 data pages, dictionary encoding with PLAIN fallback, statistics and
/// the page index, and the Arrow schema stored as <c>ARROW:schema</c>.
/// </summary>
public sealed record ParquetWriteOptions
{
    /// <summary>The defaults.</summary>
    public static ParquetWriteOptions Default { get; } = new();

    /// <summary>Page compression.</summary>
    public ParquetCompression Compression { get; init; } = ParquetCompression.Snappy;

    /// <summary>Rows per row group; a row group is flushed when it holds this many rows.</summary>
    public int RowGroupSize { get; init; } = 1 << 20;

    /// <summary>Target uncompressed bytes of values and levels per data page (pages end on row boundaries).</summary>
    public int PageSize { get; init; } = 1 << 20;

    /// <summary>1 for DATA_PAGE, 2 for DATA_PAGE_V2.</summary>
    public int DataPageVersion { get; init; } = 1;

    /// <summary>Whether columns are dictionary-encoded (not BOOLEAN, nor columns with an explicit encoding).</summary>
    public bool Dictionary { get; init; } = true;

    /// <summary>
    /// Largest PLAIN size in bytes of a column chunk's dictionary; a chunk whose distinct values
    /// need more falls back to PLAIN (or its chosen encoding) for all its pages.
    /// </summary>
    public int DictionaryPageSizeLimit { get; init; } = 1 << 20;

    /// <summary>
    /// Value encodings per column, keyed by the column's dotted Parquet path (e.g. <c>"a.list.element"</c>)
    /// or by its top-level field name (applies to every leaf below it). Allowed: PLAIN,
    /// DELTA_BINARY_PACKED (INT32/INT64), DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY (BYTE_ARRAY;
    /// DELTA_BYTE_ARRAY also FIXED_LEN_BYTE_ARRAY), BYTE_STREAM_SPLIT (FLOAT, DOUBLE, INT32, INT64,
    /// FIXED_LEN_BYTE_ARRAY) and RLE (BOOLEAN). A column with an explicit encoding is not
    /// dictionary-encoded.
    /// </summary>
    public IReadOnlyDictionary<string, Encoding> ColumnEncodings { get; init; } = new Dictionary<string, Encoding>();

    /// <summary>Whether column chunk and page statistics (min, max, null count) are written.</summary>
    public bool Statistics { get; init; } = true;

    /// <summary>Whether the column index and offset index are written (PageIndex.md).</summary>
    public bool PageIndex { get; init; } = true;

    /// <summary>Whether the Arrow schema is stored as <c>ARROW:schema</c> so Arrow readers get exact types back.</summary>
    public bool StoreArrowSchema { get; init; } = true;

    /// <summary>Caller key/value pairs for the footer (e.g. <c>arrowcid.cids</c>, <c>arrowcid.dataset</c>), in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> KeyValueMetadata { get; init; } = [];

    /// <summary>
    /// How many column chunks of a row group are shredded, encoded and compressed at the same
    /// time: 0 (the default) for <see cref="Environment.ProcessorCount"/>, 1 to do everything on
    /// the calling thread. The file's bytes are the same for every value; more parallelism holds
    /// the row group's encoded chunks in memory until they are written in column order.
    /// </summary>
    public int MaxDegreeOfParallelism { get; init; }

    /// <summary>
    /// Whether top-level primitive columns are shredded in bulk (<see cref="FlatShredder"/>);
    /// false sends every column through the value-by-value walk, which tests use as the
    /// reference the bulk path must match byte for byte.
    /// </summary>
    internal bool BulkShredding { get; init; } = true;

    internal CompressionCodec Codec => Compression switch
    {
        ParquetCompression.None => CompressionCodec.Uncompressed,
        ParquetCompression.Snappy => CompressionCodec.Snappy,
        ParquetCompression.Gzip => CompressionCodec.Gzip,
        ParquetCompression.Zstd => CompressionCodec.Zstd,
        ParquetCompression.Lz4Raw => CompressionCodec.Lz4Raw,
        ParquetCompression.Brotli => CompressionCodec.Brotli,
        _ => throw new ArgumentOutOfRangeException(nameof(Compression), Compression, "unknown compression"),
    };

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(RowGroupSize, 1, nameof(RowGroupSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(PageSize, 1, nameof(PageSize));
        ArgumentOutOfRangeException.ThrowIfNegative(DictionaryPageSizeLimit, nameof(DictionaryPageSizeLimit));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxDegreeOfParallelism, nameof(MaxDegreeOfParallelism));
        if (DataPageVersion is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException(nameof(DataPageVersion), DataPageVersion, "data page version must be 1 or 2");
        }
        ArgumentNullException.ThrowIfNull(ColumnEncodings, nameof(ColumnEncodings));
        ArgumentNullException.ThrowIfNull(KeyValueMetadata, nameof(KeyValueMetadata));
        _ = Codec;
    }
}
