using System.Buffers.Binary;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Memory;

namespace ArrowCid.Content.Canonical;

/// <summary>Leaf layouts: fixed-width values, bit-packed booleans, offset-addressed bytes and views.</summary>
internal static partial class ArrayNormalizer
{
    /// <summary>Fixed-width values (also dictionary indices' width rules): zero under nulls, canonical NaNs.</summary>
    private static ReadOnlyMemory<byte> FixedWidth(ArrayData a, SlotSelection selection, ValidityBits validity)
    {
        var id = a.Type.PhysicalType.Id;
        int w = a.Layout.ValueBitWidth / 8;
        int n = selection.Count;
        var draft = DraftFor(selection, a.Buffers[1], (long)(a.Offset + selection.Start) * w, checked(n * w));
        // Over the input's bytes at the same positions, valid values are already in place.
        bool inPlace = draft.IsCandidate;
        if (inPlace && selection.IsRange)
        {
            return FixedWidthInPlace(id, w, n, draft, validity);
        }

        bool isFloat = FloatCanonicalizer.Applies(id);
        var source = a.Buffers[1].Span;
        Span<byte> scratch = stackalloc byte[8];
        for (int k = 0; k < n; k++)
        {
            if (!validity.IsValid(k))
            {
                draft.Clear(k * w, w);
                continue;
            }

            var value = source.Slice((a.Offset + selection.Source(k)) * w, w);
            if (isFloat)
            {
                var fixedValue = scratch[..w];
                value.CopyTo(fixedValue);
                FloatCanonicalizer.Canonicalize(id, fixedValue);
                draft.Write(k * w, fixedValue);
            }
            else if (!inPlace)
            {
                draft.Write(k * w, value);
            }
        }

        return draft.Result;
    }

    /// <summary>Boolean values: false under nulls, bits past the length zero.</summary>
    private static ReadOnlyMemory<byte> Bits(ArrayData a, SlotSelection selection, ValidityBits validity)
    {
        int n = selection.Count;
        int bytes = (n + 7) >> 3;
        int from = a.Offset + selection.Start;
        var draft = selection.IsRange && (from & 7) == 0 ? BufferDraft.OverIfInRange(a.Buffers[1], from >> 3, bytes) : BufferDraft.Fresh(bytes);
        if (draft.IsCandidate && selection.IsRange && bytes > 0)
        {
            // In place: only bytes holding a null slot, and the last byte's bits past the length, can differ.
            var valid = validity.Buffer.Span;
            int at = 0;
            while (validity.NullCount > 0 && at < bytes && valid[at..bytes].IndexOfAnyExcept((byte)0xFF) is int next and >= 0)
            {
                at += next;
                draft.Write(at, (byte)(draft.Span[at] & valid[at]));
                at++;
            }

            if ((n & 7) != 0)
            {
                draft.Write(bytes - 1, (byte)(draft.Span[bytes - 1] & ((1 << (n & 7)) - 1)));
            }

            return draft.Result;
        }

        var source = a.Buffers[1].Span;
        for (int j = 0; j < bytes; j++)
        {
            int value = 0;
            for (int bit = 0, k = j * 8; bit < 8 && k < n; bit++, k++)
            {
                if (validity.IsValid(k) && BitUtil.GetBit(source, a.Offset + selection.Source(k)))
                {
                    value |= 1 << bit;
                }
            }

            draft.Write(j, (byte)value);
        }

        return draft.Result;
    }

