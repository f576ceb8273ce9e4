using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Tests.NodeInterop;

/// <summary>
/// The "expected values" form shared with interop/node/lib/arrow-values.mjs: every slot as plain JSON,
/// from the raw stored values, so both sides can be compared exactly without either library's
/// conveniences (dates as objects, timestamps as lossy milliseconds):
/// <list type="bullet">
/// <item>null slots (and the Null type) → null; booleans → true/false;</item>
/// <item>every integer (8..64-bit, signed or not), date32 days, date64 ms, times, timestamps and durations in
/// their unit, year-month months → decimal string; decimals → the unscaled integer as a decimal string;</item>
/// <item>float16/32/64 → the JSON number of the value widened to double; NaN, Infinity, -Infinity → those strings;</item>
/// <item>day-time → [days, ms], month-day-nano → [months, days, ns] (decimal strings);</item>
/// <item>utf8 (any) → string; binary, large binary, fixed-size binary → lower-case hex;</item>
/// <item>lists (any) → array; structs → array of member values (positional: names may repeat or be empty);
/// maps → array of [key, value]; unions → the selected member's value; dictionaries → the decoded value;
/// run-end encoded → the run's value; extensions → their storage value.</item>
/// </list>
/// </summary>
internal static class ExpectedValues
{
    public static JsonArray Column(ArrayData array)
    {
        var values = new JsonArray();
        for (int i = 0; i < array.Length; i++)
        {
            values.Add(Value(array, i));
        }

        return values;
    }

    public static JsonNode? Value(ArrayData array, int i)
    {
        var type = array.Type.PhysicalType;
        if (type.Id == ArrowTypeId.Null || array.IsNull(i))
        {
            return null;
        }

        switch (type.Id)
        {
            case ArrowTypeId.Boolean: return JsonValue.Create(array.GetBoolean(i));
            case ArrowTypeId.Int8: return Text(array.GetValues<sbyte>()[i]);
            case ArrowTypeId.UInt8: return Text(array.GetValues<byte>()[i]);
            case ArrowTypeId.Int16: return Text(array.GetValues<short>()[i]);
            case ArrowTypeId.UInt16: return Text(array.GetValues<ushort>()[i]);
            case ArrowTypeId.Int32 or ArrowTypeId.Date32 or ArrowTypeId.Time32 or ArrowTypeId.IntervalYearMonth: return Text(array.GetValues<int>()[i]);
            case ArrowTypeId.UInt32: return Text(array.GetValues<uint>()[i]);
            case ArrowTypeId.Int64 or ArrowTypeId.Date64 or ArrowTypeId.Time64 or ArrowTypeId.Timestamp or ArrowTypeId.Duration: return Text(array.GetValues<long>()[i]);
            case ArrowTypeId.UInt64: return Text(array.GetValues<ulong>()[i]);
            case ArrowTypeId.Float16: return Number((double)array.GetValues<Half>()[i]);
            case ArrowTypeId.Float32: return Number(array.GetValues<float>()[i]);
            case ArrowTypeId.Float64: return Number(array.GetValues<double>()[i]);
            case ArrowTypeId.Decimal32 or ArrowTypeId.Decimal64 or ArrowTypeId.Decimal128 or ArrowTypeId.Decimal256:
            {
                int width = type.BitWidth / 8;
                var bytes = array.GetValues<byte>().Slice(i * width, width);
                return new BigInteger(bytes, isUnsigned: false, isBigEndian: false).ToString(CultureInfo.InvariantCulture);
            }

            case ArrowTypeId.IntervalDayTime:
            {
                var v = array.GetValues<int>();
                return new JsonArray(Text(v[2 * i]), Text(v[(2 * i) + 1]));
            }

            case ArrowTypeId.IntervalMonthDayNano:
            {
                var b = array.GetValues<byte>().Slice(i * 16, 16);
                return new JsonArray(
                    Text(BinaryPrimitives.ReadInt32LittleEndian(b)),
                    Text(BinaryPrimitives.ReadInt32LittleEndian(b[4..])),
                    Text(BinaryPrimitives.ReadInt64LittleEndian(b[8..])));
            }

            case ArrowTypeId.Utf8 or ArrowTypeId.LargeUtf8 or ArrowTypeId.Utf8View: return JsonValue.Create(array.GetString(i));
            case ArrowTypeId.Binary or ArrowTypeId.LargeBinary or ArrowTypeId.BinaryView or ArrowTypeId.FixedSizeBinary:
                return JsonValue.Create(Convert.ToHexStringLower(array.GetBytes(i)));
            case ArrowTypeId.List or ArrowTypeId.LargeList or ArrowTypeId.ListView or ArrowTypeId.LargeListView or ArrowTypeId.FixedSizeList:
            {
                var (start, end) = array.GetListRange(i);
                var items = new JsonArray();
                for (long j = start; j < end; j++)
                {
                    items.Add(Value(array.Children[0], (int)j));
                }

                return items;
            }

            case ArrowTypeId.Map:
            {
                var (start, end) = array.GetListRange(i);
                var entries = array.Children[0];
                var pairs = new JsonArray();
                for (long j = start; j < end; j++)
                {
                    pairs.Add(new JsonArray(Value(entries.Children[0], (int)j), Value(entries.Children[1], (int)j)));
                }

                return pairs;
            }

            case ArrowTypeId.Struct:
            {
                var members = new JsonArray();
                foreach (var child in array.Children)
                {
                    members.Add(Value(child, i));
                }

                return members;
            }

            case ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion:
            {
                var (child, childIndex) = array.UnionChildSlot(i);
                return Value(array.Children[child], childIndex);
            }

            case ArrowTypeId.Dictionary: return Value(array.Dictionary!, checked((int)DictionaryIndex(array, type, i)));
            case ArrowTypeId.RunEndEncoded: return Value(array.Children[1], array.RunIndex(i));
            default: throw new NotSupportedException($"no expected-value form for {array.Type}");
        }
    }

