using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Arrays;

/// <summary>
/// Concatenates arrays of one type into a new array with offset 0 (used for delta dictionaries
/// and for merging batches). One walk over <see cref="TypeLayout"/>, not a method per type.
/// </summary>
public static class ArrayConcatenation
{
    /// <summary>Concatenates <paramref name="arrays"/> (all of the same type) in order.</summary>
    public static ArrayData Concatenate(IReadOnlyList<ArrayData> arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        if (arrays.Count == 0)
        {
            throw new ArgumentException("nothing to concatenate", nameof(arrays));
        }

        var type = arrays[0].Type;
        foreach (var a in arrays)
        {
            if (!a.Type.Equals(type))
            {
                throw new ArgumentException($"cannot concatenate {a.Type} with {type}", nameof(arrays));
            }
        }

        if (arrays.Count == 1 && arrays[0].Offset == 0)
        {
            return arrays[0];
        }

        return Join(arrays, type);
    }

    /// <summary>
    /// A copy of <paramref name="array"/> in fresh managed memory (dictionaries and children too),
    /// for keeping values past the life of the memory they were read from.
    /// </summary>
    public static ArrayData Copy(ArrayData array)
    {
        ArgumentNullException.ThrowIfNull(array);
        return Join([array], array.Type);
    }

