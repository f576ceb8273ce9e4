using System.Buffers.Binary;
using ArrowCid.Arrow.Arrays;

namespace ArrowCid.Content.Canonical;

/// <summary>Nested layouts: lists, list views, fixed-size lists, structs and unions.</summary>
internal static partial class ArrayNormalizer
{
    /// <summary>List, large list and map: offsets from 0, null slots empty, the child compacted to the valid slots' items.</summary>
    private static ArrayData List(ArrayData a, SlotSelection selection, ValidityBits validity, int w)
    {
        int n = selection.Count;
        var offsets = DraftFor(selection, a.Buffers[1], (long)(a.Offset + selection.Start) * w, checked((n + 1) * w));
        // Offsets already from 0 with null slots empty (checked in one tight pass): the items are
        // the child's first ones, in order, and the offsets stay as they are.
        if (offsets.IsCandidate && selection.IsPlainRange && VarBinaryOffsetsInPlace(offsets.Span, w, n, validity, out long total))
        {
            var childItems = Normalize(a.Children[0], SlotSelection.Range(0, checked((int)total)));
            return Assemble(a, selection, validity.NullCount, [validity.Buffer, offsets.Result], [childItems], null);
        }

        if (offsets.IsCandidate && selection.IsPlainRange && RebasedOffsets(offsets.Span, w, n, validity, out byte[] rebased, out long origin, out long length))
        {
            var childItems = Normalize(a.Children[0], SlotSelection.Range(checked((int)origin), checked((int)length)));
            return Assemble(a, selection, validity.NullCount, [validity.Buffer, rebased], [childItems], null);
        }

        var items = new SlotSelectionBuilder();
        Span<byte> scratch = stackalloc byte[8];
        long running = 0;
        WriteOffset(offsets, 0, 0, w, scratch);
        for (int k = 0; k < n; k++)
        {
            if (validity.IsValid(k))
            {
                var (start, end) = a.GetListRange(selection.Source(k));
                items.Add(start, end - start);
                running += end - start;
            }

            WriteOffset(offsets, k + 1, running, w, scratch);
        }

        var child = Normalize(a.Children[0], items.Build());
        return Assemble(a, selection, validity.NullCount, [validity.Buffer, offsets.Result], [child], null);
    }

    /// <summary>
    /// List views: laid out like a list (offset k = the sum of the sizes before it, null slots size
    /// 0), the child holding each view's items in slot order (overlapping views are duplicated).
    /// </summary>
    private static ArrayData ListView(ArrayData a, SlotSelection selection, ValidityBits validity, int w)
    {
        int n = selection.Count;
        long from = (long)(a.Offset + selection.Start) * w;
        var offsets = DraftFor(selection, a.Buffers[1], from, checked(n * w));
        var sizes = DraftFor(selection, a.Buffers[2], from, checked(n * w));
        var items = new SlotSelectionBuilder();
        Span<byte> scratch = stackalloc byte[8];
        long running = 0;
        for (int k = 0; k < n; k++)
        {
            long size = 0;
            if (validity.IsValid(k))
            {
                var (start, end) = a.GetListRange(selection.Source(k));
                size = end - start;
                items.Add(start, size);
            }

            WriteOffset(offsets, k, running, w, scratch);
            WriteOffset(sizes, k, size, w, scratch);
            running += size;
        }

        var child = Normalize(a.Children[0], items.Build());
        return Assemble(a, selection, validity.NullCount, [validity.Buffer, offsets.Result, sizes.Result], [child], null);
    }

    /// <summary>Fixed-size lists: the items of a null (or undefined) slot are undefined.</summary>
    private static ArrayData FixedSizeList(ArrayData a, SlotSelection selection, ValidityBits validity)
    {
        int size = a.Type.PhysicalType.ListSize;
        var items = new SlotSelectionBuilder();
        for (int k = 0; size > 0 && k < selection.Count; k++)
        {
            int position = selection.Position(k);
            if (position >= 0)
            {
                items.Add((long)(a.Offset + position) * size, size, defined: validity.IsValid(k));
            }
            else
            {
                for (int i = 0; i < size; i++)
                {
                    items.AddUndefined();
                }
            }
        }

        var child = Normalize(a.Children[0], items.Build());
        return Assemble(a, selection, validity.NullCount, [validity.Buffer], [child], null);
    }

