using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using ArrowCid.Arrow.Types;
using static ArrowCid.Arrow.Integration.JsonAccess;

namespace ArrowCid.Arrow.Integration;

/// <summary>
/// One <c>DATA</c> item of a fixed-width type, read into or written from its little-endian slot
/// bytes. Integers up to 32 bits are JSON numbers; 64-bit integers (and every int64-based temporal
/// type) and decimals' unscaled values are strings, so no value goes through a double.
/// </summary>
internal static class JsonFixedWidthValues
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Read(ArrowType type, JsonElement item, Span<byte> slot, string where)
    {
        switch (type.Id)
        {
            case ArrowTypeId.Int8:
                slot[0] = (byte)(sbyte)InRange(Integer(item, where), sbyte.MinValue, sbyte.MaxValue, where);
                break;
            case ArrowTypeId.UInt8:
                slot[0] = (byte)InRange(Integer(item, where), byte.MinValue, byte.MaxValue, where);
                break;
            case ArrowTypeId.Int16:
                BinaryPrimitives.WriteInt16LittleEndian(slot, (short)InRange(Integer(item, where), short.MinValue, short.MaxValue, where));
                break;
            case ArrowTypeId.UInt16:
                BinaryPrimitives.WriteUInt16LittleEndian(slot, (ushort)InRange(Integer(item, where), ushort.MinValue, ushort.MaxValue, where));
                break;
            case ArrowTypeId.Int32 or ArrowTypeId.Date32 or ArrowTypeId.Time32 or ArrowTypeId.IntervalYearMonth:
                BinaryPrimitives.WriteInt32LittleEndian(slot, Int32(item, where));
                break;
            case ArrowTypeId.UInt32:
                BinaryPrimitives.WriteUInt32LittleEndian(slot, (uint)InRange(Integer(item, where), uint.MinValue, uint.MaxValue, where));
                break;
            case ArrowTypeId.Int64 or ArrowTypeId.Date64 or ArrowTypeId.Time64 or ArrowTypeId.Timestamp or ArrowTypeId.Duration:
                BinaryPrimitives.WriteInt64LittleEndian(slot, Int64(item, where));
                break;
            case ArrowTypeId.UInt64:
                WriteTwosComplement(Integer(item, where), slot, unsigned: true, where);
                break;
            case ArrowTypeId.Float16:
                BinaryPrimitives.WriteHalfLittleEndian(slot, Half.Parse(FloatText(item, where), NumberStyles.Float, Inv));
                break;
            case ArrowTypeId.Float32:
                // Parsed straight from the text: going through double could round twice.
                BinaryPrimitives.WriteSingleLittleEndian(slot, float.Parse(FloatText(item, where), NumberStyles.Float, Inv));
                break;
            case ArrowTypeId.Float64:
                BinaryPrimitives.WriteDoubleLittleEndian(slot, double.Parse(FloatText(item, where), NumberStyles.Float, Inv));
                break;
            case ArrowTypeId.Decimal32 or ArrowTypeId.Decimal64 or ArrowTypeId.Decimal128 or ArrowTypeId.Decimal256:
                WriteTwosComplement(Integer(item, where), slot, unsigned: false, where);
                break;
            case ArrowTypeId.IntervalDayTime:
                BinaryPrimitives.WriteInt32LittleEndian(slot, Int32(Required(item, "days", where), $"{where} days"));
                BinaryPrimitives.WriteInt32LittleEndian(slot[4..], Int32(Required(item, "milliseconds", where), $"{where} milliseconds"));
                break;
            case ArrowTypeId.IntervalMonthDayNano:
                BinaryPrimitives.WriteInt32LittleEndian(slot, Int32(Required(item, "months", where), $"{where} months"));
                BinaryPrimitives.WriteInt32LittleEndian(slot[4..], Int32(Required(item, "days", where), $"{where} days"));
                BinaryPrimitives.WriteInt64LittleEndian(slot[8..], Int64(Required(item, "nanoseconds", where), $"{where} nanoseconds"));
                break;
            case ArrowTypeId.FixedSizeBinary:
            {
                byte[] bytes = Hex(item, where);
                if (bytes.Length != slot.Length)
                {
                    throw new ArrowFormatException($"{where}: {bytes.Length} bytes in a fixed_size_binary[{slot.Length}]");
                }

                bytes.CopyTo(slot);
                break;
            }

            default:
                throw new ArrowFormatException($"{where}: {type} has no fixed-width JSON values");
        }
    }

    public static void Write(Utf8JsonWriter w, ArrowType type, ReadOnlySpan<byte> slot)
    {
        switch (type.Id)
        {
            case ArrowTypeId.Int8:
                w.WriteNumberValue((sbyte)slot[0]);
                break;
            case ArrowTypeId.UInt8:
                w.WriteNumberValue(slot[0]);
                break;
            case ArrowTypeId.Int16:
                w.WriteNumberValue(BinaryPrimitives.ReadInt16LittleEndian(slot));
                break;
            case ArrowTypeId.UInt16:
                w.WriteNumberValue(BinaryPrimitives.ReadUInt16LittleEndian(slot));
                break;
            case ArrowTypeId.Int32 or ArrowTypeId.Date32 or ArrowTypeId.Time32 or ArrowTypeId.IntervalYearMonth:
                w.WriteNumberValue(BinaryPrimitives.ReadInt32LittleEndian(slot));
                break;
            case ArrowTypeId.UInt32:
                w.WriteNumberValue(BinaryPrimitives.ReadUInt32LittleEndian(slot));
                break;
            case ArrowTypeId.Int64 or ArrowTypeId.Date64 or ArrowTypeId.Time64 or ArrowTypeId.Timestamp or ArrowTypeId.Duration:
                w.WriteStringValue(BinaryPrimitives.ReadInt64LittleEndian(slot).ToString(Inv));
                break;
            case ArrowTypeId.UInt64:
                w.WriteStringValue(BinaryPrimitives.ReadUInt64LittleEndian(slot).ToString(Inv));
                break;
            case ArrowTypeId.Float16:
                WriteFloat(w, (double)BinaryPrimitives.ReadHalfLittleEndian(slot), BinaryPrimitives.ReadHalfLittleEndian(slot).ToString("R", Inv));
                break;
            case ArrowTypeId.Float32:
                WriteFloat(w, BinaryPrimitives.ReadSingleLittleEndian(slot), BinaryPrimitives.ReadSingleLittleEndian(slot).ToString("R", Inv));
                break;
            case ArrowTypeId.Float64:
                WriteFloat(w, BinaryPrimitives.ReadDoubleLittleEndian(slot), BinaryPrimitives.ReadDoubleLittleEndian(slot).ToString("R", Inv));
                break;
            case ArrowTypeId.Decimal32 or ArrowTypeId.Decimal64 or ArrowTypeId.Decimal128 or ArrowTypeId.Decimal256:
                w.WriteStringValue(new BigInteger(slot, isUnsigned: false, isBigEndian: false).ToString(Inv));
                break;
            case ArrowTypeId.IntervalDayTime:
                w.WriteStartObject();
                w.WriteNumber("days", BinaryPrimitives.ReadInt32LittleEndian(slot));
                w.WriteNumber("milliseconds", BinaryPrimitives.ReadInt32LittleEndian(slot[4..]));
                w.WriteEndObject();
                break;
            case ArrowTypeId.IntervalMonthDayNano:
                w.WriteStartObject();
                w.WriteNumber("months", BinaryPrimitives.ReadInt32LittleEndian(slot));
                w.WriteNumber("days", BinaryPrimitives.ReadInt32LittleEndian(slot[4..]));
                w.WriteNumber("nanoseconds", BinaryPrimitives.ReadInt64LittleEndian(slot[8..]));
                w.WriteEndObject();
                break;
            case ArrowTypeId.FixedSizeBinary:
                w.WriteStringValue(Convert.ToHexString(slot));
                break;
            default:
                throw new ArgumentException($"{type} has no fixed-width JSON values", nameof(type));
        }
    }

    /// <summary>Finite floats as JSON numbers in shortest round-trip form; NaN and infinities as strings (JSON numbers cannot hold them).</summary>
    private static void WriteFloat(Utf8JsonWriter w, double value, string roundTrip)
    {
        if (double.IsFinite(value))
        {
            w.WriteRawValue(roundTrip, skipInputValidation: true);
        }
        else
        {
            w.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }

    private static void WriteTwosComplement(BigInteger value, Span<byte> slot, bool unsigned, string where)
    {
        var max = unsigned ? (BigInteger.One << (slot.Length * 8)) - 1 : (BigInteger.One << ((slot.Length * 8) - 1)) - 1;
        var min = unsigned ? BigInteger.Zero : -(BigInteger.One << ((slot.Length * 8) - 1));
        if (value < min || value > max)
        {
            throw new ArrowFormatException($"{where}: {value} does not fit in {slot.Length * 8} bits");
        }

        slot.Fill(value.Sign < 0 ? (byte)0xFF : (byte)0);
        // Minimal little-endian two's complement, then the sign extension already in place fills the rest.
        value.TryWriteBytes(slot, out _, isUnsigned: unsigned, isBigEndian: false);
    }
}
