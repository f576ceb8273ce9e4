using ArrowCid.Arrow.Types;

namespace ArrowCid.Parquet.Reading;

/// <summary>How a <see cref="ParquetReader"/> maps Parquet to Arrow.</summary>
public sealed record ParquetReadOptions
{
    /// <summary>The defaults.</summary>
    public static ParquetReadOptions Default { get; } = new();

    /// <summary>
    /// Unit of the timestamps INT96 columns become. Microseconds (the default) keep the precision
    /// Spark and Impala write and hold years ±290,000; nanoseconds match pyarrow but hold only
    /// 1677..2262. A value outside the unit's range is never wrapped or clamped: see
    /// <see cref="Int96OutOfRangeAsNull"/>.
    /// </summary>
    public TimeUnit Int96TimestampUnit { get; init; } = TimeUnit.Microsecond;

    /// <summary>
    /// True (the default): an INT96 value the timestamp unit cannot hold reads as null - the
    /// instant is unknown to Arrow, and a wrapped or clamped value would be wrong. False: such a
    /// value fails the read with <see cref="ParquetFormatException"/>.
    /// </summary>
    public bool Int96OutOfRangeAsNull { get; init; } = true;

    /// <summary>Whether an <c>ARROW:schema</c> footer entry restores the exact Arrow types it names.</summary>
    public bool UseArrowSchema { get; init; } = true;
}
