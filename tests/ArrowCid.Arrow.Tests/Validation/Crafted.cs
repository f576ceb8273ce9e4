using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Tests.Validation;

/// <summary>Helpers that build a valid array and then break one thing about it.</summary>
internal static class Crafted
{
    public static ArrayData Build(ArrowType type, params object?[] values)
    {
        var builder = ArrayBuilder.Create(type);
        foreach (var v in values)
        {
            builder.Append(v);
        }

        return builder.Build();
    }

    public static ArrayData With(ArrayData a, int? length = null, int? nullCount = null, int? offset = null,
        IEnumerable<ReadOnlyMemory<byte>>? buffers = null, IEnumerable<ArrayData>? children = null, ArrayData? dictionary = null) =>
        new(a.Type, length ?? a.Length, nullCount ?? -1, offset ?? a.Offset, buffers ?? a.Buffers, children ?? a.Children, dictionary ?? a.Dictionary);

    public static ArrayData WithBuffer(ArrayData a, int index, ReadOnlyMemory<byte> buffer)
    {
        var buffers = a.Buffers.ToArray();
        buffers[index] = buffer;
        return With(a, buffers: buffers);
    }

    public static ArrayData WithInt32(ArrayData a, int buffer, int slot, int value)
    {
        var bytes = a.Buffers[buffer].ToArray();
        MemoryMarshal.Cast<byte, int>(bytes.AsSpan())[slot] = value;
        return WithBuffer(a, buffer, bytes);
    }

    public static ArrayData WithInt64(ArrayData a, int buffer, int slot, long value)
    {
        var bytes = a.Buffers[buffer].ToArray();
        MemoryMarshal.Cast<byte, long>(bytes.AsSpan())[slot] = value;
        return WithBuffer(a, buffer, bytes);
    }

    public static ArrayData WithChild(ArrayData a, int index, ArrayData child)
    {
        var children = a.Children.ToArray();
        children[index] = child;
        return With(a, children: children);
    }
}
