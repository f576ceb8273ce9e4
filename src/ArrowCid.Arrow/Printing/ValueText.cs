using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Printing;

/// <summary>Readable text of one slot of any array; nested values are written recursively into one builder.</summary>
internal static class ValueText
{
    public static void Append(StringBuilder sb, ArrayData array, int index)
    {
        if (array.IsNull(index))
        {
            sb.Append("null");
            return;
        }

        var type = array.Type.PhysicalType;
        var inv = CultureInfo.InvariantCulture;
        switch (type.Id)
        {
            case ArrowTypeId.Boolean:
                sb.Append(array.GetBoolean(index) ? "true" : "false");
                break;
            case >= ArrowTypeId.Int8 and <= ArrowTypeId.UInt64:
                sb.Append(SlotReader.Integer(array, index, type.Id).ToString(inv));
                break;
            case ArrowTypeId.Float16:
                sb.Append(BinaryPrimitives.ReadHalfLittleEndian(SlotReader.Bytes(array, index)).ToString(inv));
                break;
            case ArrowTypeId.Float32:
                sb.Append(BinaryPrimitives.ReadSingleLittleEndian(SlotReader.Bytes(array, index)).ToString(inv));
                break;
            case ArrowTypeId.Float64:
                sb.Append(BinaryPrimitives.ReadDoubleLittleEndian(SlotReader.Bytes(array, index)).ToString(inv));
                break;
            case ArrowTypeId.Decimal32 or ArrowTypeId.Decimal64 or ArrowTypeId.Decimal128 or ArrowTypeId.Decimal256:
                sb.Append(DecimalConversions.Format(DecimalConversions.Read(SlotReader.Bytes(array, index)), type.Scale));
                break;
            case ArrowTypeId.Date32:
                TemporalText.AppendDate(sb, SlotReader.Signed(array, index));
                break;
            case ArrowTypeId.Date64:
                AppendDate64(sb, SlotReader.Signed(array, index));
                break;
            case ArrowTypeId.Time32 or ArrowTypeId.Time64:
                TemporalText.AppendTimeOfDay(sb, SlotReader.Signed(array, index), type.Unit);
                break;
            case ArrowTypeId.Timestamp:
                TemporalText.AppendTimestamp(sb, SlotReader.Signed(array, index), type.Unit, type.TimeZone);
                break;
            case ArrowTypeId.Duration:
                TemporalText.AppendDuration(sb, SlotReader.Signed(array, index), type.Unit);
                break;
            case ArrowTypeId.IntervalYearMonth or ArrowTypeId.IntervalDayTime or ArrowTypeId.IntervalMonthDayNano:
                AppendInterval(sb, ValueReader.Get(array, index)!);
                break;
            case ArrowTypeId.Utf8 or ArrowTypeId.LargeUtf8 or ArrowTypeId.Utf8View:
                sb.Append(array.GetString(index));
                break;
            case ArrowTypeId.Binary or ArrowTypeId.LargeBinary or ArrowTypeId.BinaryView or ArrowTypeId.FixedSizeBinary:
                sb.Append(Convert.ToHexStringLower(array.GetBytes(index)));
                break;
            case ArrowTypeId.List or ArrowTypeId.LargeList or ArrowTypeId.ListView or ArrowTypeId.LargeListView or ArrowTypeId.FixedSizeList:
                AppendList(sb, array, index);
                break;
            case ArrowTypeId.Map:
                AppendMap(sb, array, index);
                break;
            case ArrowTypeId.Struct:
                AppendStruct(sb, array, type, index);
                break;
            case ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion:
            {
                var (child, childIndex) = array.UnionChildSlot(index);
                Append(sb, array.Children[child], childIndex);
                break;
            }

            case ArrowTypeId.Dictionary:
                Append(sb, array.Dictionary!, SlotReader.DictionaryIndex(array, index));
                break;
            case ArrowTypeId.RunEndEncoded:
                Append(sb, array.Children[1], array.RunIndex(index));
                break;
            default:
                sb.Append("null");
                break;
        }
    }

    private static void AppendDate64(StringBuilder sb, long ms)
    {
        long days = (long)TemporalConversions.FloorDiv(ms, TemporalConversions.MillisecondsPerDay);
        long rest = TemporalConversions.FloorMod(ms, TemporalConversions.MillisecondsPerDay);
        TemporalText.AppendDate(sb, days);
        if (rest != 0)
        {
            // Date64 should be whole days; show the stray time rather than hide it.
            sb.Append('T');
            TemporalText.AppendTimeOfDay(sb, rest, TimeUnit.Millisecond);
        }
    }

    private static void AppendInterval(StringBuilder sb, object value)
    {
        var inv = CultureInfo.InvariantCulture;
        switch (value)
        {
            case int months:
                sb.Append(months.ToString(inv)).Append('M');
                break;
            case DayTimeInterval dt:
                sb.Append(dt.Days.ToString(inv)).Append('d').Append(dt.Milliseconds.ToString(inv)).Append("ms");
                break;
            case MonthDayNanoInterval mdn:
                sb.Append(mdn.Months.ToString(inv)).Append('M').Append(mdn.Days.ToString(inv)).Append('d')
                  .Append(mdn.Nanoseconds.ToString(inv)).Append("ns");
                break;
            default:
                sb.Append(value);
                break;
        }
    }

    private static void AppendList(StringBuilder sb, ArrayData array, int index)
    {
        var (start, end) = SlotReader.ListRange(array, index);
        sb.Append('[');
        for (int j = start; j < end; j++)
        {
            if (j > start)
            {
                sb.Append(", ");
            }

            Append(sb, array.Children[0], j);
        }

        sb.Append(']');
    }

    private static void AppendMap(StringBuilder sb, ArrayData array, int index)
    {
        var (start, end) = SlotReader.ListRange(array, index);
        var entries = array.Children[0];
        sb.Append('{');
        for (int j = start; j < end; j++)
        {
            if (j > start)
            {
                sb.Append(", ");
            }

            Append(sb, entries.Children[0], j);
            sb.Append(": ");
            Append(sb, entries.Children[1], j);
        }

        sb.Append('}');
    }

    private static void AppendStruct(StringBuilder sb, ArrayData array, ArrowType type, int index)
    {
        sb.Append('{');
        for (int i = 0; i < array.Children.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            sb.Append(type.Children[i].Name).Append(": ");
            Append(sb, array.Children[i], index);
        }

        sb.Append('}');
    }
}
