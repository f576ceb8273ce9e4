using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Content.Tests.Canonical;

/// <summary>
/// Makes a logically equal array with a different physical layout: garbage under nulls and in
/// undefined child slots, all-valid bitmaps present, stray bits past the length, NaN payloads,
/// var-width null slots that are not empty, views spread over several data buffers, list children
/// with junk between the items, list views out of order, dense-union children with junk entries,
/// dictionaries with unused and reordered entries, runs split in two, and offsets (the array
/// embedded in a larger one and sliced). Tests check with ArrayEquality that the result really is
/// equal, so the scrambler cannot silently test nothing.
/// </summary>
internal static class LayoutScrambler
{
    public static RecordBatch Scramble(RecordBatch batch, Random r) =>
        new(batch.Schema, batch.Length, batch.Columns.Select(c => Scramble(c, r, null)));

    /// <summary>A scrambled copy; slots marked in <paramref name="dontCare"/> may hold anything (they are undefined).</summary>
    public static ArrayData Scramble(ArrayData a, Random r, bool[]? dontCare)
    {
        a = Flatten(a);
        if (dontCare is not null && a.Length > 0 && dontCare.Any(d => d))
        {
            a = Take(a, [.. Enumerable.Range(0, a.Length).Select(k => dontCare[k] ? r.Next(a.Length) : k)]);
        }

        a = ScrambleLayout(a, r);
        if (a.Length > 0 && r.Next(3) == 0)
        {
            var before = Take(a, [.. Enumerable.Range(0, r.Next(1, 4)).Select(_ => r.Next(a.Length))]);
            var after = Take(a, [.. Enumerable.Range(0, r.Next(0, 3)).Select(_ => r.Next(a.Length))]);
            a = ArrayConcatenation.Concatenate([before, a, after]).Slice(before.Length, a.Length);
        }

        return a;
    }

    private static ArrayData Flatten(ArrayData a) => a.Offset == 0 ? a : ArrayConcatenation.Concatenate([a]);

    private static ArrayData Take(ArrayData a, int[] slots) =>
        slots.Length == 0 ? Flatten(a.Slice(0, 0)) : ArrayConcatenation.Concatenate([.. slots.Select(i => a.Slice(i, 1))]);

    private static ArrayData With(ArrayData a, ReadOnlyMemory<byte>[] buffers, IEnumerable<ArrayData>? children = null, ArrayData? dictionary = null) =>
        new(a.Type, a.Length, -1, 0, buffers, children ?? a.Children, dictionary ?? a.Dictionary);

    private static ArrayData ScrambleLayout(ArrayData a, Random r)
    {
        var t = a.Type.PhysicalType;
        int n = a.Length;
        var buffers = a.Buffers.ToArray();
        bool hasValidity = a.Layout.HasValidity;
        if (hasValidity)
        {
            buffers[0] = ScrambleValidity(a, r);
        }

        switch (t.Id)
        {
            case ArrowTypeId.Null:
                return a;
            case ArrowTypeId.Boolean:
            {
                var bits = Padded(buffers[1], (n + 7) >> 3, r);
                for (int k = 0; k < n; k++)
                {
                    if (a.IsNull(k))
                    {
                        BitUtil.SetBit(bits, k, r.Next(2) == 0);
                    }
                }

                StrayBits(bits, n, r);
                buffers[1] = bits;
                return With(a, buffers);
            }

            case ArrowTypeId.Binary or ArrowTypeId.Utf8 or ArrowTypeId.LargeBinary or ArrowTypeId.LargeUtf8:
                return VarBinary(a, buffers, r, t.Id is ArrowTypeId.LargeBinary or ArrowTypeId.LargeUtf8 ? 8 : 4);
            case ArrowTypeId.BinaryView or ArrowTypeId.Utf8View:
                return Views(a, buffers, r);
            case ArrowTypeId.List or ArrowTypeId.Map or ArrowTypeId.LargeList:
                return List(a, buffers, r, t.Id == ArrowTypeId.LargeList ? 8 : 4);
            case ArrowTypeId.ListView or ArrowTypeId.LargeListView:
                return ListView(a, buffers, r, t.Id == ArrowTypeId.LargeListView ? 8 : 4);
            case ArrowTypeId.FixedSizeList:
            {
                int size = t.ListSize;
                var child = a.Children[0].Slice(0, n * size);
                var dontCare = Enumerable.Range(0, n * size).Select(i => a.IsNull(i / size)).ToArray();
                return With(a, buffers, [Scramble(child, r, dontCare)]);
            }

            case ArrowTypeId.Struct:
            {
                var dontCare = Enumerable.Range(0, n).Select(a.IsNull).ToArray();
                return With(a, buffers, a.Children.Select(c => Scramble(c.Slice(0, n), r, dontCare)));
            }

            case ArrowTypeId.SparseUnion:
            {
                var selected = Enumerable.Range(0, n).Select(k => a.UnionChildSlot(k).Child).ToArray();
                return With(a, buffers, a.Children.Select((c, i) => Scramble(c.Slice(0, n), r, [.. selected.Select(s => s != i)])));
            }

            case ArrowTypeId.DenseUnion:
                return DenseUnion(a, buffers, r);
            case ArrowTypeId.Dictionary:
                return Dictionary(a, buffers, r);
            case ArrowTypeId.RunEndEncoded:
                return RunEndEncoded(a, r);
            default:
                return FixedWidth(a, buffers, r);
        }
    }

