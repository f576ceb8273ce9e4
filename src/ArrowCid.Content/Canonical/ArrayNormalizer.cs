using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Content.Canonical;

/// <summary>
/// The one normalisation walk: builds the canonical form of the selected slots of an array,
/// reading the buffer roles from <see cref="TypeLayout"/>. Each buffer is written as a
/// <see cref="BufferDraft"/> over the input's own bytes, so an input that is already canonical
/// comes back as the same <see cref="ArrayData"/> instance and nothing is copied; only the buffers
/// that differ from canonical are rebuilt.
/// </summary>
internal static partial class ArrayNormalizer
{
    /// <summary>The canonical array of the slots <paramref name="selection"/> picks from <paramref name="array"/>.</summary>
    public static ArrayData Normalize(ArrayData array, SlotSelection selection)
    {
        var type = array.Type.PhysicalType;
        switch (type.Id)
        {
            case ArrowTypeId.Null:
                return Assemble(array, selection, selection.Count, [], [], null);
            case ArrowTypeId.SparseUnion:
                return SparseUnion(array, selection);
            case ArrowTypeId.DenseUnion:
                return DenseUnion(array, selection);
            case ArrowTypeId.RunEndEncoded:
                return RunEndEncoded(array, selection);
            case ArrowTypeId.Dictionary:
                return Dictionary(array, selection);
        }

        var validity = Validity(array, selection, keep: null);
        return type.Id switch
        {
            ArrowTypeId.Boolean => Assemble(array, selection, validity.NullCount, [validity.Buffer, Bits(array, selection, validity)], [], null),
            ArrowTypeId.Binary or ArrowTypeId.Utf8 => VarBinary(array, selection, validity, 4),
            ArrowTypeId.LargeBinary or ArrowTypeId.LargeUtf8 => VarBinary(array, selection, validity, 8),
            ArrowTypeId.BinaryView or ArrowTypeId.Utf8View => Views(array, selection, validity),
            ArrowTypeId.List or ArrowTypeId.Map => List(array, selection, validity, 4),
            ArrowTypeId.LargeList => List(array, selection, validity, 8),
            ArrowTypeId.ListView => ListView(array, selection, validity, 4),
            ArrowTypeId.LargeListView => ListView(array, selection, validity, 8),
            ArrowTypeId.FixedSizeList => FixedSizeList(array, selection, validity),
            ArrowTypeId.Struct => Struct(array, selection, validity),
            _ => Assemble(array, selection, validity.NullCount, [validity.Buffer, FixedWidth(array, selection, validity)], [], null),
        };
    }

    /// <summary>
    /// The result array, or the input itself when it had offset 0, as many slots and the very same
    /// buffers (same memory), children and dictionary: then the result is the input, whatever the
    /// selection looked like (e.g. a struct child whose undefined slots were already null).
    /// </summary>
    private static ArrayData Assemble(ArrayData a, SlotSelection selection, int nullCount, ReadOnlyMemory<byte>[] buffers, ArrayData[] children, ArrayData? dictionary)
    {
        bool unchanged = a.Offset == 0 && selection.Count == a.Length
            && a.Buffers.Length == buffers.Length && a.Children.Length == children.Length
            && ReferenceEquals(a.Dictionary, dictionary) && a.NullCount == nullCount;
        for (int i = 0; unchanged && i < buffers.Length; i++)
        {
            var before = a.Buffers[i];
            unchanged = before.Length == buffers[i].Length && (before.IsEmpty || before.Equals(buffers[i]));
        }

        for (int i = 0; unchanged && i < children.Length; i++)
        {
            unchanged = ReferenceEquals(a.Children[i], children[i]);
        }

        return unchanged ? a : new ArrayData(a.Type, selection.Count, nullCount, 0, buffers, children, dictionary);
    }

    /// <summary>The canonical validity of the selected slots: empty when none is null, else exactly the bytes needed with the bits past the length zero.</summary>
    private readonly record struct ValidityBits(ReadOnlyMemory<byte> Buffer, int NullCount)
    {
        public bool IsValid(int k) => NullCount == 0 || BitUtil.GetBit(Buffer.Span, k);
    }

    /// <summary>
    /// Output slot k is valid when it is defined, valid in the input and <paramref name="keep"/>
    /// (if given) agrees; undefined slots of types with a validity bitmap become null.
    /// </summary>
    private static ValidityBits Validity(ArrayData a, SlotSelection selection, Func<int, int, bool>? keep)
    {
        int n = selection.Count;
        int bytes = (n + 7) >> 3;
        var source = a.ValidityBitmap;
        if (selection.IsPlainRange && keep is null)
        {
            if (source.IsEmpty)
            {
                return new(ReadOnlyMemory<byte>.Empty, 0);
            }

            int from = a.Offset + selection.Start;
            int nulls = n - BitUtil.CountSetBits(source, from, n);
            if (nulls == 0)
            {
                return new(ReadOnlyMemory<byte>.Empty, 0);
            }

            if ((from & 7) != 0)
            {
                var shifted = new byte[bytes];
                BitUtil.CopyBits(source, from, n, shifted);
                return new(shifted, nulls);
            }

            var draft = BufferDraft.Over(a.Buffers[0].Slice(from >> 3, bytes));
            if ((n & 7) != 0)
            {
                draft.Write(bytes - 1, (byte)(draft.Span[bytes - 1] & ((1 << (n & 7)) - 1)));
            }

            return new(draft.Result, nulls);
        }

        bool aligned = selection.IsRange && !source.IsEmpty && ((a.Offset + selection.Start) & 7) == 0;
        var bits = aligned ? BufferDraft.OverIfInRange(a.Buffers[0], (a.Offset + selection.Start) >> 3, bytes) : BufferDraft.Fresh(bytes);
        int nullCount = 0;
        for (int j = 0; j < bytes; j++)
        {
            int value = 0;
            for (int bit = 0, k = j * 8; bit < 8 && k < n; bit++, k++)
            {
                int src = selection.Source(k);
                bool valid = src >= 0 && (source.IsEmpty || BitUtil.GetBit(source, a.Offset + src)) && (keep is null || keep(k, src));
                if (valid)
                {
                    value |= 1 << bit;
                }
                else
                {
                    nullCount++;
                }
            }

            bits.Write(j, (byte)value);
        }

        return nullCount == 0 ? new(ReadOnlyMemory<byte>.Empty, 0) : new(bits.Result, nullCount);
    }

    /// <summary>A draft of <paramref name="length"/> bytes over the input buffer at <paramref name="start"/> when the selection is a range, else fresh.</summary>
    private static BufferDraft DraftFor(SlotSelection selection, ReadOnlyMemory<byte> buffer, long start, int length) =>
        selection.IsRange ? BufferDraft.OverIfInRange(buffer, start, length) : BufferDraft.Fresh(length);
}