    private static ArrayData Join(IReadOnlyList<ArrayData> arrays, ArrowType type)
    {
        int total = checked(arrays.Sum(a => a.Length));
        var physical = type.PhysicalType;
        var layout = physical.Layout;
        var buffers = new List<ReadOnlyMemory<byte>>();
        var children = new List<ArrayData>();
        ArrayData? dictionary = null;

        if (layout.HasValidity)
        {
            buffers.Add(ConcatValidity(arrays, total));
        }

        switch (physical.Id)
        {
            case ArrowTypeId.Null:
                break;
            case ArrowTypeId.Boolean:
                buffers.Add(ConcatBits(arrays, total, a => a.Buffers[1].Span));
                break;
            case ArrowTypeId.Binary or ArrowTypeId.Utf8 or ArrowTypeId.LargeBinary or ArrowTypeId.LargeUtf8:
            {
                bool large = layout.Buffers[1] == BufferKind.Offsets64;
                var data = new List<ReadOnlyMemory<byte>>();
                buffers.Add(ConcatOffsets(arrays, large, (a, first, last) => data.Add(a.Buffers[2].Slice((int)first, (int)(last - first)))));
                buffers.Add(Join(data));
                break;
            }

            case ArrowTypeId.List or ArrowTypeId.Map or ArrowTypeId.LargeList:
            {
                var parts = new List<ArrayData>();
                buffers.Add(ConcatOffsets(arrays, physical.Id == ArrowTypeId.LargeList, (a, first, last) => parts.Add(a.Children[0].Slice((int)first, (int)(last - first)))));
                // All inputs empty: the child is empty too, but keeps its type.
                children.Add(parts.Count == 0 ? arrays[0].Children[0].Slice(0, 0) : Concatenate(parts));
                break;
            }

            case ArrowTypeId.ListView or ArrowTypeId.LargeListView:
            {
                bool large = physical.Id == ArrowTypeId.LargeListView;
                int w = large ? 8 : 4;
                var offsets = new byte[total * w];
                var sizes = new List<ReadOnlyMemory<byte>>();
                long shift = 0;
                int at = 0;
                foreach (var a in arrays)
                {
                    for (int i = 0; i < a.Length; i++, at++)
                    {
                        var (start, _) = a.GetListRange(i);
                        WriteInt(offsets, at, w, start + shift);
                    }

                    sizes.Add(a.Buffers[2].Slice(a.Offset * w, a.Length * w));
                    shift += a.Children[0].Length;
                }

                buffers.Add(offsets);
                buffers.Add(Join(sizes));
                children.Add(Concatenate([.. arrays.Select(a => a.Children[0])]));
                break;
            }

            case ArrowTypeId.BinaryView or ArrowTypeId.Utf8View:
            {
                var views = new byte[total * 16];
                var variadic = new List<ReadOnlyMemory<byte>>();
                int at = 0;
                foreach (var a in arrays)
                {
                    int bufferShift = variadic.Count;
                    a.Buffers[1].Span.Slice(a.Offset * 16, a.Length * 16).CopyTo(views.AsSpan(at * 16));
                    for (int i = 0; i < a.Length; i++)
                    {
                        var view = views.AsSpan((at + i) * 16, 16);
                        if (BinaryPrimitives.ReadInt32LittleEndian(view) > 12)
                        {
                            BinaryPrimitives.WriteInt32LittleEndian(view[8..], BinaryPrimitives.ReadInt32LittleEndian(view[8..]) + bufferShift);
                        }
                    }

                    for (int b = 2; b < a.Buffers.Length; b++)
                    {
                        variadic.Add(a.Buffers[b]);
                    }

                    at += a.Length;
                }

                buffers.Add(views);
                buffers.AddRange(variadic);
                break;
            }

            case ArrowTypeId.FixedSizeList:
                children.Add(Concatenate([.. arrays.Select(a => a.Children[0].Slice(a.Offset * physical.ListSize, a.Length * physical.ListSize))]));
                break;
            case ArrowTypeId.Struct or ArrowTypeId.SparseUnion:
                if (physical.Id == ArrowTypeId.SparseUnion)
                {
                    buffers.Add(Join([.. arrays.Select(a => a.Buffers[0].Slice(a.Offset, a.Length))]));
                }

                for (int c = 0; c < physical.Children.Length; c++)
                {
                    children.Add(Concatenate([.. arrays.Select(a => a.Children[c].Slice(0, a.Length))]));
                }

                break;
            case ArrowTypeId.DenseUnion:
            {
                buffers.Add(Join([.. arrays.Select(a => a.Buffers[0].Slice(a.Offset, a.Length))]));
                var offsets = new int[total];
                var shift = new int[physical.Children.Length];
                int at = 0;
                foreach (var a in arrays)
                {
                    for (int i = 0; i < a.Length; i++)
                    {
                        var (child, childIndex) = a.UnionChildSlot(i);
                        offsets[at++] = checked(childIndex + shift[child]);
                    }

                    for (int c = 0; c < shift.Length; c++)
                    {
                        shift[c] = checked(shift[c] + a.Children[c].Length);
                    }
                }

                buffers.Add(MemoryMarshal.AsBytes(offsets.AsSpan()).ToArray());
                for (int c = 0; c < physical.Children.Length; c++)
                {
                    children.Add(Concatenate([.. arrays.Select(a => a.Children[c])]));
                }

                break;
            }

            case ArrowTypeId.RunEndEncoded:
            {
                var runs = arrays.Select(BodyPlanner.SliceRuns).ToList();
                var endType = physical.Children[0].Type;
                int w = endType.BitWidth / 8;
                int count = runs.Sum(r => r.RunEnds.Length);
                var ends = new byte[count * w];
                long shift = 0;
                int at = 0;
                for (int k = 0; k < runs.Count; k++)
                {
                    for (int i = 0; i < runs[k].RunEnds.Length; i++)
                    {
                        WriteInt(ends, at++, w, IntegerSlots.RunEnd(runs[k].RunEnds, runs[k].RunEnds.Offset + i) + shift);
                    }

                    shift += arrays[k].Length;
                }

                children.Add(new ArrayData(endType, count, 0, 0, [ReadOnlyMemory<byte>.Empty, ends]));
                children.Add(Concatenate([.. runs.Select(r => r.Values)]));
                break;
            }

            case ArrowTypeId.Dictionary:
            {
                int w = layout.ValueBitWidth / 8;
                if (arrays.All(a => ReferenceEquals(a.Dictionary, arrays[0].Dictionary)))
                {
                    buffers.Add(Join([.. arrays.Select(a => a.Buffers[1].Slice(a.Offset * w, a.Length * w))]));
                    dictionary = arrays[0].Dictionary;
                }
                else
                {
                    // Different dictionaries: append them and shift each array's indices past the earlier ones.
                    var indices = new byte[total * w];
                    long shift = 0;
                    int at = 0;
                    foreach (var a in arrays)
                    {
                        for (int i = 0; i < a.Length; i++, at++)
                        {
                            long index = a.IsValid(i) ? ReadInt(a.Buffers[1].Span, a.Offset + i, w, physical.IndexType!.IsSignedInteger) + shift : 0;
                            WriteInt(indices, at, w, index);
                        }

                        shift += a.Dictionary!.Length;
                    }

                    buffers.Add(indices);
                    dictionary = Concatenate([.. arrays.Select(a => a.Dictionary!)]);
                }

                break;
            }

            default:
            {
                int w = layout.ValueBitWidth / 8;
                buffers.Add(Join([.. arrays.Select(a => a.Buffers[1].Slice(a.Offset * w, a.Length * w))]));
                break;
            }
        }

        return new ArrayData(type, total, -1, 0, buffers, children, dictionary);
    }

