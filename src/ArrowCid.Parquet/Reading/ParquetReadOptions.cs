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

    /// <summary>
    /// Rows in one batch of <see cref="ParquetReader.ReadAll"/> at most. Default 65,536, the batch
    /// size of Arrow C++'s and arrow-rs's Parquet readers. A batch also ends sooner when its
    /// columns' decoded pages reach about <see cref="ParquetReader.TargetBatchBytes"/>, so wide
    /// rows give shorter batches and memory follows the batch, never the row group.
    /// </summary>
    public int BatchRows { get; init; } = 65_536;

    /// <summary>
    /// Decoded bytes the reader may hold at once (default: no limit): pages decompressed, and the
    /// levels and values decoded from them and not yet handed out in a batch. A page is taken at
    /// the size its header claims before it is decompressed, and values before they are
    /// allocated, so a small page that expands to gigabytes is refused before the memory exists,
    /// with a <see cref="ParquetFormatException"/> naming this limit. A node reading uploads sets it.
    /// </summary>
    public long MaxDecodedBytesHeld { get; init; } = long.MaxValue;

    /// <summary>
    /// Decoded bytes the reader may produce in all (default: no limit), counted as for
    /// <see cref="MaxDecodedBytesHeld"/>; this bounds the work a small file can ask for.
    /// </summary>
    public long MaxDecodedBytesPerReader { get; init; } = long.MaxValue;
}