    /// <summary>Binary and utf8 of either offset width: offsets from 0, null slots empty, data exactly the valid slots' bytes.</summary>
    private static ArrayData VarBinary(ArrayData a, SlotSelection selection, ValidityBits validity, int w)
    {
        int n = selection.Count;
        var offsets = DraftFor(selection, a.Buffers[1], (long)(a.Offset + selection.Start) * w, checked((n + 1) * w));
        if (offsets.IsCandidate && selection.IsRange && VarBinaryOffsetsInPlace(offsets.Span, w, n, validity, out long total))
        {
            return Assemble(a, selection, validity.NullCount, [validity.Buffer, offsets.Result, a.Buffers[2][..checked((int)total)]], [], null);
        }

        if (offsets.IsCandidate && selection.IsRange && RebasedOffsets(offsets.Span, w, n, validity, out byte[] rebased, out long origin, out long length))
        {
            return Assemble(a, selection, validity.NullCount, [validity.Buffer, rebased, a.Buffers[2].Slice(checked((int)origin), checked((int)length))], [], null);
        }

        var source = a.Buffers[1].Span;
        Span<byte> scratch = stackalloc byte[8];
        long running = 0;
        WriteOffset(offsets, 0, 0, w, scratch);
        for (int k = 0; k < n; k++)
        {
            if (validity.IsValid(k))
            {
                int slot = a.Offset + selection.Source(k);
                running += ReadOffset(source, slot + 1, w) - ReadOffset(source, slot, w);
            }

            WriteOffset(offsets, k + 1, running, w, scratch);
        }

        ReadOnlyMemory<byte> data;
        if (offsets.IsCandidate && selection.IsRange)
        {
            // Offsets start at 0 and null slots are already empty: the data is the input's prefix.
            data = a.Buffers[2][..checked((int)running)];
        }
        else
        {
            var copy = new byte[running];
            long at = 0;
            var bytes = a.Buffers[2].Span;
            for (int k = 0; k < n; k++)
            {
                if (validity.IsValid(k))
                {
                    int slot = a.Offset + selection.Source(k);
                    int start = checked((int)ReadOffset(source, slot, w)), end = checked((int)ReadOffset(source, slot + 1, w));
                    bytes[start..end].CopyTo(copy.AsSpan(checked((int)at)));
                    at += end - start;
                }
            }

            data = copy;
        }

        return Assemble(a, selection, validity.NullCount, [validity.Buffer, offsets.Result, data], [], null);
    }

    /// <summary>
    /// Binary and utf8 views: values of up to 12 bytes inline with zero padding; longer ones as
    /// prefix, buffer 0 and their offset in one data buffer holding them in slot order; null views zero.
    /// </summary>
    private static ArrayData Views(ArrayData a, SlotSelection selection, ValidityBits validity)
    {
        int n = selection.Count;
        var views = DraftFor(selection, a.Buffers[1], (long)(a.Offset + selection.Start) * 16, checked(n * 16));
        var source = a.Buffers[1].Span;
        Span<byte> view = stackalloc byte[16];
        long running = 0;
        // Whether every long value already sits in buffer 0 at its canonical offset.
        bool dataInPlace = a.Buffers.Length > 2;
        for (int k = 0; k < n; k++)
        {
            view.Clear();
            if (validity.IsValid(k))
            {
                int slot = selection.Source(k);
                var bytes = a.GetBytes(slot);
                BinaryPrimitives.WriteInt32LittleEndian(view, bytes.Length);
                if (bytes.Length <= 12)
                {
                    bytes.CopyTo(view[4..]);
                }
                else
                {
                    bytes[..4].CopyTo(view[4..]);
                    BinaryPrimitives.WriteInt32LittleEndian(view[12..], checked((int)running));
                    var sourceView = source.Slice((a.Offset + slot) * 16, 16);
                    dataInPlace &= BinaryPrimitives.ReadInt32LittleEndian(sourceView[8..]) == 0 && BinaryPrimitives.ReadInt32LittleEndian(sourceView[12..]) == running;
                    running += bytes.Length;
                }
            }

            views.Write(k * 16, view);
        }

        if (running == 0)
        {
            return Assemble(a, selection, validity.NullCount, [validity.Buffer, views.Result], [], null);
        }

        ReadOnlyMemory<byte> data;
        if (dataInPlace)
        {
            data = a.Buffers[2][..checked((int)running)];
        }
        else
        {
            var copy = new byte[running];
            int at = 0;
            for (int k = 0; k < n; k++)
            {
                if (validity.IsValid(k))
                {
                    var bytes = a.GetBytes(selection.Source(k));
                    if (bytes.Length > 12)
                    {
                        bytes.CopyTo(copy.AsSpan(at));
                        at += bytes.Length;
                    }
                }
            }

            data = copy;
        }

        return Assemble(a, selection, validity.NullCount, [validity.Buffer, views.Result, data], [], null);
    }

    private static long ReadOffset(ReadOnlySpan<byte> offsets, int index, int w) =>
        w == 4 ? BinaryPrimitives.ReadInt32LittleEndian(offsets[(index * 4)..]) : BinaryPrimitives.ReadInt64LittleEndian(offsets[(index * 8)..]);

    private static void WriteOffset(BufferDraft draft, int index, long value, int w, Span<byte> scratch)
    {
        var bytes = scratch[..w];
        if (w == 4)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes, checked((int)value));
        }
        else
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        }

        draft.Write(index * w, bytes);
    }
}
