using System.Buffers.Binary;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Printing;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Parquet.Reading;

/// <summary>
/// Turns an array read with natural types into the exact type an <c>ARROW:schema</c> entry names.
/// Same layouts are relabelled without copying (time zones, durations stored as INT64, field
/// names, extensions over their storage); nested types recurse; everything else (large and view
/// variants, dictionaries, other units or decimal widths, date64) goes through the natural CLR
/// value of each slot and the Arrow builder - one generic path for every conversion.
/// </summary>
internal static class ArrowTypeRestorer
{
    /// <summary>Whether arrays of <paramref name="natural"/> can be turned into <paramref name="target"/>.</summary>
    public static bool CanRestore(ArrowType natural, ArrowType target)
    {
        ArrowType storage = target.Id == ArrowTypeId.Extension ? target.StorageType! : target;
        if (storage.Id == ArrowTypeId.Dictionary)
        {
            storage = storage.ValueType!;
        }
        if (natural.Id == ArrowTypeId.Extension)
        {
            natural = natural.StorageType!;
        }
        if (storage.Id == ArrowTypeId.Extension || storage.Id == ArrowTypeId.Dictionary)
        {
            return CanRestore(natural, storage);
        }
        return (Kind(natural), Kind(storage)) switch
        {
            ("struct", "struct") => natural.Children.Length == storage.Children.Length
                && natural.Children.Zip(storage.Children).All(p => CanRestore(p.First.Type, p.Second.Type)),
            ("list", "list") or ("map", "map") => CanRestore(natural.Children[0].Type, storage.Children[0].Type),
            (var a, var b) => a == b && a is not ("struct" or "list" or "map"),
        };
    }

    public static ArrayData Restore(ArrayData array, ArrowType target)
    {
        ArrowType natural = array.Type;
        if (natural.Equals(target))
        {
            return array;
        }
        if (target.Id == ArrowTypeId.Extension && target.StorageType!.Id != ArrowTypeId.Dictionary)
        {
            ArrayData storage = natural.Id == ArrowTypeId.Extension ? array.WithType(natural.StorageType!) : array;
            return Restore(storage, target.StorageType!).WithType(target);
        }
        if (natural.Id == target.Id && natural.Id is ArrowTypeId.Struct)
        {
            ArrayData[] members = [.. array.Children.Select((c, i) => Restore(c, target.Children[i].Type))];
            return new ArrayData(target, array.Length, -1, array.Offset, array.Buffers, members);
        }
        if (natural.Id == target.Id && natural.Id is ArrowTypeId.List or ArrowTypeId.Map)
        {
            return new ArrayData(target, array.Length, -1, array.Offset, array.Buffers, [Restore(array.Children[0], target.Children[0].Type)]);
        }
        if (SameLayout(natural, target))
        {
            return array.WithType(target);
        }
        if (natural.IsDecimal && target.IsDecimal && natural.Scale == target.Scale)
        {
            return ResizeDecimals(array, target);
        }
        if (TemporalScale(natural, target) is (long multiply, long divide))
        {
            return RescaleTemporal(array, target, multiply, divide);
        }
        ArrayBuilder builder = ArrayBuilder.Create(target);
        for (int i = 0; i < array.Length; i++)
        {
            builder.Append(ArrayPrinter.GetValue(array, i));
        }
        return builder.Build();
    }

    /// <summary>
    /// Copies unscaled decimal values into another storage width: sign-extended when wider, the low
    /// bytes when narrower (values the file holds came from that width). Precision is a label here,
    /// as in Arrow C++: values beyond it are kept, not rejected.
    /// </summary>
    private static ArrayData ResizeDecimals(ArrayData array, ArrowType target)
    {
        int from = array.Type.BitWidth / 8;
        int to = target.BitWidth / 8;
        // Arrays the reader assembles start at offset 0, so buffers map slot for slot.
        ReadOnlySpan<byte> source = array.Buffers[1].Span;
        byte[] values = new byte[array.Length * to];
        for (int i = 0; i < array.Length; i++)
        {
            ReadOnlySpan<byte> value = source.Slice(i * from, from);
            Span<byte> slot = values.AsSpan(i * to, to);
            slot.Fill((value[^1] & 0x80) != 0 ? (byte)0xFF : (byte)0);
            value[..Math.Min(from, to)].CopyTo(slot);
        }
        return new ArrayData(target, array.Length, array.NullCount, 0, [array.Buffers[0], values]);
    }