    /// <summary>Structs: the children's slots under a null (or undefined) struct slot are undefined.</summary>
    private static ArrayData Struct(ArrayData a, SlotSelection selection, ValidityBits validity)
    {
        // Struct children are aligned with the parent's logical slots: the same selection applies.
        var members = validity.NullCount == 0 ? selection : selection.Restrict(validity.IsValid);
        var children = new ArrayData[a.Children.Length];
        for (int c = 0; c < children.Length; c++)
        {
            children[c] = Normalize(a.Children[c], members);
        }

        return Assemble(a, selection, validity.NullCount, [validity.Buffer], children, null);
    }

    /// <summary>
    /// Sparse unions: each child keeps the slots that select it; its other slots are undefined. An
    /// undefined union slot selects the first child (type code TypeCodes[0]) at an undefined slot.
    /// </summary>
    private static ArrayData SparseUnion(ArrayData a, SlotSelection selection)
    {
        var (codes, childOf) = TypeCodes(a, selection);
        var children = new ArrayData[a.Children.Length];
        for (int c = 0; c < children.Length; c++)
        {
            int child = c;
            children[c] = Normalize(a.Children[c], selection.Restrict(k => childOf[k] == child));
        }

        return Assemble(a, selection, 0, [codes], children, null);
    }

    /// <summary>
    /// Dense unions: each child compacted to exactly the slots referenced, in slot order (offsets
    /// 0, 1, 2… per child). An undefined union slot selects the first child and appends one
    /// undefined slot to it.
    /// </summary>
    private static ArrayData DenseUnion(ArrayData a, SlotSelection selection)
    {
        int n = selection.Count;
        var (codes, childOf) = TypeCodes(a, selection);
        var offsets = DraftFor(selection, a.Buffers[1], (long)(a.Offset + selection.Start) * 4, checked(n * 4));
        var members = new SlotSelectionBuilder[a.Children.Length];
        for (int c = 0; c < members.Length; c++)
        {
            members[c] = new SlotSelectionBuilder();
        }

        Span<byte> scratch = stackalloc byte[4];
        for (int k = 0; k < n; k++)
        {
            int src = selection.Source(k);
            int child = childOf[k];
            BinaryPrimitives.WriteInt32LittleEndian(scratch, members[child].Count);
            offsets.Write(k * 4, scratch);
            if (src >= 0)
            {
                members[child].Add(a.UnionChildSlot(src).ChildIndex, 1);
            }
            else
            {
                members[child].AddUndefined();
            }
        }

        var children = new ArrayData[a.Children.Length];
        for (int c = 0; c < children.Length; c++)
        {
            children[c] = Normalize(a.Children[c], members[c].Build());
        }

        return Assemble(a, selection, 0, [codes, offsets.Result], children, null);
    }

    /// <summary>The canonical type-code buffer and, per output slot, the index of the child it selects.</summary>
    private static (ReadOnlyMemory<byte> Codes, int[] ChildOf) TypeCodes(ArrayData a, SlotSelection selection)
    {
        var type = a.Type.PhysicalType;
        int n = selection.Count;
        if (n > 0 && type.TypeCodes.IsEmpty)
        {
            throw new ArgumentException($"a union with no members cannot have slots ({a.Type})", nameof(a));
        }

        var childByCode = new int[128];
        childByCode.AsSpan().Fill(-1);
        for (int c = 0; c < type.TypeCodes.Length; c++)
        {
            childByCode[type.TypeCodes[c]] = c;
        }

        var draft = DraftFor(selection, a.Buffers[0], a.Offset + selection.Start, n);
        var source = a.Buffers[0].Span;
        var childOf = new int[n];
        for (int k = 0; k < n; k++)
        {
            int src = selection.Source(k);
            sbyte code = src >= 0 ? (sbyte)source[a.Offset + src] : type.TypeCodes[0];
            int child = code >= 0 ? childByCode[code] : -1;
            if (child < 0)
            {
                throw new ArgumentException($"union type code {code} at slot {src} is not one of {a.Type}'s codes", nameof(a));
            }

            childOf[k] = child;
            draft.Write(k, (byte)code);
        }

        return (draft.Result, childOf);
    }
}
