using System.Buffers.Binary;
using ArrowCid.Arrow.Arrays;

namespace ArrowCid.Arrow.Validation;

/// <summary>
/// Binary and UTF-8 views: each 16-byte view is (length, prefix, buffer index, offset) or, up to
/// 12 bytes, (length, inline data). Out-of-line views must point inside a variadic buffer.
/// </summary>
internal static class ViewChecks
{
    private const int InlineLimit = 12;

    public static void Check(ArrayData array, ValidationLevel level, ValidationPath path)
    {
        var views = array.Buffers[1].Span;
        int variadicCount = array.Buffers.Length - 2;
        for (int i = array.Offset; i < array.Offset + array.Length; i++)
        {
            var view = views.Slice(i * 16, 16);
            int length = BinaryPrimitives.ReadInt32LittleEndian(view);
            if (length < 0)
            {
                throw path.Error($"view at slot {i - array.Offset} has negative length {length}");
            }

            if (length <= InlineLimit)
            {
                continue;
            }

            int bufferIndex = BinaryPrimitives.ReadInt32LittleEndian(view[8..]);
            int offset = BinaryPrimitives.ReadInt32LittleEndian(view[12..]);
            if (bufferIndex < 0 || bufferIndex >= variadicCount)
            {
                throw path.Error($"view at slot {i - array.Offset} names data buffer {bufferIndex}, the array has {variadicCount}");
            }

            var data = array.Buffers[2 + bufferIndex].Span;
            if (offset < 0 || (long)offset + length > data.Length)
            {
                throw path.Error($"view at slot {i - array.Offset} (offset {offset}, length {length}) is outside data buffer {bufferIndex} of {data.Length} bytes");
            }

            if (level == ValidationLevel.Full && !view.Slice(4, 4).SequenceEqual(data.Slice(offset, 4)))
            {
                throw path.Error($"view at slot {i - array.Offset} has a prefix that differs from the first 4 bytes of its data");
            }
        }
    }
}