    private static ReadOnlyMemory<byte> ConcatValidity(IReadOnlyList<ArrayData> arrays, int total)
    {
        if (arrays.All(a => a.NullCount == 0))
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        var bits = new byte[BitUtil.BytesForBits(total)];
        int at = 0;
        foreach (var a in arrays)
        {
            for (int i = 0; i < a.Length; i++, at++)
            {
                if (a.IsValid(i))
                {
                    BitUtil.SetBit(bits, at, true);
                }
            }
        }

        return bits;
    }

    private static byte[] ConcatBits(IReadOnlyList<ArrayData> arrays, int total, Func<ArrayData, ReadOnlySpan<byte>> source)
    {
        var bits = new byte[BitUtil.BytesForBits(total)];
        int at = 0;
        foreach (var a in arrays)
        {
            var span = source(a);
            for (int i = 0; i < a.Length; i++, at++)
            {
                if (BitUtil.GetBit(span, a.Offset + i))
                {
                    BitUtil.SetBit(bits, at, true);
                }
            }
        }

        return bits;
    }

    private static byte[] ConcatOffsets(IReadOnlyList<ArrayData> arrays, bool large, Action<ArrayData, long, long> onRange)
    {
        int w = large ? 8 : 4;
        int total = arrays.Sum(a => a.Length);
        var offsets = new byte[(total + 1) * w];
        long running = 0;
        int at = 0;
        foreach (var a in arrays)
        {
            if (a.Length == 0)
            {
                continue;
            }

            var span = a.Buffers[1].Span;
            long first = ReadInt(span, a.Offset, w, true);
            long last = ReadInt(span, a.Offset + a.Length, w, true);
            for (int i = 0; i < a.Length; i++)
            {
                WriteInt(offsets, at++, w, running + (ReadInt(span, a.Offset + i, w, true) - first));
            }

            running += last - first;
            if (!large && running > int.MaxValue)
            {
                throw new OverflowException("concatenated data exceeds 32-bit offsets; use a large type");
            }

            onRange(a, first, last);
        }

        WriteInt(offsets, at, w, running);
        return offsets;
    }

    private static ReadOnlyMemory<byte> Join(List<ReadOnlyMemory<byte>> parts)
    {
        if (parts.Count == 1)
        {
            return parts[0];
        }

        var result = new byte[parts.Sum(p => (long)p.Length)];
        int at = 0;
        foreach (var p in parts)
        {
            p.Span.CopyTo(result.AsSpan(at));
            at += p.Length;
        }

        return result;
    }

    private static long ReadInt(ReadOnlySpan<byte> span, int index, int width, bool signed) => width switch
    {
        1 => signed ? (sbyte)span[index] : span[index],
        2 => signed ? BinaryPrimitives.ReadInt16LittleEndian(span[(index * 2)..]) : BinaryPrimitives.ReadUInt16LittleEndian(span[(index * 2)..]),
        4 => signed ? BinaryPrimitives.ReadInt32LittleEndian(span[(index * 4)..]) : BinaryPrimitives.ReadUInt32LittleEndian(span[(index * 4)..]),
        _ => BinaryPrimitives.ReadInt64LittleEndian(span[(index * 8)..]),
    };

    private static void WriteInt(Span<byte> span, int index, int width, long value)
    {
        switch (width)
        {
            case 1: span[index] = (byte)value; break;
            case 2: BinaryPrimitives.WriteInt16LittleEndian(span[(index * 2)..], (short)value); break;
            case 4: BinaryPrimitives.WriteInt32LittleEndian(span[(index * 4)..], checked((int)value)); break;
            default: BinaryPrimitives.WriteInt64LittleEndian(span[(index * 8)..], value); break;
        }
    }
}