    /// <summary>Whether two expected-value trees are equal (JSON numbers by value, everything else by text).</summary>
    public static bool SameValue(JsonNode? expected, JsonNode? actual, string path, out string? difference)
    {
        difference = null;
        switch (expected, actual)
        {
            case (null, null):
                return true;
            case (JsonArray e, JsonArray a):
                if (e.Count != a.Count)
                {
                    difference = $"{path}: expected {e.Count} items, found {a.Count} ({Show(expected)} vs {Show(actual)})";
                    return false;
                }

                for (int k = 0; k < e.Count; k++)
                {
                    if (!SameValue(e[k], a[k], $"{path}[{k}]", out difference))
                    {
                        return false;
                    }
                }

                return true;
            case (JsonValue e, JsonValue a) when e.GetValueKind() == JsonValueKind.Number && a.GetValueKind() == JsonValueKind.Number:
                if (e.GetValue<double>().Equals(a.GetValue<double>()))
                {
                    return true;
                }

                break;
            case (JsonValue e, JsonValue a) when e.GetValueKind() == a.GetValueKind() && e.ToJsonString() == a.ToJsonString():
                return true;
        }

        difference = $"{path}: expected {Show(expected)}, found {Show(actual)}";
        return false;
    }

    private static string Show(JsonNode? node) => node?.ToJsonString() ?? "null";

    private static JsonValue Text<T>(T value) where T : IFormattable => JsonValue.Create(value.ToString(null, CultureInfo.InvariantCulture));

    private static JsonValue Number(double value) =>
        double.IsFinite(value) ? JsonValue.Create(value) : JsonValue.Create(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");

    private static long DictionaryIndex(ArrayData array, ArrowType type, int i) => type.IndexType!.Id switch
    {
        ArrowTypeId.Int8 => array.GetValues<sbyte>()[i],
        ArrowTypeId.UInt8 => array.GetValues<byte>()[i],
        ArrowTypeId.Int16 => array.GetValues<short>()[i],
        ArrowTypeId.UInt16 => array.GetValues<ushort>()[i],
        ArrowTypeId.Int32 => array.GetValues<int>()[i],
        ArrowTypeId.UInt32 => array.GetValues<uint>()[i],
        ArrowTypeId.Int64 => array.GetValues<long>()[i],
        _ => checked((long)array.GetValues<ulong>()[i]),
    };
}
