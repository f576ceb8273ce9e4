using System.Buffers.Binary;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Chunking;

namespace ArrowCid.Content.Tests.Chunking;

/// <summary>
/// The row hash and nominal row size written slot by slot, straight from the words of
/// docs/canonical-form.md ("The row hash"), with the array accessors instead of buffer loops:
/// an independent second reading of the rule that the fast column-wise <see cref="RowHasher"/>
/// must agree with.
/// </summary>
internal static class ReferenceRowHash
{
    public static (ulong Hash, long Bits) Of(RecordBatch batch, int row)
    {
        var canonical = CanonicalArrays.Normalize(batch);
        ulong h = RowHashMath.Seed;
        long bits = 0;
        foreach (var column in canonical.Columns)
        {
            foreach (ulong word in Words(column, row))
            {
                h = RowHashMath.Absorb(h, word);
            }

            bits += Bits(column, row);
        }

        return (RowHashMath.Finish(h), bits);
    }

    /// <summary>itemHash: the finished fold of one slot's words.</summary>
    private static ulong Item(ArrayData a, int slot)
    {
        ulong h = RowHashMath.Seed;
        foreach (ulong word in Words(a, slot))
        {
            h = RowHashMath.Absorb(h, word);
        }

        return RowHashMath.Finish(h);
    }

    private static IEnumerable<ulong> Words(ArrayData a, int slot)
    {
        var t = a.Type.PhysicalType;
        switch (t.Id)
        {
            case ArrowTypeId.Null:
                yield return RowHashMath.NullWord;
                yield break;
            case ArrowTypeId.Struct:
                yield return a.IsValid(slot) ? 0 : RowHashMath.NullWord;
                foreach (var child in a.Children)
                {
                    foreach (ulong word in Words(child, slot))
                    {
                        yield return word;
                    }
                }

                yield break;
            case ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion:
            {
                var (child, childSlot) = a.UnionChildSlot(slot);
                yield return (byte)t.TypeCodes[child];
                yield return Item(a.Children[child], childSlot);
                yield break;
            }

            case ArrowTypeId.RunEndEncoded:
                yield return Item(a.Children[1], a.RunIndex(slot));
                yield break;
        }

        if (!a.IsValid(slot))
        {
            yield return RowHashMath.NullWord;
            if (t.Layout.Buffers is [BufferKind.Validity, BufferKind.FixedWidth] && t.Id != ArrowTypeId.Dictionary)
            {
                // The rest of a wide value's words: its canonical zero bytes.
                for (int i = 1; i < Math.Max(1, (t.Layout.ValueBitWidth / 8 + 7) / 8); i++)
                {
                    yield return 0;
                }
            }

            yield break;
        }

        switch (t.Id)
        {
            case ArrowTypeId.Boolean:
                yield return a.GetBoolean(slot) ? 1UL : 0UL;
                break;
            case ArrowTypeId.Binary or ArrowTypeId.Utf8 or ArrowTypeId.LargeBinary or ArrowTypeId.LargeUtf8 or ArrowTypeId.BinaryView or ArrowTypeId.Utf8View:
            {
                var bytes = a.GetBytes(slot).ToArray();
                yield return (ulong)bytes.Length;
                // Zero-padded to a multiple of 8 bytes and to at least 16.
                var words = PaddedWords(bytes).ToList();
                while (words.Count < 2)
                {
                    words.Add(0);
                }

                foreach (ulong word in words)
                {
                    yield return word;
                }

                break;
            }

            case ArrowTypeId.List or ArrowTypeId.LargeList or ArrowTypeId.ListView or ArrowTypeId.LargeListView or ArrowTypeId.Map or ArrowTypeId.FixedSizeList:
            {
                var (from, to) = a.GetListRange(slot);
                yield return (ulong)(to - from);
                for (long i = from; i < to; i++)
                {
                    yield return Item(a.Children[0], (int)i);
                }

                break;
            }

            case ArrowTypeId.Dictionary:
                yield return Item(a.Dictionary!, (int)IntegerSlots.DictionaryIndex(a, slot));
                break;
            default:
            {
                int width = a.Layout.ValueBitWidth / 8;
                var value = a.Buffers[1].Span.Slice((a.Offset + slot) * width, width).ToArray();
                var words = PaddedWords(value).ToList();
                if (words.Count == 0)
                {
                    words.Add(0);
                }

                foreach (ulong word in words)
                {
                    yield return word;
                }

                break;
            }
        }
    }

    private static IEnumerable<ulong> PaddedWords(byte[] bytes)
    {
        for (int at = 0; at < bytes.Length; at += 8)
        {
            var word = new byte[8];
            bytes.AsSpan(at, Math.Min(8, bytes.Length - at)).CopyTo(word);
            yield return BinaryPrimitives.ReadUInt64LittleEndian(word);
        }
    }

    private static long Bits(ArrayData a, int slot)
    {
        var t = a.Type.PhysicalType;
        bool valid = a.IsValid(slot);
        switch (t.Id)
        {
            case ArrowTypeId.Null:
                return 0;
            case ArrowTypeId.Boolean:
                return 1;
            case ArrowTypeId.Binary or ArrowTypeId.Utf8:
                return 32 + (valid ? 8L * a.GetBytes(slot).Length : 0);
            case ArrowTypeId.LargeBinary or ArrowTypeId.LargeUtf8:
                return 64 + (valid ? 8L * a.GetBytes(slot).Length : 0);
            case ArrowTypeId.BinaryView or ArrowTypeId.Utf8View:
                return 128 + (valid && a.GetBytes(slot).Length > 12 ? 8L * a.GetBytes(slot).Length : 0);
            case ArrowTypeId.List or ArrowTypeId.Map or ArrowTypeId.LargeList or ArrowTypeId.ListView or ArrowTypeId.LargeListView:
            {
                long offsets = t.Id switch { ArrowTypeId.LargeList => 64, ArrowTypeId.ListView => 64, ArrowTypeId.LargeListView => 128, _ => 32 };
                if (!valid)
                {
                    return offsets;
                }

                var (from, to) = a.GetListRange(slot);
                long items = 0;
                for (long i = from; i < to; i++)
                {
                    items += Bits(a.Children[0], (int)i);
                }

                return offsets + items;
            }

            case ArrowTypeId.FixedSizeList:
            {
                var (from, to) = a.GetListRange(slot);
                long items = 0;
                for (long i = from; i < to; i++)
                {
                    items += Bits(a.Children[0], (int)i);
                }

                return items;
            }

            case ArrowTypeId.Struct:
                return a.Children.Sum(child => Bits(child, slot));
            case ArrowTypeId.Dictionary:
                return t.IndexType!.BitWidth;
            case ArrowTypeId.RunEndEncoded:
                return a.Children[0].Type.BitWidth + Bits(a.Children[1], a.RunIndex(slot));
            case ArrowTypeId.SparseUnion:
                return 8 + a.Children.Sum(child => Bits(child, slot));
            case ArrowTypeId.DenseUnion:
            {
                var (child, childSlot) = a.UnionChildSlot(slot);
                return 40 + Bits(a.Children[child], childSlot);
            }

            default:
                return a.Layout.ValueBitWidth;
        }
    }
}
