using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Validation;

/// <summary>Every type id must be one of the type's codes; dense offsets must fall inside the child they select.</summary>
internal static class UnionChecks
{
    public static void Check(ArrayData array, ArrowType type, ValidationPath path)
    {
        bool dense = type.Id == ArrowTypeId.DenseUnion;
        if (!dense)
        {
            ChildLengthChecks.CheckAligned(array, type, path);
        }

        // Code → child position for all 256 byte values; -1 where the code is not declared.
        Span<int> childOf = stackalloc int[256];
        childOf.Fill(-1);
        for (int c = 0; c < type.TypeCodes.Length; c++)
        {
            childOf[(byte)type.TypeCodes[c]] = c;
        }

        var typeIds = array.Buffers[0].Span;
        var offsets = dense ? MemoryMarshal.Cast<byte, int>(array.Buffers[1].Span) : default;
        for (int i = array.Offset; i < array.Offset + array.Length; i++)
        {
            int child = childOf[typeIds[i]];
            if (child < 0)
            {
                throw path.Error($"type id {(sbyte)typeIds[i]} at slot {i - array.Offset} is not one of the union's codes");
            }

            if (dense && (offsets[i] < 0 || offsets[i] >= array.Children[child].Length))
            {
                throw path.Error($"union offset {offsets[i]} at slot {i - array.Offset} is outside child {child} of {array.Children[child].Length} slots");
            }
        }
    }
}
