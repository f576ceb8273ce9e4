using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Builders;

/// <summary>
/// Turns a natural CLR value into the bytes of one fixed-width slot, for every fixed-width type
/// (integers, floats, decimals, dates, times, timestamps, durations, intervals, fixed-size binary).
/// One table of conversions instead of a builder class per type.
/// </summary>
internal static class FixedWidthEncoder
{
    public static void Write(ArrowType type, object value, Span<byte> slot)
    {
        string name = type.ToString();
        switch (type.Id)
        {
            case ArrowTypeId.Int8: WriteInteger(value, sbyte.MinValue, sbyte.MaxValue, name, slot); break;
            case ArrowTypeId.Int16: WriteInteger(value, short.MinValue, short.MaxValue, name, slot); break;
            case ArrowTypeId.Int32: WriteInteger(value, int.MinValue, int.MaxValue, name, slot); break;
            case ArrowTypeId.Int64: WriteInteger(value, long.MinValue, long.MaxValue, name, slot); break;
            case ArrowTypeId.UInt8: WriteInteger(value, 0, byte.MaxValue, name, slot); break;
            case ArrowTypeId.UInt16: WriteInteger(value, 0, ushort.MaxValue, name, slot); break;
            case ArrowTypeId.UInt32: WriteInteger(value, 0, uint.MaxValue, name, slot); break;
            case ArrowTypeId.UInt64: WriteInteger(value, 0, ulong.MaxValue, name, slot); break;
            case ArrowTypeId.Float16: BinaryPrimitives.WriteHalfLittleEndian(slot, value is Half h ? h : (Half)ClrNumbers.Double(value, name)); break;
            case ArrowTypeId.Float32: BinaryPrimitives.WriteSingleLittleEndian(slot, value is float f ? f : (float)ClrNumbers.Double(value, name)); break;
            case ArrowTypeId.Float64: BinaryPrimitives.WriteDoubleLittleEndian(slot, ClrNumbers.Double(value, name)); break;
            case ArrowTypeId.Decimal32 or ArrowTypeId.Decimal64 or ArrowTypeId.Decimal128 or ArrowTypeId.Decimal256:
                DecimalConversions.Write(DecimalConversions.ToUnscaled(value, type.Scale, type.Precision), slot);
                break;
            case ArrowTypeId.Date32:
                WriteInteger(TemporalConversions.TryDays(value) ?? value, int.MinValue, int.MaxValue, name, slot);
                break;
            case ArrowTypeId.Date64:
                WriteInteger(TemporalConversions.TryDays(value) is long days ? checked(days * TemporalConversions.MillisecondsPerDay) : value, long.MinValue, long.MaxValue, name, slot);
                break;
            case ArrowTypeId.Time32 or ArrowTypeId.Time64 or ArrowTypeId.Duration:
                WriteUnitValue(type, TemporalConversions.TryElapsedTicks(value), value, name, slot);
                break;
            case ArrowTypeId.Timestamp:
                WriteUnitValue(type, TemporalConversions.TryInstantTicks(value), value, name, slot);
                break;
            case ArrowTypeId.IntervalYearMonth:
                WriteInteger(value, int.MinValue, int.MaxValue, name, slot);
                break;
            case ArrowTypeId.IntervalDayTime:
                WriteDayTime(value, slot);
                break;
            case ArrowTypeId.IntervalMonthDayNano:
                WriteMonthDayNano(value, slot);
                break;
            case ArrowTypeId.FixedSizeBinary:
                WriteFixedBytes(value, type.ByteWidth, slot);
                break;
            default:
                throw new ArgumentException($"{type} is not a fixed-width type", nameof(type));
        }
    }

    private static void WriteUnitValue(ArrowType type, long? ticks, object value, string name, Span<byte> slot)
    {
        object raw = ticks is long t ? TemporalConversions.FromTicks(t, type.Unit) : value;
        bool narrow = slot.Length == 4;
        WriteInteger(raw, narrow ? int.MinValue : long.MinValue, narrow ? int.MaxValue : long.MaxValue, name, slot);
    }

    private static void WriteInteger(object value, Int128 min, Int128 max, string name, Span<byte> slot)
    {
        var v = ClrNumbers.Integer(value, min, max, name);
        Span<byte> wide = stackalloc byte[16];
        BinaryPrimitives.WriteInt128LittleEndian(wide, v);
        // Two's complement truncation: after the range check the low bytes are the value for signed and unsigned alike.
        wide[..slot.Length].CopyTo(slot);
    }

    private static void WriteDayTime(object value, Span<byte> slot)
    {
        var (days, ms) = value switch
        {
            DayTimeInterval d => (d.Days, d.Milliseconds),
            ITuple { Length: 2 } t => ((int)ClrNumbers.Integer(t[0]!, int.MinValue, int.MaxValue, "days"), (int)ClrNumbers.Integer(t[1]!, int.MinValue, int.MaxValue, "milliseconds")),
            _ => throw new ArgumentException($"day_time_interval needs a DayTimeInterval or (days, milliseconds), got {value.GetType().Name}", nameof(value)),
        };
        BinaryPrimitives.WriteInt32LittleEndian(slot, days);
        BinaryPrimitives.WriteInt32LittleEndian(slot[4..], ms);
    }

    private static void WriteMonthDayNano(object value, Span<byte> slot)
    {
        var (months, days, nanos) = value switch
        {
            MonthDayNanoInterval m => (m.Months, m.Days, m.Nanoseconds),
            ITuple { Length: 3 } t => ((int)ClrNumbers.Integer(t[0]!, int.MinValue, int.MaxValue, "months"),
                (int)ClrNumbers.Integer(t[1]!, int.MinValue, int.MaxValue, "days"),
                (long)ClrNumbers.Integer(t[2]!, long.MinValue, long.MaxValue, "nanoseconds")),
            _ => throw new ArgumentException($"month_day_nano_interval needs a MonthDayNanoInterval or (months, days, nanoseconds), got {value.GetType().Name}", nameof(value)),
        };
        BinaryPrimitives.WriteInt32LittleEndian(slot, months);
        BinaryPrimitives.WriteInt32LittleEndian(slot[4..], days);
        BinaryPrimitives.WriteInt64LittleEndian(slot[8..], nanos);
    }

    private static void WriteFixedBytes(object value, int width, Span<byte> slot)
    {
        var bytes = ByteValues.GetOrEmpty(value, out bool ok);
        if (!ok)
        {
            throw new ArgumentException($"fixed_size_binary needs bytes, got {value.GetType().Name}", nameof(value));
        }

        if (bytes.Length != width)
        {
            throw new ArgumentException($"fixed_size_binary[{width}] needs {width} bytes, got {bytes.Length}", nameof(value));
        }

        bytes.CopyTo(slot);
    }
}
