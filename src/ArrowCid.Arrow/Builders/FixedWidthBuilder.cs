using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Builders;

/// <summary>
/// Every fixed-width type (integers, floats, decimals, dates, times, timestamps, durations,
/// intervals, fixed-size binary): a validity bitmap and slots of the type's width, each value
/// converted from its natural CLR form by one table (not a class per type).
/// </summary>
public class FixedWidthBuilder : ArrayBuilder
{
    private readonly BitBuffer _validity = new();

    /// <summary>Creates a builder for a fixed-width <paramref name="type"/>.</summary>
    public FixedWidthBuilder(ArrowType type) : base(type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var layout = type.Layout;
        if (layout.Buffers.Length != 2 || layout.Buffers[1] != BufferKind.FixedWidth)
        {
            throw new ArgumentException($"{type} is not a fixed-width type", nameof(type));
        }

        ByteWidth = layout.ValueBitWidth / 8;
    }

    /// <summary>Bytes per slot.</summary>
    private protected int ByteWidth { get; }

    /// <summary>The slot bytes appended so far.</summary>
    private protected GrowableBuffer Values { get; } = new();

    /// <summary>The validity bits appended so far.</summary>
    private protected BitBuffer Validity => _validity;

    /// <inheritdoc/>
    public override int Length => _validity.Length;

    /// <inheritdoc/>
    public override void AppendNull()
    {
        _validity.Append(false);
        Values.AppendZeros(ByteWidth);
    }

    /// <inheritdoc/>
    public override ArrayData Build()
    {
        int length = Length, nulls = _validity.ZeroCount;
        return new ArrayData(Type, length, nulls, 0, [_validity.BuildValidity(), Values.Build()]);
    }

    /// <inheritdoc/>
    private protected override void AppendValue(object value)
    {
        var slot = Values.Append(ByteWidth);
        try
        {
            FixedWidthEncoder.Write(Type.PhysicalType, value, slot);
        }
        catch
        {
            // Leave the builder as it was: drop the half-written slot.
            Values.Truncate(Values.Length - ByteWidth);
            throw;
        }

        _validity.Append(true);
    }
}