    /// <summary>An all-valid bitmap where there was none, or the bitmap with stray bits past the length.</summary>
    private static ReadOnlyMemory<byte> ScrambleValidity(ArrayData a, Random r)
    {
        int n = a.Length;
        if (a.NullCount == 0)
        {
            if (r.Next(2) == 0)
            {
                return a.Buffers[0];
            }

            var ones = new byte[((n + 7) >> 3) + r.Next(3)];
            ones.AsSpan().Fill(0xFF);
            return ones;
        }

        var bits = Padded(a.Buffers[0], (n + 7) >> 3, r);
        StrayBits(bits, n, r);
        return bits;
    }

    private static byte[] Padded(ReadOnlyMemory<byte> buffer, int needed, Random r)
    {
        var bytes = new byte[needed + r.Next(3)];
        r.NextBytes(bytes);
        buffer.Span[..Math.Min(needed, buffer.Length)].CopyTo(bytes);
        if (buffer.Length < needed)
        {
            bytes.AsSpan(buffer.Length, needed - buffer.Length).Clear();
        }

        return bytes;
    }

    private static void StrayBits(byte[] bits, int n, Random r)
    {
        for (int i = n; i < bits.Length * 8; i++)
        {
            BitUtil.SetBit(bits, i, r.Next(2) == 0);
        }
    }

    private static ArrayData FixedWidth(ArrayData a, ReadOnlyMemory<byte>[] buffers, Random r)
    {
        int w = a.Layout.ValueBitWidth / 8;
        var values = a.Buffers[1].Span[..(a.Length * w)].ToArray();
        var id = a.Type.PhysicalType.Id;
        for (int k = 0; k < a.Length; k++)
        {
            var slot = values.AsSpan(k * w, w);
            if (a.IsNull(k) && a.Type.PhysicalType.Id != ArrowTypeId.Dictionary)
            {
                r.NextBytes(slot);
            }
            else if (id == ArrowTypeId.Float32 && float.IsNaN(BinaryPrimitives.ReadSingleLittleEndian(slot)))
            {
                BinaryPrimitives.WriteUInt32LittleEndian(slot, 0x7F800001u + (uint)r.Next(0x7FFFFE) | ((uint)r.Next(2) << 31));
            }
            else if (id == ArrowTypeId.Float64 && double.IsNaN(BinaryPrimitives.ReadDoubleLittleEndian(slot)))
            {
                BinaryPrimitives.WriteUInt64LittleEndian(slot, 0xFFF0000000000001ul + (ulong)r.Next(1 << 30));
            }
            else if (id == ArrowTypeId.Float16 && Half.IsNaN(BinaryPrimitives.ReadHalfLittleEndian(slot)))
            {
                BinaryPrimitives.WriteUInt16LittleEndian(slot, (ushort)(0xFC01 + r.Next(0x3FF)));
            }
        }

        buffers[1] = values;
        return With(a, buffers);
    }

    /// <summary>Junk data first, junk bytes in null slots.</summary>
    private static ArrayData VarBinary(ArrayData a, ReadOnlyMemory<byte>[] buffers, Random r, int w)
    {
        var data = new List<byte>();
        var offsets = new long[a.Length + 1];
        data.AddRange(Junk(r, r.Next(0, 4)));
        for (int k = 0; k < a.Length; k++)
        {
            offsets[k] = data.Count;
            data.AddRange(a.IsNull(k) ? Junk(r, r.Next(0, 4)) : a.GetBytes(k).ToArray());
        }

        offsets[a.Length] = data.Count;
        data.AddRange(Junk(r, r.Next(0, 3)));
        buffers[1] = Offsets(offsets, w);
        buffers[2] = data.ToArray();
        return With(a, buffers);
    }