    /// <summary>Factors between temporal types of one kind in different units (date32 days to date64 ms included).</summary>
    private static (long Multiply, long Divide)? TemporalScale(ArrowType natural, ArrowType target)
    {
        if (natural.Id is ArrowTypeId.Date32 && target.Id is ArrowTypeId.Date64)
        {
            return (86_400_000, 1);
        }
        bool sameKind = (natural.Id is ArrowTypeId.Time32 or ArrowTypeId.Time64 && target.Id is ArrowTypeId.Time32 or ArrowTypeId.Time64)
            || (natural.Id == ArrowTypeId.Timestamp && target.Id == ArrowTypeId.Timestamp);
        if (!sameKind)
        {
            return null;
        }
        long from = UnitsPerSecond(natural.Unit);
        long to = UnitsPerSecond(target.Unit);
        return from >= to ? (1, from / to) : (to / from, 1);
    }

    private static long UnitsPerSecond(ArrowCid.Arrow.Types.TimeUnit unit) => unit switch
    {
        ArrowCid.Arrow.Types.TimeUnit.Second => 1,
        ArrowCid.Arrow.Types.TimeUnit.Millisecond => 1_000,
        ArrowCid.Arrow.Types.TimeUnit.Microsecond => 1_000_000,
        _ => 1_000_000_000,
    };

    /// <summary>Integer temporal values times <paramref name="multiply"/> over <paramref name="divide"/> (exact for what the writer produced).</summary>
    private static ArrayData RescaleTemporal(ArrayData array, ArrowType target, long multiply, long divide)
    {
        int from = array.Type.BitWidth / 8;
        int to = target.BitWidth / 8;
        ReadOnlySpan<byte> source = array.Buffers[1].Span;
        byte[] values = new byte[array.Length * to];
        for (int i = 0; i < array.Length; i++)
        {
            long value = from == 4 ? BinaryPrimitives.ReadInt32LittleEndian(source[(i * 4)..]) : BinaryPrimitives.ReadInt64LittleEndian(source[(i * 8)..]);
            long scaled = checked(value * multiply) / divide;
            if (to == 4)
            {
                BinaryPrimitives.WriteInt32LittleEndian(values.AsSpan(i * 4), checked((int)scaled));
            }
            else
            {
                BinaryPrimitives.WriteInt64LittleEndian(values.AsSpan(i * 8), scaled);
            }
        }
        return new ArrayData(target, array.Length, array.NullCount, 0, [array.Buffers[0], values]);
    }

    /// <summary>Types whose bytes mean the same value: only labels differ.</summary>
    private static bool SameLayout(ArrowType natural, ArrowType target) => (natural.Id, target.Id) switch
    {
        (ArrowTypeId.Timestamp, ArrowTypeId.Timestamp) => natural.Unit == target.Unit,
        (ArrowTypeId.Int64, ArrowTypeId.Duration) => true,
        (ArrowTypeId.Extension, _) => SameLayout(natural.StorageType!, target) || natural.StorageType!.Equals(target),
        _ => false,
    };

    private static string Kind(ArrowType type) => type.Id switch
    {
        ArrowTypeId.Struct => "struct",
        ArrowTypeId.List or ArrowTypeId.LargeList or ArrowTypeId.ListView or ArrowTypeId.LargeListView or ArrowTypeId.FixedSizeList => "list",
        ArrowTypeId.Map => "map",
        ArrowTypeId.Utf8 or ArrowTypeId.LargeUtf8 or ArrowTypeId.Utf8View => "string",
        ArrowTypeId.Binary or ArrowTypeId.LargeBinary or ArrowTypeId.BinaryView => "binary",
        ArrowTypeId.Int64 or ArrowTypeId.Duration => "int64",
        ArrowTypeId.Time32 or ArrowTypeId.Time64 => "time",
        ArrowTypeId.Date32 or ArrowTypeId.Date64 => "date",
        ArrowTypeId.Decimal32 or ArrowTypeId.Decimal64 or ArrowTypeId.Decimal128 or ArrowTypeId.Decimal256 => "decimal",
        _ => type.Id.ToString(),
    };
}
