using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Content.Canonical;

/// <summary>
/// A byte string that identifies the logical value of one slot: two slots of the same type get
/// the same key exactly when <see cref="ArrayEquality"/> would call them equal (NaNs written as
/// the canonical NaN, -0.0 kept apart from 0.0, dictionaries and runs followed to their values,
/// union values keyed with their type code). An undefined slot gets the key of what the
/// normaliser turns it into. Used to deduplicate dictionary values and to merge runs.
/// </summary>
/// <remarks>
/// The encoding is prefix-free per type (a null/value marker, lengths before variable data, a
/// count before list items), so equal keys mean equal values and not merely equal concatenations.
/// </remarks>
internal static class ValueKey
{
    private const byte NullMarker = 0;
    private const byte ValueMarker = 1;

    /// <summary>The key of slot <paramref name="slot"/> of <paramref name="array"/> (-1: undefined).</summary>
    public static byte[] Of(ArrayData array, int slot)
    {
        var writer = new ArrayBufferWriter<byte>(32);
        Write(array, slot, writer);
        return writer.WrittenSpan.ToArray();
    }

    private static void Write(ArrayData a, int slot, ArrayBufferWriter<byte> w)
    {
        var t = a.Type.PhysicalType;
        if (slot < 0)
        {
            WriteUndefined(t, a, w);
            return;
        }

        switch (t.Id)
        {
            case ArrowTypeId.Null:
                Put(w, NullMarker);
                return;
            case ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion:
            {
                var (child, childSlot) = a.UnionChildSlot(slot);
                Put(w, (byte)t.TypeCodes[child]);
                Write(a.Children[child], childSlot, w);
                return;
            }

            case ArrowTypeId.RunEndEncoded:
                Write(a.Children[1], a.RunIndex(slot), w);
                return;
            case ArrowTypeId.Dictionary:
                if (!a.IsValid(slot))
                {
                    Put(w, NullMarker);
                    return;
                }

                Write(a.Dictionary!, checked((int)IntegerSlots.DictionaryIndex(a, slot)), w);
                return;
        }

        if (!a.IsValid(slot))
        {
            Put(w, NullMarker);
            return;
        }

        Put(w, ValueMarker);
        switch (t.Id)
        {
            case ArrowTypeId.Boolean:
                Put(w, a.GetBoolean(slot) ? (byte)1 : (byte)0);
                break;
            case ArrowTypeId.Binary or ArrowTypeId.LargeBinary or ArrowTypeId.Utf8 or ArrowTypeId.LargeUtf8
                or ArrowTypeId.BinaryView or ArrowTypeId.Utf8View:
            {
                var bytes = a.GetBytes(slot);
                PutInt64(w, bytes.Length);
                w.Write(bytes);
                break;
            }

            case ArrowTypeId.List or ArrowTypeId.LargeList or ArrowTypeId.ListView or ArrowTypeId.LargeListView
                or ArrowTypeId.FixedSizeList or ArrowTypeId.Map:
            {
                var (start, end) = a.GetListRange(slot);
                PutInt64(w, end - start);
                for (long i = start; i < end; i++)
                {
                    Write(a.Children[0], checked((int)i), w);
                }

                break;
            }

            case ArrowTypeId.Struct:
                foreach (var child in a.Children)
                {
                    Write(child, slot, w);
                }

                break;
            default:
            {
                int width = a.Layout.ValueBitWidth / 8;
                var value = w.GetSpan(width)[..width];
                a.Buffers[1].Span.Slice((a.Offset + slot) * width, width).CopyTo(value);
                FloatCanonicalizer.Canonicalize(t.Id, value);
                w.Advance(width);
                break;
            }
        }
    }

    /// <summary>What an undefined slot normalises to: null where the type can be null, else its canonical zero.</summary>
    private static void WriteUndefined(ArrowType t, ArrayData a, ArrayBufferWriter<byte> w)
    {
        switch (t.Id)
        {
            case ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion:
                Put(w, (byte)t.TypeCodes[0]);
                Write(a.Children[0], -1, w);
                break;
            case ArrowTypeId.RunEndEncoded:
                Write(a.Children[1], -1, w);
                break;
            default:
                Put(w, NullMarker);
                break;
        }
    }

    private static void Put(ArrayBufferWriter<byte> w, byte value)
    {
        w.GetSpan(1)[0] = value;
        w.Advance(1);
    }

    private static void PutInt64(ArrayBufferWriter<byte> w, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(w.GetSpan(8), value);
        w.Advance(8);
    }
}

/// <summary>Compares keys by content (for hash sets and dictionaries of <see cref="ValueKey"/> keys).</summary>
internal sealed class ByteKeyComparer : IEqualityComparer<byte[]>
{
    public static readonly ByteKeyComparer Instance = new();

    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj)
    {
        var h = new HashCode();
        h.AddBytes(obj);
        return h.ToHashCode();
    }
}
