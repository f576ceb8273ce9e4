using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Ipc;

/// <summary>The field nodes, buffers and variadic buffer counts of one record batch body, in IPC order.</summary>
internal sealed class BodyPlan
{
    public List<(long Length, long NullCount)> Nodes { get; } = [];

    public List<ReadOnlyMemory<byte>> Buffers { get; } = [];

    public List<long> VariadicCounts { get; } = [];

    public bool HasViews { get; set; }

    /// <summary>Empties the plan, keeping its lists' capacity for the next message.</summary>
    public void Clear()
    {
        Nodes.Clear();
        Buffers.Clear();
        VariadicCounts.Clear();
        HasViews = false;
    }
}

/// <summary>
/// Lays arrays out as an IPC body: walks them in depth-first pre-order, one field node per array
/// and the buffers its layout lists. IPC has no offsets, so sliced arrays are materialised here:
/// buffers whose slice starts on a byte boundary are referenced in place (no copy); bitmaps at an
/// odd bit offset are shifted and offsets not starting at zero are rebased, into new buffers.
/// </summary>
internal static class BodyPlanner
{
    public static BodyPlan Plan(RecordBatch batch) => Plan(batch, new BodyPlan());

    /// <summary>Plans <paramref name="batch"/> into <paramref name="plan"/>, which is cleared first.</summary>
    public static BodyPlan Plan(RecordBatch batch, BodyPlan plan)
    {
        plan.Clear();
        foreach (var column in batch.Columns)
        {
            Add(plan, column);
        }

        return plan;
    }

    public static BodyPlan Plan(ArrayData single) => Plan(single, new BodyPlan());

    /// <summary>Plans <paramref name="single"/> into <paramref name="plan"/>, which is cleared first.</summary>
    public static BodyPlan Plan(ArrayData single, BodyPlan plan)
    {
        plan.Clear();
        Add(plan, single);
        return plan;
    }

    private static void Add(BodyPlan plan, ArrayData a)
    {
        var type = a.Type.PhysicalType;
        int off = a.Offset, len = a.Length;
        long nullCount = type.Id switch
        {
            ArrowTypeId.Null => len,
            ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion or ArrowTypeId.RunEndEncoded => 0,
            _ => a.NullCount,
        };
        plan.Nodes.Add((len, nullCount));

        var layout = a.Layout;
        if (layout.HasValidity)
        {
            plan.Buffers.Add(nullCount == 0 ? ReadOnlyMemory<byte>.Empty : Bits(a.Buffers[0], off, len));
        }

        switch (type.Id)
        {
            case ArrowTypeId.Null:
                break;
            case ArrowTypeId.Boolean:
                plan.Buffers.Add(Bits(a.Buffers[1], off, len));
                break;
            case ArrowTypeId.Binary or ArrowTypeId.Utf8:
            {
                var (offsets, first, last) = Offsets32(a.Buffers[1], off, len);
                plan.Buffers.Add(offsets);
                plan.Buffers.Add(a.Buffers[2].Slice(first, last - first));
                break;
            }

            case ArrowTypeId.LargeBinary or ArrowTypeId.LargeUtf8:
            {
                var (offsets, first, last) = Offsets64(a.Buffers[1], off, len);
                plan.Buffers.Add(offsets);
                plan.Buffers.Add(a.Buffers[2].Slice(checked((int)first), checked((int)(last - first))));
                break;
            }

            case ArrowTypeId.BinaryView or ArrowTypeId.Utf8View:
                plan.HasViews = true;
                plan.Buffers.Add(a.Buffers[1].Slice(off * 16, len * 16));
                plan.VariadicCounts.Add(a.Buffers.Length - 2);
                for (int i = 2; i < a.Buffers.Length; i++)
                {
                    plan.Buffers.Add(a.Buffers[i]);
                }

                break;
            case ArrowTypeId.List or ArrowTypeId.Map:
            {
                var (offsets, first, last) = Offsets32(a.Buffers[1], off, len);
                plan.Buffers.Add(offsets);
                Add(plan, a.Children[0].Slice(first, last - first));
                break;
            }

            case ArrowTypeId.LargeList:
            {
                var (offsets, first, last) = Offsets64(a.Buffers[1], off, len);
                plan.Buffers.Add(offsets);
                Add(plan, a.Children[0].Slice(checked((int)first), checked((int)(last - first))));
                break;
            }

            case ArrowTypeId.ListView or ArrowTypeId.LargeListView:
            {
                int w = type.Id == ArrowTypeId.ListView ? 4 : 8;
                plan.Buffers.Add(a.Buffers[1].Slice(off * w, len * w));
                plan.Buffers.Add(a.Buffers[2].Slice(off * w, len * w));
                Add(plan, a.Children[0]);
                break;
            }

            case ArrowTypeId.FixedSizeList:
                Add(plan, a.Children[0].Slice(checked(off * type.ListSize), checked(len * type.ListSize)));
                break;
            case ArrowTypeId.Struct:
                foreach (var child in a.Children)
                {
                    Add(plan, Aligned(child, len));
                }

                break;
            case ArrowTypeId.SparseUnion:
                plan.Buffers.Add(a.Buffers[0].Slice(off, len));
                foreach (var child in a.Children)
                {
                    Add(plan, Aligned(child, len));
                }

                break;
            case ArrowTypeId.DenseUnion:
                plan.Buffers.Add(a.Buffers[0].Slice(off, len));
                plan.Buffers.Add(a.Buffers[1].Slice(off * 4, len * 4));
                foreach (var child in a.Children)
                {
                    Add(plan, child);
                }

                break;
            case ArrowTypeId.RunEndEncoded:
            {
                var (runEnds, values) = SliceRuns(a);
                Add(plan, runEnds);
                Add(plan, values);
                break;
            }

            default:
            {
                // Fixed-width values, including dictionary indices and fixed-size binary.
                int w = layout.ValueBitWidth / 8;
                plan.Buffers.Add(a.Buffers[1].Slice(checked(off * w), checked(len * w)));
                break;
            }
        }
    }

