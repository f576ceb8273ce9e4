using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Validation;

/// <summary>
/// Checks that the array's shape fits its type before any buffer is looked at: parameters that
/// would overflow the layout, child counts, and each child's type equal to the field's.
/// </summary>
internal static class TypeShapeChecks
{
    private const int MaxDecimalScale = 255;

    public static void Check(ArrayData array, ArrowType type, ValidationPath path)
    {
        if ((long)array.Offset + array.Length > int.MaxValue)
        {
            throw path.Error($"offset {array.Offset} + length {array.Length} exceeds {int.MaxValue}");
        }

        if (type.Id == ArrowTypeId.FixedSizeBinary && type.ByteWidth > int.MaxValue / 8)
        {
            throw path.Error($"fixed-size binary width {type.ByteWidth} is too large");
        }

        // Readers and printers scale by 10^scale: keep it bounded so hostile metadata cannot make them hang.
        if (type.IsDecimal && (type.Precision < 1 || type.Precision > ArrowType.MaxDecimalPrecision(type.Id) || Math.Abs((long)type.Scale) > MaxDecimalScale))
        {
            throw path.Error($"decimal precision {type.Precision} / scale {type.Scale} is out of range");
        }

        int expectedChildren = type.Id switch
        {
            ArrowTypeId.List or ArrowTypeId.LargeList or ArrowTypeId.ListView or ArrowTypeId.LargeListView
                or ArrowTypeId.FixedSizeList or ArrowTypeId.Map => 1,
            ArrowTypeId.RunEndEncoded => 2,
            _ => type.Children.Length,
        };
        if (type.Children.Length != expectedChildren)
        {
            throw path.Error($"type {type.Id} declares {type.Children.Length} child fields, needs {expectedChildren}");
        }

        if (array.Children.Length != expectedChildren)
        {
            throw path.Error($"has {array.Children.Length} children, the type {type} needs {expectedChildren}");
        }

        for (int i = 0; i < expectedChildren; i++)
        {
            if (!array.Children[i].Type.Equals(type.Children[i].Type))
            {
                throw path.Error($"child {i} has type {array.Children[i].Type}, the field '{type.Children[i].Name}' says {type.Children[i].Type}");
            }
        }

        if (type.Id == ArrowTypeId.Map
            && (type.Children[0].Type.Id != ArrowTypeId.Struct || type.Children[0].Type.Children.Length != 2))
        {
            throw path.Error("map entries must be a struct of two fields (key, value)");
        }

        if (type.IsUnion && type.TypeCodes.Length != type.Children.Length)
        {
            throw path.Error($"union declares {type.TypeCodes.Length} type codes for {type.Children.Length} children");
        }

        if (type.Id == ArrowTypeId.RunEndEncoded
            && type.Children[0].Type.Id is not (ArrowTypeId.Int16 or ArrowTypeId.Int32 or ArrowTypeId.Int64))
        {
            throw path.Error($"run ends must be int16, int32 or int64, not {type.Children[0].Type}");
        }

        if (type.Id == ArrowTypeId.Dictionary && (type.IndexType is null || !type.IndexType.IsInteger || type.ValueType is null))
        {
            throw path.Error("dictionary type needs an integer index type and a value type");
        }
    }
}
