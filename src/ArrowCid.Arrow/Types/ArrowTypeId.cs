namespace ArrowCid.Arrow.Types;

/// <summary>
/// Every logical type of the Arrow columnar format (apache/arrow, docs/source/format/Columnar.rst). One
/// <see cref="ArrowType"/> class carries the parameters; this id decides which apply and which
/// physical layout (<see cref="TypeLayout"/>) the arrays have.
/// </summary>
public enum ArrowTypeId
{
    /// <summary>All slots null; no buffers.</summary>
    Null,
    /// <summary>Bit-packed booleans.</summary>
    Boolean,
    /// <summary>Signed 8-bit integer.</summary>
    Int8,
    /// <summary>Signed 16-bit integer.</summary>
    Int16,
    /// <summary>Signed 32-bit integer.</summary>
    Int32,
    /// <summary>Signed 64-bit integer.</summary>
    Int64,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64,
    /// <summary>IEEE 754 half precision.</summary>
    Float16,
    /// <summary>IEEE 754 single precision.</summary>
    Float32,
    /// <summary>IEEE 754 double precision.</summary>
    Float64,
    /// <summary>Decimal stored in 32 bits (precision ≤ 9).</summary>
    Decimal32,
    /// <summary>Decimal stored in 64 bits (precision ≤ 18).</summary>
    Decimal64,
    /// <summary>Decimal stored in 128 bits (precision ≤ 38).</summary>
    Decimal128,
    /// <summary>Decimal stored in 256 bits (precision ≤ 76).</summary>
    Decimal256,
    /// <summary>Days since the UNIX epoch, 32-bit.</summary>
    Date32,
    /// <summary>Milliseconds since the UNIX epoch, 64-bit.</summary>
    Date64,
    /// <summary>Time of day in seconds or milliseconds, 32-bit.</summary>
    Time32,
    /// <summary>Time of day in microseconds or nanoseconds, 64-bit.</summary>
    Time64,
    /// <summary>Instant or wall-clock time since the epoch, 64-bit, with a unit and optional time zone.</summary>
    Timestamp,
    /// <summary>Elapsed time, 64-bit, with a unit.</summary>
    Duration,
    /// <summary>Interval in months (int32).</summary>
    IntervalYearMonth,
    /// <summary>Interval as days and milliseconds (two int32).</summary>
    IntervalDayTime,
    /// <summary>Interval as months, days (int32) and nanoseconds (int64).</summary>
    IntervalMonthDayNano,
    /// <summary>Variable-length bytes, 32-bit offsets.</summary>
    Binary,
    /// <summary>Variable-length bytes, 64-bit offsets.</summary>
    LargeBinary,
    /// <summary>UTF-8 text, 32-bit offsets.</summary>
    Utf8,
    /// <summary>UTF-8 text, 64-bit offsets.</summary>
    LargeUtf8,
    /// <summary>Variable-length bytes as 16-byte views into variadic data buffers.</summary>
    BinaryView,
    /// <summary>UTF-8 text as 16-byte views into variadic data buffers.</summary>
    Utf8View,
    /// <summary>Bytes of a fixed width.</summary>
    FixedSizeBinary,
    /// <summary>Variable-size list, 32-bit offsets.</summary>
    List,
    /// <summary>Variable-size list, 64-bit offsets.</summary>
    LargeList,
    /// <summary>List view: 32-bit offsets and sizes.</summary>
    ListView,
    /// <summary>List view: 64-bit offsets and sizes.</summary>
    LargeListView,
    /// <summary>Lists of a fixed number of values.</summary>
    FixedSizeList,
    /// <summary>Named children of equal length.</summary>
    Struct,
    /// <summary>List of key/value entries.</summary>
    Map,
    /// <summary>Union whose children all have the parent's length.</summary>
    SparseUnion,
    /// <summary>Union with an offsets buffer into its children.</summary>
    DenseUnion,
    /// <summary>Integer indices into a dictionary of values.</summary>
    Dictionary,
    /// <summary>Run-end encoded: run ends and values children.</summary>
    RunEndEncoded,
    /// <summary>A registered extension type over a storage type.</summary>
    Extension,
}

/// <summary>Unit of time types, timestamps and durations.</summary>
public enum TimeUnit
{
    /// <summary>Seconds.</summary>
    Second,
    /// <summary>Milliseconds.</summary>
    Millisecond,
    /// <summary>Microseconds.</summary>
    Microsecond,
    /// <summary>Nanoseconds.</summary>
    Nanosecond,
}
