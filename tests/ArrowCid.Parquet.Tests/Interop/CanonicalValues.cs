using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Parquet.Tests.Interop;

/// <summary>
/// The expected-values form shared with interop/node/test/parquet-interop.test.mjs (the form of
/// interop/node/lib/arrow-values.mjs): integers, dates, times and timestamps as decimal strings
/// of their stored value, decimals as the unscaled integer, floats as numbers, lists as arrays,
/// structs as positional arrays, maps as [key, value] pairs, binary as upper-case hex.
/// </summary>
internal static class CanonicalValues
{
    public static JsonNode? Value(ArrayData array, int i)
    {
        ArrowType type = array.Type.PhysicalType;
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
            case ArrowTypeId.Int32 or ArrowTypeId.Date32 or ArrowTypeId.Time32: return Text(array.GetValues<int>()[i]);
            case ArrowTypeId.UInt32: return Text(array.GetValues<uint>()[i]);
            case ArrowTypeId.Int64 or ArrowTypeId.Time64 or ArrowTypeId.Timestamp or ArrowTypeId.Duration or ArrowTypeId.Date64: return Text(array.GetValues<long>()[i]);
            case ArrowTypeId.UInt64: return Text(array.GetValues<ulong>()[i]);
            case ArrowTypeId.Float32: return JsonValue.Create((double)array.GetValues<float>()[i]);
            case ArrowTypeId.Float64: return JsonValue.Create(array.GetValues<double>()[i]);
            case ArrowTypeId.Decimal128 or ArrowTypeId.Decimal256:
            {
                int width = type.BitWidth / 8;
                var unscaled = new BigInteger(array.Buffers[1].Span.Slice((array.Offset + i) * width, width), isUnsigned: false, isBigEndian: false);
                return unscaled.ToString(CultureInfo.InvariantCulture);
            }
            case ArrowTypeId.Utf8 or ArrowTypeId.LargeUtf8 or ArrowTypeId.Utf8View: return array.GetString(i);
            case ArrowTypeId.Binary or ArrowTypeId.LargeBinary or ArrowTypeId.BinaryView or ArrowTypeId.FixedSizeBinary:
                return Convert.ToHexString(array.GetBytes(i));
            case ArrowTypeId.List or ArrowTypeId.LargeList:
            {
                (long start, long end) = array.GetListRange(i);
                var items = new JsonArray();
                for (long j = start; j < end; j++)
                {
                    items.Add(Value(array.Children[0], (int)j));
                }
                return items;
            }
            case ArrowTypeId.Map:
            {
                (long start, long end) = array.GetListRange(i);
                ArrayData entries = array.Children[0];
                var pairs = new JsonArray();
                for (long j = start; j < end; j++)
                {
                    pairs.Add(new JsonArray(Value(entries.Children[0], (int)j), Value(entries.Children[1], (int)j)));
                }
                return pairs;
            }
            case ArrowTypeId.Struct:
                return new JsonArray([.. array.Children.Select(c => Value(c, i))]);
            default:
                throw new NotSupportedException(type.ToString());
        }
    }

    private static JsonNode Text<T>(T value) where T : IFormattable => value.ToString(null, CultureInfo.InvariantCulture);
}