    /// <summary>Long values in data buffer 1 in reverse slot order after junk, junk in buffer 0 and a trailing junk buffer.</summary>
    private static ArrayData Views(ArrayData a, ReadOnlyMemory<byte>[] buffers, Random r)
    {
        var views = new byte[a.Length * 16];
        var data = new List<byte>(Junk(r, r.Next(0, 5)));
        for (int k = a.Length - 1; k >= 0; k--)
        {
            if (a.IsNull(k))
            {
                continue;
            }

            var bytes = a.GetBytes(k);
            var view = views.AsSpan(k * 16, 16);
            BinaryPrimitives.WriteInt32LittleEndian(view, bytes.Length);
            if (bytes.Length <= 12)
            {
                bytes.CopyTo(view[4..]);
            }
            else
            {
                bytes[..4].CopyTo(view[4..]);
                BinaryPrimitives.WriteInt32LittleEndian(view[8..], 1);
                BinaryPrimitives.WriteInt32LittleEndian(view[12..], data.Count);
                data.AddRange(bytes.ToArray());
            }
        }

        return With(a, [buffers[0], views, Junk(r, r.Next(0, 7)), data.ToArray(), Junk(r, 3)]);
    }

    /// <summary>Junk items before the first list and inside null lists (they are undefined, so scrambled too).</summary>
    private static ArrayData List(ArrayData a, ReadOnlyMemory<byte>[] buffers, Random r, int w)
    {
        var child = a.Children[0];
        var pieces = new List<ArrayData>();
        var dontCare = new List<bool>();
        var offsets = new long[a.Length + 1];
        long at = 0;
        void Add(ArrayData piece, bool junk)
        {
            pieces.Add(piece);
            dontCare.AddRange(Enumerable.Repeat(junk, piece.Length));
            at += piece.Length;
        }

        ArrayData JunkItems() => child.Length == 0 ? child.Slice(0, 0) : Take(child, [.. Enumerable.Range(0, r.Next(0, 3)).Select(_ => r.Next(child.Length))]);

        Add(JunkItems(), true);
        for (int k = 0; k < a.Length; k++)
        {
            offsets[k] = at;
            if (a.IsNull(k))
            {
                Add(JunkItems(), true);
            }
            else
            {
                var (start, end) = a.GetListRange(k);
                Add(child.Slice((int)start, (int)(end - start)), false);
            }
        }

        offsets[a.Length] = at;
        var joined = pieces.Count == 0 ? child.Slice(0, 0) : ArrayConcatenation.Concatenate(pieces);
        buffers[1] = Offsets(offsets, w);
        return With(a, buffers, [Scramble(joined, r, [.. dontCare])]);
    }

    /// <summary>The views' items stored in reverse slot order; null views point at junk.</summary>
    private static ArrayData ListView(ArrayData a, ReadOnlyMemory<byte>[] buffers, Random r, int w)
    {
        var child = a.Children[0];
        var pieces = new List<ArrayData>();
        var offsets = new long[a.Length];
        var sizes = new long[a.Length];
        long at = 0;
        for (int k = a.Length - 1; k >= 0; k--)
        {
            if (a.IsNull(k))
            {
                continue;
            }

            var (start, end) = a.GetListRange(k);
            pieces.Add(child.Slice((int)start, (int)(end - start)));
            offsets[k] = at;
            sizes[k] = end - start;
            at += end - start;
        }

        var joined = pieces.Count == 0 ? child.Slice(0, 0) : ArrayConcatenation.Concatenate(pieces);
        for (int k = 0; k < a.Length; k++)
        {
            if (a.IsNull(k) && joined.Length > 0)
            {
                offsets[k] = r.Next(joined.Length);
                sizes[k] = r.Next((int)(joined.Length - offsets[k]) + 1);
            }
        }

        buffers[1] = Offsets(offsets, w);
        buffers[2] = Offsets(sizes, w);
        return With(a, buffers, [Scramble(joined, r, null)]);
    }

    /// <summary>Each child prefixed by junk entries that no slot references.</summary>
    private static ArrayData DenseUnion(ArrayData a, ReadOnlyMemory<byte>[] buffers, Random r)
    {
        var children = new List<ArrayData>();
        var shift = new int[a.Children.Length];
        for (int c = 0; c < a.Children.Length; c++)
        {
            var child = Flatten(a.Children[c]);
            var junk = child.Length == 0 ? child.Slice(0, 0) : Take(child, [.. Enumerable.Range(0, r.Next(0, 3)).Select(_ => r.Next(child.Length))]);
            shift[c] = junk.Length;
            var joined = ArrayConcatenation.Concatenate([junk, child]);
            children.Add(Scramble(joined, r, [.. Enumerable.Range(0, joined.Length).Select(i => i < junk.Length)]));
        }

        var offsets = new int[a.Length];
        for (int k = 0; k < a.Length; k++)
        {
            var (child, index) = a.UnionChildSlot(k);
            offsets[k] = index + shift[child];
        }

        buffers[1] = MemoryMarshal.AsBytes(offsets.AsSpan()).ToArray();
        return With(a, buffers, children);
    }

