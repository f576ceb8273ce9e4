namespace ArrowCid.Parquet.Metadata;

// The enums of parquet.thrift, with the numbers the format gives them. Values read from a file
// are kept even when this build does not know them (newer writers); they are rejected only where
// they are used (a codec lookup, a decoder).
#pragma warning disable CA1008 // zero means what parquet.thrift says it means
#pragma warning disable CA1028 // the wire type is i32 and these mirror it
#pragma warning disable CA1720 // names follow the spec (INT32, DOUBLE, …)

/// <summary>Physical storage types (parquet.thrift <c>Type</c>).</summary>
public enum PhysicalType
{
    /// <summary>1 bit per value.</summary>
    Boolean = 0,
    /// <summary>32-bit signed integer.</summary>
    Int32 = 1,
    /// <summary>64-bit signed integer.</summary>
    Int64 = 2,
    /// <summary>Deprecated 96-bit timestamp (nanos of day + Julian day).</summary>
    Int96 = 3,
    /// <summary>IEEE 32-bit float.</summary>
    Float = 4,
    /// <summary>IEEE 64-bit float.</summary>
    Double = 5,
    /// <summary>Variable-length bytes.</summary>
    ByteArray = 6,
    /// <summary>Fixed-length bytes (<see cref="SchemaElement.TypeLength"/>).</summary>
    FixedLenByteArray = 7,
}

/// <summary>Deprecated type annotations (parquet.thrift <c>ConvertedType</c>).</summary>
public enum ConvertedType
{
    /// <summary>UTF-8 string.</summary>
    Utf8 = 0,
    /// <summary>Map.</summary>
    Map = 1,
    /// <summary>Map key/value group.</summary>
    MapKeyValue = 2,
    /// <summary>List.</summary>
    List = 3,
    /// <summary>Enum.</summary>
    Enum = 4,
    /// <summary>Decimal (precision and scale on the schema element).</summary>
    Decimal = 5,
    /// <summary>Days since the epoch.</summary>
    Date = 6,
    /// <summary>Milliseconds since midnight.</summary>
    TimeMillis = 7,
    /// <summary>Microseconds since midnight.</summary>
    TimeMicros = 8,
    /// <summary>Milliseconds since the epoch.</summary>
    TimestampMillis = 9,
    /// <summary>Microseconds since the epoch.</summary>
    TimestampMicros = 10,
    /// <summary>Unsigned 8-bit.</summary>
    UInt8 = 11,
    /// <summary>Unsigned 16-bit.</summary>
    UInt16 = 12,
    /// <summary>Unsigned 32-bit.</summary>
    UInt32 = 13,
    /// <summary>Unsigned 64-bit.</summary>
    UInt64 = 14,
    /// <summary>Signed 8-bit.</summary>
    Int8 = 15,
    /// <summary>Signed 16-bit.</summary>
    Int16 = 16,
    /// <summary>Signed 32-bit.</summary>
    Int32 = 17,
    /// <summary>Signed 64-bit.</summary>
    Int64 = 18,
    /// <summary>JSON document.</summary>
    Json = 19,
    /// <summary>BSON document.</summary>
    Bson = 20,
    /// <summary>Months/days/millis interval in FIXED(12).</summary>
    Interval = 21,
}

/// <summary>Repetition of a schema field (parquet.thrift <c>FieldRepetitionType</c>).</summary>
public enum FieldRepetitionType
{
    /// <summary>Exactly one value per parent.</summary>
    Required = 0,
    /// <summary>Zero or one value per parent.</summary>
    Optional = 1,
    /// <summary>Zero or more values per parent.</summary>
    Repeated = 2,
}

/// <summary>Value and level encodings (parquet.thrift <c>Encoding</c>).</summary>
public enum Encoding
{
    /// <summary>Plain.</summary>
    Plain = 0,
    /// <summary>Deprecated dictionary encoding (indices as RLE).</summary>
    PlainDictionary = 2,
    /// <summary>RLE / bit-packing hybrid.</summary>
    Rle = 3,
    /// <summary>Deprecated MSB-first bit packing (levels only).</summary>
    BitPacked = 4,
    /// <summary>Delta binary packed integers.</summary>
    DeltaBinaryPacked = 5,
    /// <summary>Delta-encoded lengths followed by the bytes.</summary>
    DeltaLengthByteArray = 6,
    /// <summary>Prefix lengths plus delta-length suffixes.</summary>
    DeltaByteArray = 7,
    /// <summary>Dictionary indices as RLE.</summary>
    RleDictionary = 8,
    /// <summary>Byte stream split.</summary>
    ByteStreamSplit = 9,
}

/// <summary>Page compression (parquet.thrift <c>CompressionCodec</c>).</summary>
public enum CompressionCodec
{
    /// <summary>No compression.</summary>
    Uncompressed = 0,
    /// <summary>Snappy raw format.</summary>
    Snappy = 1,
    /// <summary>Gzip (one or more members).</summary>
    Gzip = 2,
    /// <summary>LZO (not supported).</summary>
    Lzo = 3,
    /// <summary>Brotli.</summary>
    Brotli = 4,
    /// <summary>Deprecated Hadoop-framed LZ4 (not supported).</summary>
    Lz4 = 5,
    /// <summary>Zstandard.</summary>
    Zstd = 6,
    /// <summary>LZ4 block format without framing.</summary>
    Lz4Raw = 7,
}

/// <summary>Kinds of page (parquet.thrift <c>PageType</c>).</summary>
public enum PageType
{
    /// <summary>Version 1 data page.</summary>
    DataPage = 0,
    /// <summary>Index page (unused by writers).</summary>
    IndexPage = 1,
    /// <summary>Dictionary page.</summary>
    DictionaryPage = 2,
    /// <summary>Version 2 data page.</summary>
    DataPageV2 = 3,
}

/// <summary>Ordering of the page bounds in a <see cref="ColumnIndex"/>.</summary>
public enum BoundaryOrder
{
    /// <summary>No order.</summary>
    Unordered = 0,
    /// <summary>Ascending.</summary>
    Ascending = 1,
    /// <summary>Descending.</summary>
    Descending = 2,
}

/// <summary>Time unit of TIME and TIMESTAMP logical types (parquet.thrift union <c>TimeUnit</c>).</summary>
public enum TimeUnit
{
    /// <summary>Milliseconds.</summary>
    Millis = 1,
    /// <summary>Microseconds.</summary>
    Micros = 2,
    /// <summary>Nanoseconds.</summary>
    Nanos = 3,
}
