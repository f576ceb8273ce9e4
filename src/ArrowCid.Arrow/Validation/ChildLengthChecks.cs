using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Validation;

/// <summary>Lengths of children that are indexed without offsets: aligned members and fixed-size list items.</summary>
internal static class ChildLengthChecks
{
    /// <summary>
    /// Struct and sparse union members are aligned with the parent's logical slots (slicing the
    /// parent slices them, see <see cref="ArrayData"/>), so each needs at least the parent's length.
    /// </summary>
    public static void CheckAligned(ArrayData array, ArrowType type, ValidationPath path)
    {
        for (int i = 0; i < array.Children.Length; i++)
        {
            if (array.Children[i].Length < array.Length)
            {
                throw path.Error($"child {i} '{type.Children[i].Name}' has {array.Children[i].Length} slots, needs {array.Length}");
            }
        }
    }

    /// <summary>Slot i owns child items [i·n, (i+1)·n) counted from the parent's offset.</summary>
    public static void CheckFixedSizeList(ArrayData array, ArrowType type, ValidationPath path)
    {
        long needed = ((long)array.Offset + array.Length) * type.ListSize;
        if (array.Children[0].Length < needed)
        {
            throw path.Error($"child has {array.Children[0].Length} slots, needs {needed} for {array.Length} lists of {type.ListSize} at offset {array.Offset}");
        }
    }
}
