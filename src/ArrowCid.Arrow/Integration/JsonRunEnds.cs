using System.Buffers.Binary;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Integration;

/// <summary>
/// A sliced run-end encoded array cannot be written as it is: its run ends count from the
/// unsliced start. This rebuilds the runs that cover the slice, ends counted from 0.
/// </summary>
internal static class JsonRunEnds
{
    public static ArrayData Materialize(ArrayData array)
    {
        var runEnds = array.Children[0];
        var values = array.Children[1];
        if (array.Offset == 0 && runEnds.Offset == 0 && runEnds.Length > 0
            && IntegerSlots.RunEnd(runEnds, runEnds.Length - 1) == array.Length)
        {
            return array;
        }

        int first = array.Length == 0 ? 0 : array.RunIndex(0);
        int count = array.Length == 0 ? 0 : array.RunIndex(array.Length - 1) - first + 1;
        int width = runEnds.Type.BitWidth / 8;
        var ends = new byte[count * width];
        for (int r = 0; r < count; r++)
        {
            long end = Math.Min(IntegerSlots.RunEnd(runEnds, runEnds.Offset + first + r) - array.Offset, array.Length);
            var slot = ends.AsSpan(r * width, width);
            switch (width)
            {
                case 2:
                    BinaryPrimitives.WriteInt16LittleEndian(slot, (short)end);
                    break;
                case 4:
                    BinaryPrimitives.WriteInt32LittleEndian(slot, (int)end);
                    break;
                default:
                    BinaryPrimitives.WriteInt64LittleEndian(slot, end);
                    break;
            }
        }

        var newRunEnds = new ArrayData(runEnds.Type, count, 0, 0, [ReadOnlyMemory<byte>.Empty, ends]);
        return new ArrayData(array.Type, array.Length, 0, 0, [], [newRunEnds, values.Slice(first, count)]);
    }
}
