using System.Buffers.Binary;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Content.Chunking;

/// <summary>
/// Joins rows of several batches into one chunk when the schema holds dictionaries or run-end
/// encoded arrays. Concatenating two dictionary arrays appends their dictionaries, so the
/// indices can outgrow a narrow index type (int8: 100 + 100 values) even when the chunk uses
/// fewer distinct values than the type holds; run ends can outgrow int16 the same way. So the
/// parts are first widened (indices and run ends as int64), concatenated and normalised (which
/// keeps only the distinct values in use), then narrowed back to the schema's types. When the
/// chunk's canonical indices or run ends do not fit them, the rows cannot form one block and
/// <see cref="Narrow"/> says so (the chunker then cuts the chunk shorter).
/// </summary>
internal static class IndexWidening
{
    /// <summary>Whether <paramref name="type"/> holds a dictionary or run-end encoded array anywhere.</summary>
    public static bool Applies(ArrowType type)
    {
        var t = type.PhysicalType;
        return t.Id is ArrowTypeId.Dictionary or ArrowTypeId.RunEndEncoded
            || t.Children.Any(f => Applies(f.Type));
    }

    /// <summary>The type with every dictionary index and run-end type made int64 (extension wrappers around such types dropped).</summary>
    public static ArrowType Widen(ArrowType type)
    {
        if (!Applies(type))
        {
            return type;
        }

        var t = type.PhysicalType;
        return t.Id switch
        {
            ArrowTypeId.Dictionary => ArrowType.Dictionary(ArrowType.Int64, Widen(t.ValueType!), t.Ordered),
            ArrowTypeId.RunEndEncoded => ArrowType.RunEndEncoded(
                new Field(t.Children[0].Name, ArrowType.Int64, nullable: false, t.Children[0].Metadata),
                t.Children[1].WithType(Widen(t.Children[1].Type))),
            _ => t.WithChildren(t.Children.Select(f => f.WithType(Widen(f.Type)))),
        };
    }

    /// <summary>The array with int64 indices and run ends (same logical slots).</summary>
    public static ArrayData Widen(ArrayData a)
    {
        if (!Applies(a.Type))
        {
            return a;
        }

        var t = a.Type.PhysicalType;
        var wideType = Widen(a.Type);
        switch (t.Id)
        {
            case ArrowTypeId.Dictionary:
            {
                var indices = new byte[a.Length * sizeof(long)];
                for (int i = 0; i < a.Length; i++)
                {
                    long index = a.IsValid(i) ? IntegerSlots.DictionaryIndex(a, i) : 0;
                    BinaryPrimitives.WriteInt64LittleEndian(indices.AsSpan(i * sizeof(long)), index);
                }

                return new ArrayData(wideType, a.Length, a.NullCount, 0, [Validity(a), indices], [], Widen(a.Dictionary!));
            }

            case ArrowTypeId.RunEndEncoded:
            {
                var runEnds = a.Children[0];
                var ends = new byte[runEnds.Length * sizeof(long)];
                for (int i = 0; i < runEnds.Length; i++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(ends.AsSpan(i * sizeof(long)), IntegerSlots.RunEnd(runEnds, runEnds.Offset + i));
                }

                var wideEnds = new ArrayData(ArrowType.Int64, runEnds.Length, 0, 0, [ReadOnlyMemory<byte>.Empty, ends]);
                return new ArrayData(wideType, a.Length, 0, a.Offset, [], [wideEnds, Widen(a.Children[1])]);
            }

            default:
                return new ArrayData(wideType, a.Length, a.NullCount, a.Offset, a.Buffers, a.Children.Select(Widen), a.Dictionary);
        }
    }

    /// <summary>
    /// A canonical array of the widened type back in <paramref name="original"/>'s types, or null
    /// when an index or run end does not fit them. The result is canonical too: only the width of
    /// the indices and run ends changes.
    /// </summary>
    public static ArrayData? Narrow(ArrayData wide, ArrowType original)
    {
        if (!Applies(original))
        {
            return wide;
        }

        if (original.Id == ArrowTypeId.Extension)
        {
            return Narrow(wide, original.StorageType!)?.WithType(original);
        }

        switch (original.Id)
        {
            case ArrowTypeId.Dictionary:
            {
                var dictionary = Narrow(wide.Dictionary!, original.ValueType!);
                var indexType = original.IndexType!;
                // Canonical indices are 0 .. dictionary length - 1 (null slots 0).
                if (dictionary is null || (dictionary.Length > 0 && !Fits(dictionary.Length - 1, indexType)))
                {
                    return null;
                }

                var indices = Narrowed(wide.Buffers[1].Span, wide.Length, indexType.BitWidth / 8);
                return new ArrayData(original, wide.Length, wide.NullCount, 0, [wide.Buffers[0], indices], [], dictionary);
            }

            case ArrowTypeId.RunEndEncoded:
            {
                var runEnds = wide.Children[0];
                var endType = original.Children[0].Type;
                var values = Narrow(wide.Children[1], original.Children[1].Type);
                long lastEnd = runEnds.Length == 0 ? 0 : BinaryPrimitives.ReadInt64LittleEndian(runEnds.Buffers[1].Span[((runEnds.Length - 1) * sizeof(long))..]);
                if (values is null || !Fits(lastEnd, endType))
                {
                    return null;
                }

                var ends = Narrowed(runEnds.Buffers[1].Span, runEnds.Length, endType.BitWidth / 8);
                var narrowEnds = new ArrayData(endType, runEnds.Length, 0, 0, [ReadOnlyMemory<byte>.Empty, ends]);
                return new ArrayData(original, wide.Length, 0, wide.Offset, [], [narrowEnds, values]);
            }

            default:
            {
                var children = new ArrayData[wide.Children.Length];
                for (int c = 0; c < children.Length; c++)
                {
                    if (Narrow(wide.Children[c], original.Children[c].Type) is not { } child)
                    {
                        return null;
                    }

                    children[c] = child;
                }

                return new ArrayData(original, wide.Length, wide.NullCount, wide.Offset, wide.Buffers, children, wide.Dictionary);
            }
        }
    }

    private static ReadOnlyMemory<byte> Validity(ArrayData a)
    {
        if (a.NullCount == 0)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        var bits = new byte[BitUtil.BytesForBits(a.Length)];
        BitUtil.CopyBits(a.ValidityBitmap, a.Offset, a.Length, bits);
        return bits;
    }

    private static bool Fits(long value, ArrowType integerType)
    {
        int width = integerType.BitWidth;
        long max = width == 64 ? long.MaxValue : integerType.IsSignedInteger ? (1L << (width - 1)) - 1 : (1L << width) - 1;
        return value <= max;
    }

    private static byte[] Narrowed(ReadOnlySpan<byte> wide, int count, int width)
    {
        var narrow = new byte[count * width];
        for (int i = 0; i < count; i++)
        {
            IntegerSlots.Write(narrow.AsSpan(i * width, width), BinaryPrimitives.ReadInt64LittleEndian(wide[(i * sizeof(long))..]));
        }

        return narrow;
    }
}