    /// <summary>Struct and sparse-union children are aligned with the parent; cut any excess.</summary>
    private static ArrayData Aligned(ArrayData child, int length) => child.Length == length ? child : child.Slice(0, length);

    /// <summary>The bitmap of slots [off, off+len): a view when byte-aligned, else a shifted copy.</summary>
    internal static ReadOnlyMemory<byte> Bits(ReadOnlyMemory<byte> bits, int off, int len)
    {
        int bytes = (int)BitUtil.BytesForBits(len);
        if ((off & 7) == 0)
        {
            return bits.Slice(off >> 3, bytes);
        }

        var copy = new byte[bytes];
        BitUtil.CopyBits(bits.Span, off, len, copy);
        return copy;
    }

    private static (ReadOnlyMemory<byte> Offsets, int First, int Last) Offsets32(ReadOnlyMemory<byte> buffer, int off, int len)
    {
        if (len == 0)
        {
            return (new byte[4], 0, 0);
        }

        var source = MemoryMarshal.Cast<byte, int>(buffer.Span).Slice(off, len + 1);
        int first = source[0], last = source[len];
        if (first == 0)
        {
            return (buffer.Slice(off * 4, (len + 1) * 4), first, last);
        }

        var rebased = new int[len + 1];
        for (int i = 0; i <= len; i++)
        {
            rebased[i] = source[i] - first;
        }

        return (MemoryMarshal.AsBytes(rebased.AsSpan()).ToArray(), first, last);
    }

    private static (ReadOnlyMemory<byte> Offsets, long First, long Last) Offsets64(ReadOnlyMemory<byte> buffer, int off, int len)
    {
        if (len == 0)
        {
            return (new byte[8], 0, 0);
        }

        var source = MemoryMarshal.Cast<byte, long>(buffer.Span).Slice(off, len + 1);
        long first = source[0], last = source[len];
        if (first == 0)
        {
            return (buffer.Slice(off * 8, (len + 1) * 8), first, last);
        }

        var rebased = new long[len + 1];
        for (int i = 0; i <= len; i++)
        {
            rebased[i] = source[i] - first;
        }

        return (MemoryMarshal.AsBytes(rebased.AsSpan()).ToArray(), first, last);
    }

    /// <summary>
    /// The runs covering a run-end encoded array's logical slots [Offset, Offset+Length), with run
    /// ends rewritten relative to the slice (IPC run-end arrays have no offset of their own).
    /// </summary>
    internal static (ArrayData RunEnds, ArrayData Values) SliceRuns(ArrayData a)
    {
        var runEnds = a.Children[0];
        var values = a.Children[1];
        if (a.Length == 0)
        {
            return (runEnds.Slice(0, 0), values.Slice(0, 0));
        }

        int firstRun = a.RunIndex(0);
        int lastRun = a.RunIndex(a.Length - 1);
        int count = lastRun - firstRun + 1;
        if (a.Offset == 0 && firstRun == 0 && count == runEnds.Length && IntegerSlots.RunEnd(runEnds, runEnds.Offset + lastRun) == a.Length)
        {
            return (runEnds, values);
        }

        int width = runEnds.Type.BitWidth / 8;
        var ends = new byte[count * width];
        for (int i = 0; i < count; i++)
        {
            long end = Math.Min(IntegerSlots.RunEnd(runEnds, runEnds.Offset + firstRun + i) - a.Offset, a.Length);
            switch (width)
            {
                case 2: MemoryMarshal.Write(ends.AsSpan(i * 2), (short)end); break;
                case 4: MemoryMarshal.Write(ends.AsSpan(i * 4), (int)end); break;
                default: MemoryMarshal.Write(ends.AsSpan(i * 8), end); break;
            }
        }

        var newRunEnds = new ArrayData(runEnds.Type, count, 0, 0, [ReadOnlyMemory<byte>.Empty, ends]);
        return (newRunEnds, values.Slice(firstRun, count));
    }
}
