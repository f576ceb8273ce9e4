using System.Buffers.Binary;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Printing;

/// <summary>
/// One slot of any array as a natural CLR value (the inverse of what <see cref="ArrayBuilder"/> accepts).
/// Values a CLR type cannot hold exactly fall back to their raw storage (see <see cref="ArrayPrinter.GetValue"/>).
/// </summary>
internal static class ValueReader
{
    public static object? Get(ArrayData array, int index)
    {
        if (array.IsNull(index))
        {
            return null;
        }

        var type = array.Type.PhysicalType;
        switch (type.Id)
        {
            case ArrowTypeId.Boolean: return array.GetBoolean(index);
            case ArrowTypeId.Int8: return (sbyte)SlotReader.Bytes(array, index)[0];
            case ArrowTypeId.UInt8: return SlotReader.Bytes(array, index)[0];
            case ArrowTypeId.Int16: return BinaryPrimitives.ReadInt16LittleEndian(SlotReader.Bytes(array, index));
            case ArrowTypeId.UInt16: return BinaryPrimitives.ReadUInt16LittleEndian(SlotReader.Bytes(array, index));
            case ArrowTypeId.Int32 or ArrowTypeId.IntervalYearMonth: return BinaryPrimitives.ReadInt32LittleEndian(SlotReader.Bytes(array, index));
            case ArrowTypeId.UInt32: return BinaryPrimitives.ReadUInt32LittleEndian(SlotReader.Bytes(array, index));
            case ArrowTypeId.Int64: return BinaryPrimitives.ReadInt64LittleEndian(SlotReader.Bytes(array, index));
            case ArrowTypeId.UInt64: return BinaryPrimitives.ReadUInt64LittleEndian(SlotReader.Bytes(array, index));
            case ArrowTypeId.Float16: return BinaryPrimitives.ReadHalfLittleEndian(SlotReader.Bytes(array, index));
            case ArrowTypeId.Float32: return BinaryPrimitives.ReadSingleLittleEndian(SlotReader.Bytes(array, index));
            case ArrowTypeId.Float64: return BinaryPrimitives.ReadDoubleLittleEndian(SlotReader.Bytes(array, index));
            case ArrowTypeId.Decimal32 or ArrowTypeId.Decimal64 or ArrowTypeId.Decimal128 or ArrowTypeId.Decimal256:
            {
                var unscaled = DecimalConversions.Read(SlotReader.Bytes(array, index));
                return DecimalConversions.TryToDecimal(unscaled, type.Scale) is decimal d ? d : new ArrowDecimal(unscaled, type.Scale);
            }

            case ArrowTypeId.Date32: return Date(SlotReader.Signed(array, index), SlotReader.Signed(array, index));
            case ArrowTypeId.Date64:
            {
                long ms = SlotReader.Signed(array, index);
                return Date((long)TemporalConversions.FloorDiv(ms, TemporalConversions.MillisecondsPerDay), ms);
            }

            case ArrowTypeId.Time32 or ArrowTypeId.Time64:
            {
                long raw = SlotReader.Signed(array, index);
                return TemporalConversions.ToTicks(raw, type.Unit) is long t && t >= 0 && t < TimeSpan.TicksPerDay ? new TimeOnly(t) : raw;
            }

            case ArrowTypeId.Timestamp: return Timestamp(SlotReader.Signed(array, index), type);
            case ArrowTypeId.Duration:
            {
                long raw = SlotReader.Signed(array, index);
                return TemporalConversions.ToTicks(raw, type.Unit) is long t ? TimeSpan.FromTicks(t) : raw;
            }

            case ArrowTypeId.IntervalDayTime:
            {
                var bytes = SlotReader.Bytes(array, index);
                return new DayTimeInterval(BinaryPrimitives.ReadInt32LittleEndian(bytes), BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]));
            }

            case ArrowTypeId.IntervalMonthDayNano:
            {
                var bytes = SlotReader.Bytes(array, index);
                return new MonthDayNanoInterval(BinaryPrimitives.ReadInt32LittleEndian(bytes), BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]), BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]));
            }

            case ArrowTypeId.Utf8 or ArrowTypeId.LargeUtf8 or ArrowTypeId.Utf8View: return array.GetString(index);
            case ArrowTypeId.Binary or ArrowTypeId.LargeBinary or ArrowTypeId.BinaryView or ArrowTypeId.FixedSizeBinary:
                return array.GetBytes(index).ToArray();
            case ArrowTypeId.List or ArrowTypeId.LargeList or ArrowTypeId.ListView or ArrowTypeId.LargeListView or ArrowTypeId.FixedSizeList:
            {
                var (start, end) = SlotReader.ListRange(array, index);
                var items = new object?[end - start];
                for (int j = start; j < end; j++)
                {
                    items[j - start] = Get(array.Children[0], j);
                }

                return items;
            }

            case ArrowTypeId.Map: return MapEntries(array, index);
            case ArrowTypeId.Struct: return Struct(array, type, index);
            case ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion:
            {
                var (child, childIndex) = array.UnionChildSlot(index);
                return Get(array.Children[child], childIndex);
            }

            case ArrowTypeId.Dictionary: return Get(array.Dictionary!, SlotReader.DictionaryIndex(array, index));
            case ArrowTypeId.RunEndEncoded: return Get(array.Children[1], array.RunIndex(index));
            default: return null;
        }
    }

    private static object Date(long days, long raw)
    {
        long dayNumber = days + TemporalConversions.EpochDayNumber;
        return dayNumber >= DateOnly.MinValue.DayNumber && dayNumber <= DateOnly.MaxValue.DayNumber ? DateOnly.FromDayNumber((int)dayNumber) : raw;
    }

    private static object Timestamp(long raw, ArrowType type)
    {
        if (TemporalConversions.ToTicks(raw, type.Unit) is not long ticks
            || ticks > DateTime.MaxValue.Ticks - TemporalConversions.EpochTicks
            || ticks < -TemporalConversions.EpochTicks)
        {
            return raw;
        }

        var utc = new DateTime(TemporalConversions.EpochTicks + ticks, type.TimeZone is null ? DateTimeKind.Unspecified : DateTimeKind.Utc);
        // Zoned timestamps are instants (DateTimeOffset at UTC); zone-less ones are wall-clock DateTimes.
        return type.TimeZone is null ? utc : (object)new DateTimeOffset(utc);
    }

    private static List<KeyValuePair<object?, object?>> MapEntries(ArrayData array, int index)
    {
        var (start, end) = SlotReader.ListRange(array, index);
        var entries = array.Children[0];
        var result = new List<KeyValuePair<object?, object?>>(end - start);
        for (int j = start; j < end; j++)
        {
            result.Add(new(Get(entries.Children[0], j), Get(entries.Children[1], j)));
        }

        return result;
    }

    private static object Struct(ArrayData array, ArrowType type, int index)
    {
        var names = type.Children.Select(f => f.Name).ToList();
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count)
        {
            // Repeated member names cannot key a dictionary: fall back to position.
            return array.Children.Select(c => Get(c, index)).ToArray();
        }

        var result = new Dictionary<string, object?>(names.Count, StringComparer.Ordinal);
        for (int i = 0; i < names.Count; i++)
        {
            result[names[i]] = Get(array.Children[i], index);
        }

        return result;
    }
}
