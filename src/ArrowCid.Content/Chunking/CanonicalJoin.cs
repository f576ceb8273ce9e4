using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Canonical;

namespace ArrowCid.Content.Chunking;

/// <summary>
/// Joins canonical arrays (offset 0) end to end into the canonical array of all their slots, for
/// the chunks that span two producer batches: buffers are copied once, offsets rebased, and
/// dictionaries merged by value in first-use order (each part's dictionary already is), so no
/// normalisation pass is needed afterwards. Types it does not handle (<see cref="Supports(ArrowType)"/>:
/// views, list views, unions, run-end encoded, dictionaries inside dictionary values) are
/// joined by the general concatenate-and-normalise path instead.
/// </summary>
internal static class CanonicalJoin
{
    /// <summary>Whether <see cref="Join"/> handles arrays of <paramref name="type"/>.</summary>
    public static bool Supports(ArrowType type) => Supports(type, insideDictionary: false);

    /// <summary>The canonical array of the parts' slots in order, or null when a merged dictionary outgrows its index type.</summary>
    public static ArrayData? Join(IReadOnlyList<ArrayData> parts)
    {
        var type = parts[0].Type;
        var t = type.PhysicalType;
        int length = checked(parts.Sum(p => p.Length));
        switch (t.Id)
        {
            case ArrowTypeId.Null:
                return new ArrayData(type, length, length, 0, []);
            case ArrowTypeId.Boolean:
            {
                var (validity, nulls) = Validity(parts, length);
                return new ArrayData(type, length, nulls, 0, [validity, JoinBits(parts, length, p => p.Buffers[1], allSetWhenEmpty: false)]);
            }

            case ArrowTypeId.Binary or ArrowTypeId.Utf8 or ArrowTypeId.LargeBinary or ArrowTypeId.LargeUtf8:
            {
                var (validity, nulls) = Validity(parts, length);
                int width = t.Layout.Buffers[1] == BufferKind.Offsets64 ? 8 : 4;
                var (offsets, ranges) = JoinOffsets(parts, length, width);
                var data = JoinBuffers(parts.Select((p, i) => p.Buffers[2][..checked((int)ranges[i])]));
                return new ArrayData(type, length, nulls, 0, [validity, offsets, data]);
            }

            case ArrowTypeId.List or ArrowTypeId.Map or ArrowTypeId.LargeList:
            {
                var (validity, nulls) = Validity(parts, length);
                var (offsets, ranges) = JoinOffsets(parts, length, t.Id == ArrowTypeId.LargeList ? 8 : 4);
                var items = Join([.. parts.Select((p, i) => CanonicalSlice.Of(p.Children[0], 0, checked((int)ranges[i])))]);
                return items is null ? null : new ArrayData(type, length, nulls, 0, [validity, offsets], [items]);
            }

            case ArrowTypeId.FixedSizeList:
            {
                var (validity, nulls) = Validity(parts, length);
                var items = Join([.. parts.Select(p => p.Children[0])]);
                return items is null ? null : new ArrayData(type, length, nulls, 0, [validity], [items]);
            }

            case ArrowTypeId.Struct:
            {
                var (validity, nulls) = Validity(parts, length);
                var children = new ArrayData[t.Children.Length];
                for (int c = 0; c < children.Length; c++)
                {
                    if (Join([.. parts.Select(p => p.Children[c])]) is not { } child)
                    {
                        return null;
                    }

                    children[c] = child;
                }

                return new ArrayData(type, length, nulls, 0, [validity], children);
            }

            case ArrowTypeId.Dictionary:
                return Dictionary(parts, type, length);
            default:
            {
                var (validity, nulls) = Validity(parts, length);
                int width = t.Layout.ValueBitWidth / 8;
                return new ArrayData(type, length, nulls, 0, [validity, JoinBuffers(parts.Select(p => p.Buffers[1][..(p.Length * width)]))]);
            }
        }
    }

    private static bool Supports(ArrowType type, bool insideDictionary)
    {
        var t = type.PhysicalType;
        return t.Id switch
        {
            ArrowTypeId.BinaryView or ArrowTypeId.Utf8View or ArrowTypeId.ListView or ArrowTypeId.LargeListView
                or ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion or ArrowTypeId.RunEndEncoded => false,
            ArrowTypeId.Dictionary => !insideDictionary && Supports(t.ValueType!, insideDictionary: true),
            _ => t.Children.All(f => Supports(f.Type, insideDictionary)),
        };
    }

