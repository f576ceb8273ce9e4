namespace ArrowCid.Parquet.Writing;

/// <summary>
/// Running min, max and null count of a page or column chunk. Values larger than
/// <see cref="MaxValueBytes"/> make min/max unavailable (the null count stays), so huge binary
/// values never bloat the footer or the column index.
/// </summary>
internal sealed class StatisticsAccumulator
{
    public const int MaxValueBytes = 4096;

    private readonly StatisticsOrder _order;
    private byte[]? _min;
    private byte[]? _max;
    private bool _tooLarge;

    public StatisticsAccumulator(StatisticsOrder order) => _order = order;

    public long NullCount { get; private set; }

    /// <summary>Whether min and max are known (some non-NaN value was seen and none was too large).</summary>
    public bool HasMinMax => _min is not null && !_tooLarge && _order != StatisticsOrder.None;

    public byte[] Min => StatisticsComparer.AdjustZero(_order, (byte[])_min!.Clone(), isMin: true);

    public byte[] Max => StatisticsComparer.AdjustZero(_order, (byte[])_max!.Clone(), isMin: false);

    public void AddNulls(long count) => NullCount += count;

    public void Add(ReadOnlySpan<byte> value)
    {
        if (_order == StatisticsOrder.None || _tooLarge || StatisticsComparer.IsNaN(_order, value))
        {
            return;
        }
        if (value.Length > MaxValueBytes)
        {
            _tooLarge = true;
            return;
        }
        if (_min is null || StatisticsComparer.Compare(_order, value, _min) < 0)
        {
            _min = value.ToArray();
        }
        if (_max is null || StatisticsComparer.Compare(_order, value, _max) > 0)
        {
            _max = value.ToArray();
        }
    }

    public void Merge(StatisticsAccumulator other)
    {
        NullCount += other.NullCount;
        _tooLarge |= other._tooLarge;
        if (other._min is not null)
        {
            Add(other._min);
            Add(other._max!);
        }
    }

    public Metadata.Statistics ToThrift(bool withMinMax) => new()
    {
        NullCount = NullCount,
        MinValue = withMinMax && HasMinMax ? Min : null,
        MaxValue = withMinMax && HasMinMax ? Max : null,
    };
}