    /// <summary>Unused entries first, then the dictionary reversed; null slots point anywhere.</summary>
    private static ArrayData Dictionary(ArrayData a, ReadOnlyMemory<byte>[] buffers, Random r)
    {
        var dictionary = a.Dictionary!;
        int d = dictionary.Length;
        int junk = d == 0 ? 0 : r.Next(0, 3);
        var order = Enumerable.Range(0, junk).Select(_ => r.Next(d)).Concat(Enumerable.Range(0, d).Reverse()).ToArray();
        var rebuilt = Take(dictionary, order);
        int w = a.Layout.ValueBitWidth / 8;
        var indices = new byte[a.Length * w];
        for (int k = 0; k < a.Length; k++)
        {
            long index = a.IsNull(k) ? (rebuilt.Length == 0 ? 0 : r.Next(Math.Min(rebuilt.Length, 100))) : junk + (d - 1 - IndexOf(a, k));
            WriteInt(indices.AsSpan(k * w, w), index);
        }

        buffers[1] = indices;
        return With(a, buffers, null, rebuilt);
    }

    /// <summary>Runs split in two where they are long enough.</summary>
    private static ArrayData RunEndEncoded(ArrayData a, Random r)
    {
        var runEnds = a.Children[0];
        var values = a.Children[1];
        var ends = new List<long>();
        var valueSlots = new List<int>();
        long previous = 0;
        for (int i = 0; i < runEnds.Length; i++)
        {
            long end = Math.Min(ReadInt(runEnds.Buffers[1].Span, runEnds.Offset + i, runEnds.Type.BitWidth / 8), a.Length);
            if (end - previous >= 2 && r.Next(2) == 0)
            {
                ends.Add(previous + 1);
                valueSlots.Add(i);
            }

            ends.Add(end);
            valueSlots.Add(i);
            previous = end;
            if (end >= a.Length)
            {
                break;
            }
        }

        int w = runEnds.Type.BitWidth / 8;
        var endBytes = new byte[ends.Count * w];
        for (int i = 0; i < ends.Count; i++)
        {
            WriteInt(endBytes.AsSpan(i * w, w), ends[i]);
        }

        var newEnds = new ArrayData(runEnds.Type, ends.Count, 0, 0, [ReadOnlyMemory<byte>.Empty, endBytes]);
        var newValues = Scramble(Take(values, [.. valueSlots]), r, null);
        return new ArrayData(a.Type, a.Length, -1, 0, [], [newEnds, newValues]);
    }

    private static long IndexOf(ArrayData a, int k) => ReadInt(a.Buffers[1].Span, a.Offset + k, a.Layout.ValueBitWidth / 8, a.Type.PhysicalType.IndexType!.IsSignedInteger);

    private static long ReadInt(ReadOnlySpan<byte> span, int index, int w, bool signed = true) => w switch
    {
        1 => signed ? (sbyte)span[index] : span[index],
        2 => signed ? BinaryPrimitives.ReadInt16LittleEndian(span[(index * 2)..]) : BinaryPrimitives.ReadUInt16LittleEndian(span[(index * 2)..]),
        4 => signed ? BinaryPrimitives.ReadInt32LittleEndian(span[(index * 4)..]) : BinaryPrimitives.ReadUInt32LittleEndian(span[(index * 4)..]),
        _ => BinaryPrimitives.ReadInt64LittleEndian(span[(index * 8)..]),
    };

    private static void WriteInt(Span<byte> slot, long value)
    {
        switch (slot.Length)
        {
            case 1: slot[0] = (byte)value; break;
            case 2: BinaryPrimitives.WriteInt16LittleEndian(slot, (short)value); break;
            case 4: BinaryPrimitives.WriteInt32LittleEndian(slot, (int)value); break;
            default: BinaryPrimitives.WriteInt64LittleEndian(slot, value); break;
        }
    }

    private static byte[] Offsets(long[] values, int w)
    {
        var bytes = new byte[values.Length * w];
        for (int i = 0; i < values.Length; i++)
        {
            WriteInt(bytes.AsSpan(i * w, w), values[i]);
        }

        return bytes;
    }

    private static byte[] Junk(Random r, int length)
    {
        var bytes = new byte[length];
        r.NextBytes(bytes);
        return bytes;
    }
}