    /// <summary>
    /// Merges the parts' dictionaries in first-use order: each part's dictionary lists its values in
    /// first-use order, so the merged order is theirs one after the other with repeats dropped.
    /// </summary>
    private static ArrayData? Dictionary(IReadOnlyList<ArrayData> parts, ArrowType type, int length)
    {
        var (validity, nulls) = Validity(parts, length);
        var indexType = type.PhysicalType.IndexType!;
        int width = indexType.BitWidth / 8;
        var merged = new Dictionary<byte[], int>(ByteKeyComparer.Instance);
        var newValues = new List<ArrayData>();
        var indices = new byte[length * width];
        int at = 0;
        foreach (var part in parts)
        {
            var dictionary = part.Dictionary!;
            var map = new int[dictionary.Length];
            var added = new List<int>();
            for (int i = 0; i < dictionary.Length; i++)
            {
                var key = ValueKey.Of(dictionary, i);
                if (!merged.TryGetValue(key, out int id))
                {
                    id = merged.Count;
                    merged.Add(key, id);
                    added.Add(i);
                }

                map[i] = id;
            }

            if (added.Count > 0)
            {
                newValues.Add(added.Count == dictionary.Length ? dictionary : ArrayNormalizer.Normalize(dictionary, SlotSelection.Explicit([.. added])));
            }

            var source = part.Buffers[1].Span;
            var valid = part.ValidityBitmap;
            if (part.Offset == 0 && map.Length > 0 && DictionaryIndexOrder.TryInt32(part, 0, part.Length, out var int32))
            {
                // Mapped in place, null slots (index 0) masked to 0 without a branch.
                MapInt32(int32, valid, map, MemoryMarshal.Cast<byte, int>(indices.AsSpan(at * 4, part.Length * 4)));
                at += part.Length;
                continue;
            }

            for (int k = 0; k < part.Length; k++, at++)
            {
                if (valid.IsEmpty || (valid[k >> 3] & (1 << (k & 7))) != 0)
                {
                    long index = IntegerSlots.Read(source.Slice(k * width, width), indexType.IsSignedInteger);
                    IntegerSlots.Write(indices.AsSpan(at * width, width), map[index]);
                }
            }
        }

        long largest = merged.Count - 1;
        long maxIndex = width == 8 ? long.MaxValue : indexType.IsSignedInteger ? (1L << ((width * 8) - 1)) - 1 : (1L << (width * 8)) - 1;
        if (largest > maxIndex)
        {
            return null;
        }

        var values = newValues.Count switch
        {
            0 => CanonicalSlice.Of(parts[0].Dictionary!, 0, 0),
            1 => newValues[0],
            _ => Join(newValues)!,
        };
        return new ArrayData(type, length, nulls, 0, [validity, indices], [], values);
    }

    private static void MapInt32(ReadOnlySpan<int> source, ReadOnlySpan<byte> validity, ReadOnlySpan<int> map, Span<int> target)
    {
        for (int k = 0; k < source.Length; k++)
        {
            int valid = validity.IsEmpty ? -1 : -((validity[k >> 3] >> (k & 7)) & 1);
            target[k] = map[source[k] & valid] & valid;
        }
    }

    private static (ReadOnlyMemory<byte> Bits, int Nulls) Validity(IReadOnlyList<ArrayData> parts, int length)
    {
        int nulls = parts.Sum(p => p.NullCount);
        return nulls == 0 ? (ReadOnlyMemory<byte>.Empty, 0) : (JoinBits(parts, length, p => p.Buffers[0], allSetWhenEmpty: true), nulls);
    }

    /// <summary>The parts' bitmaps one after the other from bit 0 (a part without one: all set, or all clear).</summary>
    private static byte[] JoinBits(IReadOnlyList<ArrayData> parts, int length, Func<ArrayData, ReadOnlyMemory<byte>> bitmap, bool allSetWhenEmpty)
    {
        var bits = new byte[BitUtil.BytesForBits(length)];
        int at = 0;
        foreach (var part in parts)
        {
            var source = bitmap(part).Span;
            if (source.IsEmpty)
            {
                if (allSetWhenEmpty)
                {
                    for (int k = 0; k < part.Length; k++)
                    {
                        bits[(at + k) >> 3] |= (byte)(1 << ((at + k) & 7));
                    }
                }
            }
            else if ((at & 7) == 0)
            {
                source[..(int)BitUtil.BytesForBits(part.Length)].CopyTo(bits.AsSpan(at >> 3));
            }
            else
            {
                // Shift each source byte into the two destination bytes it straddles (bits past a part's length are 0).
                int shift = at & 7;
                for (int b = 0; b < (int)BitUtil.BytesForBits(part.Length); b++)
                {
                    int value = source[b] << shift;
                    bits[(at >> 3) + b] |= (byte)value;
                    if ((value >> 8) != 0)
                    {
                        bits[(at >> 3) + b + 1] |= (byte)(value >> 8);
                    }
                }
            }

            at += part.Length;
        }

        return bits;
    }

    /// <summary>Offsets of all parts rebased end to end, and each part's item (or byte) count.</summary>
    private static (byte[] Offsets, long[] Ranges) JoinOffsets(IReadOnlyList<ArrayData> parts, int length, int width)
    {
        // Every byte is written below: no need to zero it first.
        var offsets = GC.AllocateUninitializedArray<byte>((length + 1) * width);
        var ranges = new long[parts.Count];
        long shift = 0;
        int at = 0;
        for (int p = 0; p < parts.Count; p++)
        {
            var part = parts[p];
            var source = part.Buffers[1].Span;
            if (width == 4)
            {
                var from = MemoryMarshal.Cast<byte, int>(source)[..(part.Length + 1)];
                var to = MemoryMarshal.Cast<byte, int>(offsets.AsSpan(at * 4));
                OffsetShift.Add(from[..part.Length], to, checked((int)shift));

                ranges[p] = from[part.Length];
            }
            else
            {
                for (int k = 0; k < part.Length; k++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(offsets.AsSpan((at + k) * 8), BinaryPrimitives.ReadInt64LittleEndian(source[(k * 8)..]) + shift);
                }

                ranges[p] = BinaryPrimitives.ReadInt64LittleEndian(source[(part.Length * 8)..]);
            }

            shift = checked(shift + ranges[p]);
            at += part.Length;
        }

        if (width == 4)
        {
            BinaryPrimitives.WriteInt32LittleEndian(offsets.AsSpan(length * 4), checked((int)shift));
        }
        else
        {
            BinaryPrimitives.WriteInt64LittleEndian(offsets.AsSpan(length * 8), shift);
        }

        return (offsets, ranges);
    }

    private static byte[] JoinBuffers(IEnumerable<ReadOnlyMemory<byte>> parts)
    {
        var list = parts.ToList();
        var joined = GC.AllocateUninitializedArray<byte>(checked((int)list.Sum(p => (long)p.Length)));
        int at = 0;
        foreach (var part in list)
        {
            part.Span.CopyTo(joined.AsSpan(at));
            at += part.Length;
        }

        return joined;
    }
}
