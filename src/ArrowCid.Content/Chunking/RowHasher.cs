using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Canonical;

namespace ArrowCid.Content.Chunking;

/// <summary>
/// The row hashes and nominal row sizes of a batch (docs/canonical-form.md, "Tables:
/// content-defined chunks"): a 64-bit hash of each row's canonical values, so equal rows hash
/// alike whatever batch, layout or dictionary they came from, and each row's share of a
/// canonical block in bits. Computed column by column over the canonical buffers (fixed-width
/// values, offsets and data, validity bits) in blocks of rows that stay in the cache, one
/// multiplication per 64-bit word of content; where the processor multiplies 64-bit lanes
/// (AVX-512 DQ), eight rows at a time for 8-byte values, strings of up to 24 bytes and lists of up
/// to four items, with the same numbers (<see cref="RowHashMath.Wide"/>).
/// </summary>
public static class RowHasher
{
    // Rows per block: the hash and size arrays of a block (2 × 32 KiB) stay in the L1/L2 cache
    // while every column is folded into them.
    private const int BlockRows = 4096;

    /// <summary>Computes the row hashes and nominal sizes of any batch (normalised first; canonical input is only scanned).</summary>
    /// <param name="batch">Any valid batch.</param>
    /// <param name="rowHashes">Receives one hash per row (at least <c>batch.Length</c> long).</param>
    /// <param name="rowBits">Receives each row's nominal size in bits (at least <c>batch.Length</c> long).</param>
    public static void Compute(RecordBatch batch, Span<ulong> rowHashes, Span<long> rowBits)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ComputeCanonical(CanonicalArrays.Normalize(batch), rowHashes, rowBits);
    }

    /// <summary>The row hashes of any batch, as a new array (for tests and tools; the chunker uses the span form).</summary>
    /// <param name="batch">Any valid batch.</param>
    /// <returns>One hash per row.</returns>
    public static ulong[] Compute(RecordBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var hashes = new ulong[batch.Length];
        var bits = new long[batch.Length];
        Compute(batch, hashes, bits);
        return hashes;
    }

    /// <summary>Like <see cref="Compute(RecordBatch, Span{ulong}, Span{long})"/> for a batch already in canonical shape.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ComputeCanonical(RecordBatch canonical, Span<ulong> rowHashes, Span<long> rowBits)
    {
        int n = canonical.Length;
        if (rowHashes.Length < n || rowBits.Length < n)
        {
            throw new ArgumentException($"the output spans hold {rowHashes.Length} and {rowBits.Length} slots, the batch {n} rows");
        }

        rowHashes[..n].Fill(RowHashMath.Seed);
        rowBits[..n].Clear();
        // Columns whose every slot has the same nominal size are not counted row by row: their sum is added once.
        long constantBits = 0;
        var constant = new bool[canonical.Columns.Length];
        for (int c = 0; c < constant.Length; c++)
        {
            if (ConstantBits(canonical.Columns[c].Type) is { } columnBits)
            {
                constant[c] = true;
                constantBits += columnBits;
            }
        }

        using var walk = new HashWalk();
        for (int start = 0; start < n; start += BlockRows)
        {
            int count = Math.Min(BlockRows, n - start);
            for (int c = 0; c < constant.Length; c++)
            {
                walk.Absorb(canonical.Columns[c], start, count, rowHashes.Slice(start, count), constant[c] ? default : rowBits.Slice(start, count));
            }
        }

        int done = RowHashMath.FinishEach(rowHashes[..n]);
        for (int i = done; i < n; i++)
        {
            rowHashes[i] = RowHashMath.Finish(rowHashes[i]);
        }

        if (constantBits != 0)
        {
            foreach (ref long bits in rowBits[..n])
            {
                bits += constantBits;
            }
        }
    }

    /// <summary>The nominal bits of every slot of a type whose slots all have the same size (null, boolean, fixed width), else null.</summary>
    private static long? ConstantBits(ArrowType type)
    {
        var t = type.PhysicalType;
        return t.Id switch
        {
            ArrowTypeId.Null => 0,
            ArrowTypeId.Boolean => 1,
            ArrowTypeId.Dictionary => t.IndexType!.BitWidth,
            _ when t.Layout.Buffers is [BufferKind.Validity, BufferKind.FixedWidth] => t.Layout.ValueBitWidth,
            _ => null,
        };
    }

    /// <summary>
    /// One pass over a batch: folds the words of slots into per-slot accumulators and adds their
    /// nominal sizes. Nested values enter their parent as finished item hashes, computed into
    /// pooled arrays; whole dictionaries and dense-union children are hashed once per pass.
    /// </summary>
    private sealed class HashWalk : IDisposable
    {
        private readonly Dictionary<ArrayData, ItemHashes> _whole = new(ReferenceEqualityComparer.Instance);

        public void Dispose()
        {
            foreach (var items in _whole.Values)
            {
                items.Dispose();
            }

            _whole.Clear();
        }

        /// <summary>Folds the words of logical slots [start, start + count) of <paramref name="a"/> into <paramref name="h"/> and adds their sizes to <paramref name="bits"/>.</summary>
        public void Absorb(ArrayData a, int start, int count, Span<ulong> h, Span<long> bits)
        {
            if (count == 0)
            {
                return;
            }

            var t = a.Type.PhysicalType;
            switch (t.Id)
            {
                case ArrowTypeId.Null:
                    for (int k = 0; k < count; k++)
                    {
                        h[k] = RowHashMath.Absorb(h[k], RowHashMath.NullWord);
                    }

                    return;
                case ArrowTypeId.Boolean:
                    Booleans(a, start, count, h, bits);
                    return;
                case ArrowTypeId.Binary or ArrowTypeId.Utf8:
                    VarBinary(a, MemoryMarshal.Cast<byte, int>(a.Buffers[1].Span), 4, start, count, h, bits);
                    return;
                case ArrowTypeId.LargeBinary or ArrowTypeId.LargeUtf8:
                    VarBinary(a, MemoryMarshal.Cast<byte, long>(a.Buffers[1].Span), 8, start, count, h, bits);
                    return;
                case ArrowTypeId.BinaryView or ArrowTypeId.Utf8View:
                    Views(a, start, count, h, bits);
                    return;
                case ArrowTypeId.List or ArrowTypeId.Map or ArrowTypeId.LargeList:
                    Lists(a, t.Id == ArrowTypeId.LargeList ? 8 : 4, start, count, h, bits);
                    return;
                case ArrowTypeId.ListView or ArrowTypeId.LargeListView:
                    ListViews(a, t.Id == ArrowTypeId.LargeListView ? 8 : 4, start, count, h, bits);
                    return;
                case ArrowTypeId.FixedSizeList:
                    FixedSizeLists(a, t.ListSize, start, count, h, bits);
                    return;
                case ArrowTypeId.Struct:
                    Structs(a, start, count, h, bits);
                    return;
                case ArrowTypeId.Dictionary:
                    Dictionary(a, start, count, h, bits);
                    return;
                case ArrowTypeId.RunEndEncoded:
                    RunEndEncoded(a, start, count, h, bits);
                    return;
                case ArrowTypeId.SparseUnion:
                    SparseUnion(a, start, count, h, bits);
                    return;
                case ArrowTypeId.DenseUnion:
                    DenseUnion(a, start, count, h, bits);
                    return;
                default:
                    FixedWidth(a, a.Layout.ValueBitWidth / 8, start, count, h, bits, finishItems: false);
                    return;
            }
        }

        /// <summary>The finished hashes and sizes of logical slots [start, start + count) of <paramref name="a"/> as items of a parent (pooled; dispose).</summary>
        private ItemHashes Items(ArrayData a, int start, int count)
        {
            var items = new ItemHashes(count);
            var h = items.Hashes;
            var t = a.Type.PhysicalType;
            int width = a.Layout.ValueBitWidth / 8;
            if (t.Id != ArrowTypeId.Dictionary && t.Layout.Buffers is [BufferKind.Validity, BufferKind.FixedWidth] && width is 1 or 2 or 4 or 8)
            {
                // One-word items (the common list of numbers): fold and finish in one pass.
                FixedWidth(a, width, start, count, h, items.Bits, finishItems: true);
                return items;
            }

            h.Fill(RowHashMath.Seed);
            Absorb(a, start, count, h, items.Bits);
            for (int k = 0; k < h.Length; k++)
            {
                h[k] = RowHashMath.Finish(h[k]);
            }

            return items;
        }

        /// <summary>The item hashes of every slot of <paramref name="a"/>, computed once per pass.</summary>
        private ItemHashes Whole(ArrayData a)
        {
            if (!_whole.TryGetValue(a, out var items))
            {
                items = Items(a, 0, a.Length);
                _whole.Add(a, items);
            }

            return items;
        }

        /// <summary>Fixed-width values; with <paramref name="finishItems"/> (one-word values only) each slot's finished item hash is written instead of folded in.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void FixedWidth(ArrayData a, int width, int start, int count, Span<ulong> h, Span<long> bits, bool finishItems)
        {
            var values = a.Buffers[1].Span;
            var validity = a.ValidityBitmap;
            int first = a.Offset + start;
            switch (width)
            {
                case 1:
                    Words(values.Slice(first, count), validity, first, h, finishItems);
                    break;
                case 2:
                    Words(MemoryMarshal.Cast<byte, ushort>(values).Slice(first, count), validity, first, h, finishItems);
                    break;
                case 4:
                    Words(MemoryMarshal.Cast<byte, uint>(values).Slice(first, count), validity, first, h, finishItems);
                    break;
                case 8:
                    Words(MemoryMarshal.Cast<byte, ulong>(values).Slice(first, count), validity, first, h, finishItems);
                    break;
                default:
                    // 16 and 32 bytes (decimals, month-day-nano intervals), fixed-size binary of any width:
                    // the value's words, the first replaced by the null word under a null slot.
                    for (int k = 0; k < count; k++)
                    {
                        var value = values.Slice((first + k) * width, width);
                        h[k] = FixedWords(h[k], value, isNull: !validity.IsEmpty && !Bit(validity, first + k));
                    }

                    break;
            }

            // An empty span: the caller adds the constant size itself.
            long size = 8L * width;
            for (int k = 0; k < bits.Length; k++)
            {
                bits[k] += size;
            }
        }

        /// <summary>Values of 1, 2, 4 or 8 bytes, zero-extended to one word each; the null word under null slots.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Words<T>(ReadOnlySpan<T> values, ReadOnlySpan<byte> validity, int first, Span<ulong> h, bool finishItems)
            where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
        {
            if (finishItems)
            {
                // Items of a list of 4-byte numbers (the common list), sixteen at a time where the processor can.
                int k = typeof(T) == typeof(uint) && validity.IsEmpty ? RowHashMath.FinishEachItem(h, MemoryMarshal.Cast<T, uint>(values)) : 0;
                for (; k < values.Length; k++)
                {
                    h[k] = RowHashMath.Finish(RowHashMath.Absorb(RowHashMath.Seed, Word(values[k], validity, first + k)));
                }
            }
            else if (validity.IsEmpty)
            {
                int k = typeof(T) == typeof(ulong) ? RowHashMath.AbsorbEach(h, MemoryMarshal.Cast<T, ulong>(values)) : 0;
                for (; k < values.Length; k++)
                {
                    h[k] = RowHashMath.Absorb(h[k], ulong.CreateTruncating(values[k]));
                }
            }
            else
            {
                int k = 0;
                if (typeof(T) == typeof(ulong))
                {
                    // One by one up to a slot at bit 0 of its validity byte, then eight at a time.
                    for (int lead = Math.Min(values.Length, (8 - (first & 7)) & 7); k < lead; k++)
                    {
                        h[k] = RowHashMath.Absorb(h[k], Word(values[k], validity, first + k));
                    }

                    k += RowHashMath.AbsorbEachValid(h[k..], MemoryMarshal.Cast<T, ulong>(values)[k..], validity[((first + k) >> 3)..]);
                }

                for (; k < values.Length; k++)
                {
                    h[k] = RowHashMath.Absorb(h[k], Word(values[k], validity, first + k));
                }
            }
        }

        /// <summary>The value zero-extended, or the null word when the slot is null (chosen without a branch).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong Word<T>(T value, ReadOnlySpan<byte> validity, int slot)
            where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
        {
            if (validity.IsEmpty)
            {
                return ulong.CreateTruncating(value);
            }

            // 0 for a valid slot, all ones for a null one.
            ulong nullMask = ((ulong)(validity[slot >> 3] >> (slot & 7)) & 1) - 1;
            return (ulong.CreateTruncating(value) & ~nullMask) | (RowHashMath.NullWord & nullMask);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Booleans(ArrayData a, int start, int count, Span<ulong> h, Span<long> bits)
        {
            var values = a.Buffers[1].Span;
            var validity = a.ValidityBitmap;
            int first = a.Offset + start;
            int k = 0;
            if (RowHashMath.Wide)
            {
                // One by one up to a slot at bit 0 of a byte (values and validity alike), then a byte of each at a time.
                int lead = Math.Min(count, (8 - (first & 7)) & 7);
                k = lead + BooleansEight(values[((first + lead) >> 3)..], validity.IsEmpty ? default : validity[((first + lead) >> 3)..], h[lead..count]);
                BooleanRows(values, validity, first, 0, lead, h);
            }

            BooleanRows(values, validity, first, k, count, h);

            // An empty span: the caller adds the constant size itself.
            for (int j = 0; j < bits.Length; j++)
            {
                bits[j] += 1;
            }
        }

        /// <summary>Slots [<paramref name="from"/>, <paramref name="to"/>) of <see cref="Booleans"/>, one at a time.</summary>
        private static void BooleanRows(ReadOnlySpan<byte> values, ReadOnlySpan<byte> validity, int first, int from, int to, Span<ulong> h)
        {
            for (int k = from; k < to; k++)
            {
                int slot = first + k;
                ulong valid = validity.IsEmpty ? ulong.MaxValue : ValidMask(validity, slot);
                ulong word = ((ulong)(values[slot >> 3] >> (slot & 7)) & 1 & valid) | (RowHashMath.NullWord & ~valid);
                h[k] = RowHashMath.Absorb(h[k], word);
            }
        }

        /// <summary>
        /// Booleans eight slots at a time, a byte of values (and of validity, empty: no nulls) per
        /// eight, from bit 0 of their first bytes; returns the slots done (a multiple of eight).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static int BooleansEight(ReadOnlySpan<byte> values, ReadOnlySpan<byte> validity, Span<ulong> h)
        {
            var nullWord = Vector512.Create(RowHashMath.NullWord);
            int done = 0;
            for (; done + 8 <= h.Length; done += 8)
            {
                var word = RowHashMath.BitLanes(values[done >> 3]) & Vector512<ulong>.One;
                if (!validity.IsEmpty)
                {
                    var valid = RowHashMath.BitLanes(validity[done >> 3]);
                    word = Vector512.ConditionalSelect(valid, word, nullWord);
                }

                RowHashMath.Fold(Vector512.Create(h.Slice(done, 8)), word).CopyTo(h.Slice(done, 8));
            }

            return done;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void VarBinary<TOffset>(ArrayData a, ReadOnlySpan<TOffset> offsets, int offsetWidth, int start, int count, Span<ulong> h, Span<long> bits)
            where TOffset : unmanaged, IBinaryInteger<TOffset>
        {
            var data = a.Buffers[2].Span;
            var validity = a.ValidityBitmap;
            bool hasValidity = !validity.IsEmpty;
            int first = a.Offset + start;
            long offsetBits = 8L * offsetWidth;
            var slotOffsets = offsets.Slice(first, count + 1);
            int k = 0;
            if (typeof(TOffset) == typeof(int) && RowHashMath.Wide)
            {
                // One by one up to a slot at bit 0 of its validity byte, then eight at a time; a
                // group of eight holding a long string goes one by one, and the next eight at a time again.
                k = hasValidity ? Math.Min(count, (8 - (first & 7)) & 7) : 0;
                VarBinaryRows(slotOffsets, data, validity, first, 0, k, offsetBits, h, bits);
                var intOffsets = MemoryMarshal.Cast<TOffset, int>(slotOffsets);
                while (true)
                {
                    k += ShortStringsEight(intOffsets[k..], data, hasValidity ? validity[((first + k) >> 3)..] : default, h[k..count], bits[k..count], offsetBits);
                    if (k + 8 > count)
                    {
                        break;
                    }

                    VarBinaryRows(slotOffsets, data, validity, first, k, k + 8, offsetBits, h, bits);
                    k += 8;
                }
            }

            VarBinaryRows(slotOffsets, data, validity, first, k, count, offsetBits, h, bits);
        }

        /// <summary>Slots [<paramref name="from"/>, <paramref name="to"/>) of <see cref="VarBinary"/>, one at a time.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void VarBinaryRows<TOffset>(ReadOnlySpan<TOffset> slotOffsets, ReadOnlySpan<byte> data, ReadOnlySpan<byte> validity, int first, int from, int to, long offsetBits, Span<ulong> h, Span<long> bits)
            where TOffset : unmanaged, IBinaryInteger<TOffset>
        {
            bool hasValidity = !validity.IsEmpty;
            // Strings of up to 24 bytes whose three 8-byte reads stay inside the data: no branch on
            // their length or validity, so a mix of lengths and nulls does not mispredict.
            int shortEnd = data.Length - 24;
            for (int k = from; k < to; k++)
            {
                int start = int.CreateTruncating(slotOffsets[k]);
                int end = int.CreateTruncating(slotOffsets[k + 1]);
                int length = end - start;
                ulong valid = hasValidity ? ValidMask(validity, first + k) : ulong.MaxValue;
                // Canonical null slots are empty; the mask keeps that true of the sizes whatever the input.
                bits[k] += offsetBits + (8L * length & (long)valid);
                if (length <= 24 && start <= shortEnd)
                {
                    h[k] = ShortBytes(h[k], data, start, length, valid);
                }
                else
                {
                    h[k] = valid == 0 ? RowHashMath.Absorb(h[k], RowHashMath.NullWord) : LengthAndWords(h[k], data, start, end);
                }
            }
        }

        /// <summary>
        /// <see cref="ShortBytes"/> of eight slots at once, for as long as each group of eight
        /// holds only short strings (at most 24 bytes, 24 readable): the length and three masked
        /// words of each lane folded with one multiplication per word for all eight. Stops at the
        /// first group that does not qualify or has fewer than eight slots; returns the slots done.
        /// <paramref name="validity"/> starts at the byte whose bit 0 is the first slot (empty: no nulls).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static int ShortStringsEight(ReadOnlySpan<int> offsets, ReadOnlySpan<byte> data, ReadOnlySpan<byte> validity, Span<ulong> h, Span<long> bits, long offsetBits)
        {
            int shortEnd = data.Length - 24;
            var nullWord = Vector512.Create(RowHashMath.NullWord);
            int done = 0;
            ref byte bytes = ref MemoryMarshal.GetReference(data);
            for (; done + 8 <= h.Length; done += 8)
            {
                var starts = Vector256.Create(offsets.Slice(done, 8));
                var lengths32 = Vector256.Create(offsets.Slice(done + 1, 8)) - starts;
                if (!Vector256.LessThanOrEqualAll(lengths32.AsUInt32(), Vector256.Create(24u)) || !Vector256.LessThanOrEqualAll(starts, Vector256.Create(shortEnd)))
                {
                    break;
                }

                // Unchecked reads: every start was just found at most 24 bytes before the data's end.
                var first = Vector512.Create(
                    Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done])), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 1])),
                    Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 2])), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 3])),
                    Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 4])), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 5])),
                    Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 6])), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 7])));
                var second = Vector512.Create(
                    Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done] + 8)), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 1] + 8)),
                    Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 2] + 8)), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 3] + 8)),
                    Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 4] + 8)), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 5] + 8)),
                    Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 6] + 8)), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 7] + 8)));
                var third = Vector512.Create(
                    Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done] + 16)), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 1] + 16)),
                    Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 2] + 16)), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 3] + 16)),
                    Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 4] + 16)), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 5] + 16)),
                    Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 6] + 16)), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref bytes, offsets[done + 7] + 16)));
                var lengths = Avx512F.ConvertToVector512Int64(lengths32);
                var acc = Vector512.Create(h.Slice(done, 8));
                var two = RowHashMath.Fold(RowHashMath.Fold(RowHashMath.Fold(acc, lengths.AsUInt64()), first & LowBytes(lengths)), second & LowBytes(lengths - Vector512.Create(8L)));
                var three = RowHashMath.Fold(two, third & LowBytes(lengths - Vector512.Create(16L)));
                var words = Vector512.ConditionalSelect(Vector512.GreaterThan(lengths, Vector512.Create(16L)).AsUInt64(), three, two);
                var valid = validity.IsEmpty ? Vector512<ulong>.AllBitsSet : RowHashMath.BitLanes(validity[done >> 3]);
                Vector512.ConditionalSelect(valid, words, RowHashMath.Fold(acc, nullWord)).CopyTo(h.Slice(done, 8));
                // Canonical null slots are empty; the mask keeps that true of the sizes whatever the input.
                (Vector512.Create(bits.Slice(done, 8)) + Vector512.Create(offsetBits) + (Vector512.ShiftLeft(lengths, 3) & valid.AsInt64())).CopyTo(bits.Slice(done, 8));
            }

            return done;
        }

        /// <summary><see cref="LowBytes(int)"/> of eight lengths: all ones from 8 up, 0 below 1.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<ulong> LowBytes(Vector512<long> n)
        {
            var bytes = Vector512.Min(Vector512.Max(n, Vector512<long>.Zero), Vector512.Create(8L));
            // A variable shift by 64 gives 0, so 8 bytes keep every bit.
            return ~Avx512F.ShiftLeftLogicalVariable(Vector512<ulong>.AllBitsSet, Vector512.ShiftLeft(bytes, 3).AsUInt64());
        }

        /// <summary>
        /// The words of a byte string of at most 24 bytes with 24 readable bytes at
        /// <paramref name="from"/>: the length and two or three masked words, chosen with masks; the
        /// null word instead where <paramref name="valid"/> is 0.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong ShortBytes(ulong acc, ReadOnlySpan<byte> data, int from, int length, ulong valid)
        {
            var bytes = data.Slice(from, 24);
            ulong first = BinaryPrimitives.ReadUInt64LittleEndian(bytes) & LowBytes(length);
            ulong second = BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]) & LowBytes(length - 8);
            ulong third = BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]) & LowBytes(length - 16);
            ulong two = RowHashMath.Absorb(RowHashMath.Absorb(RowHashMath.Absorb(acc, (ulong)length), first), second);
            ulong three = RowHashMath.Absorb(two, third);
            // All ones when the string is longer than 16 bytes (a third word), else 0.
            ulong long16 = (ulong)((long)(16 - length) >> 63);
            ulong words = (three & long16) | (two & ~long16);
            return (words & valid) | (RowHashMath.Absorb(acc, RowHashMath.NullWord) & ~valid);
        }

        /// <summary>A mask of the low <paramref name="n"/> bytes of a word, <paramref name="n"/> clamped to 0–8, without a branch.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong LowBytes(int n)
        {
            int clamped = n & ~(n >> 31);
            clamped = 8 + ((clamped - 8) & ((clamped - 8) >> 31));
            // Two shifts of 4·n: a single shift by 64 would be a shift by 0.
            return ~((ulong.MaxValue << (4 * clamped)) << (4 * clamped));
        }

        /// <summary>All ones when slot <paramref name="slot"/> is valid, 0 when it is null.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong ValidMask(ReadOnlySpan<byte> validity, int slot) => 0UL - ((ulong)(validity[slot >> 3] >> (slot & 7)) & 1);

        private static void Views(ArrayData a, int start, int count, Span<ulong> h, Span<long> bits)
        {
            var validity = a.ValidityBitmap;
            for (int k = 0; k < count; k++)
            {
                int slot = start + k;
                if (!validity.IsEmpty && !Bit(validity, a.Offset + slot))
                {
                    h[k] = RowHashMath.Absorb(h[k], RowHashMath.NullWord);
                    bits[k] += 128;
                    continue;
                }

                var value = a.GetBytes(slot);
                h[k] = LengthAndWords(h[k], value, 0, value.Length);
                bits[k] += 128 + (value.Length > 12 ? 8L * value.Length : 0);
            }
        }

        private void Lists(ArrayData a, int offsetWidth, int start, int count, Span<ulong> h, Span<long> bits)
        {
            if (offsetWidth == 4)
            {
                Lists(a, MemoryMarshal.Cast<byte, int>(a.Buffers[1].Span), start, count, h, bits);
            }
            else
            {
                Lists(a, MemoryMarshal.Cast<byte, long>(a.Buffers[1].Span), start, count, h, bits);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Lists<TOffset>(ArrayData a, ReadOnlySpan<TOffset> offsets, int start, int count, Span<ulong> h, Span<long> bits)
            where TOffset : unmanaged, IBinaryInteger<TOffset>
        {
            var validity = a.ValidityBitmap;
            bool hasValidity = !validity.IsEmpty;
            int first = a.Offset + start;
            int itemsFrom = int.CreateChecked(offsets[first]);
            int itemsTo = int.CreateChecked(offsets[first + count]);
            using var items = Items(a.Children[0], itemsFrom, itemsTo - itemsFrom);
            // Padded past the last item so the branch-free path below may read four items from any list.
            var itemHashes = items.PaddedHashes;
            var itemBits = items.PaddedBits;
            long offsetBits = 8L * Unsafe.SizeOf<TOffset>();
            var slotOffsets = offsets.Slice(first, count + 1);
            int k = 0;
            if (typeof(TOffset) == typeof(int) && RowHashMath.Wide)
            {
                // As VarBinary: aligned to a validity byte, then eight lists at a time while each
                // group holds only lists of up to four items, a longer one's group one by one.
                k = hasValidity ? Math.Min(count, (8 - (first & 7)) & 7) : 0;
                ListRows(slotOffsets, itemsFrom, itemHashes, itemBits, validity, first, 0, k, offsetBits, h, bits);
                var intOffsets = MemoryMarshal.Cast<TOffset, int>(slotOffsets);
                while (true)
                {
                    k += ShortListsEight(intOffsets[k..], itemsFrom, itemHashes, itemBits, hasValidity ? validity[((first + k) >> 3)..] : default, h[k..count], bits[k..count], offsetBits);
                    if (k + 8 > count)
                    {
                        break;
                    }

                    ListRows(slotOffsets, itemsFrom, itemHashes, itemBits, validity, first, k, k + 8, offsetBits, h, bits);
                    k += 8;
                }
            }

            ListRows(slotOffsets, itemsFrom, itemHashes, itemBits, validity, first, k, count, offsetBits, h, bits);
        }

        /// <summary>Lists [<paramref name="from"/>, <paramref name="to"/>) of <see cref="Lists{TOffset}"/>, one at a time.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void ListRows<TOffset>(ReadOnlySpan<TOffset> slotOffsets, int itemsFrom, ReadOnlySpan<ulong> itemHashes, ReadOnlySpan<long> itemBits,
            ReadOnlySpan<byte> validity, int first, int from, int to, long offsetBits, Span<ulong> h, Span<long> bits)
            where TOffset : unmanaged, IBinaryInteger<TOffset>
        {
            bool hasValidity = !validity.IsEmpty;
            for (int k = from; k < to; k++)
            {
                int start = int.CreateTruncating(slotOffsets[k]) - itemsFrom;
                int end = int.CreateTruncating(slotOffsets[k + 1]) - itemsFrom;
                int length = end - start;
                ulong valid = hasValidity ? ValidMask(validity, first + k) : ulong.MaxValue;
                if ((uint)length <= 4)
                {
                    // Up to four items: every step is computed and the right one chosen with masks,
                    // so lists of mixed short lengths and nulls do not mispredict.
                    ulong acc = RowHashMath.Absorb(h[k], (ulong)length);
                    ulong result = acc;
                    long size = 0;
                    for (int j = 0; j < 4; j++)
                    {
                        acc = RowHashMath.Absorb(acc, itemHashes[start + j]);
                        ulong taken = (ulong)((long)(j - length) >> 63);
                        result = (acc & taken) | (result & ~taken);
                        size += itemBits[start + j] & (long)taken;
                    }

                    h[k] = (result & valid) | (RowHashMath.Absorb(h[k], RowHashMath.NullWord) & ~valid);
                    bits[k] += offsetBits + (size & (long)valid);
                }
                else if (valid == 0)
                {
                    h[k] = RowHashMath.Absorb(h[k], RowHashMath.NullWord);
                    bits[k] += offsetBits;
                }
                else
                {
                    ulong acc = RowHashMath.Absorb(h[k], (ulong)length);
                    long size = offsetBits;
                    for (int j = start; j < end; j++)
                    {
                        acc = RowHashMath.Absorb(acc, itemHashes[j]);
                        size += itemBits[j];
                    }

                    h[k] = acc;
                    bits[k] += size;
                }
            }
        }

        /// <summary>
        /// The branch-free short-list step of <see cref="ListRows{TOffset}"/> for eight lists at
        /// once, for as long as each group of eight holds only lists of up to four items (the
        /// item arrays are padded so four may be read from any list); returns the lists done.
        /// <paramref name="validity"/> starts at the byte whose bit 0 is the first list (empty: no nulls).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static int ShortListsEight(ReadOnlySpan<int> offsets, int itemsFrom, ReadOnlySpan<ulong> itemHashes, ReadOnlySpan<long> itemBits,
            ReadOnlySpan<byte> validity, Span<ulong> h, Span<long> bits, long offsetBits)
        {
            var nullWord = Vector512.Create(RowHashMath.NullWord);
            int done = 0;
            for (; done + 8 <= h.Length; done += 8)
            {
                var starts = Vector256.Create(offsets.Slice(done, 8)) - Vector256.Create(itemsFrom);
                var lengths32 = Vector256.Create(offsets.Slice(done + 1, 8)) - Vector256.Create(itemsFrom) - starts;
                if (!Vector256.LessThanOrEqualAll(lengths32.AsUInt32(), Vector256.Create(4u)))
                {
                    break;
                }

                var lengths = Avx512F.ConvertToVector512Int64(lengths32);
                var acc = Vector512.Create(h.Slice(done, 8));
                var folded = RowHashMath.Fold(acc, lengths.AsUInt64());
                var result = folded;
                var size = Vector512<long>.Zero;
                for (int j = 0; j < 4; j++)
                {
                    // Item j of each list (a padding zero or the next list's item past its end, masked off).
                    var item = Vector512.Create(
                        itemHashes[starts[0] + j], itemHashes[starts[1] + j], itemHashes[starts[2] + j], itemHashes[starts[3] + j],
                        itemHashes[starts[4] + j], itemHashes[starts[5] + j], itemHashes[starts[6] + j], itemHashes[starts[7] + j]);
                    var itemSize = Vector512.Create(
                        itemBits[starts[0] + j], itemBits[starts[1] + j], itemBits[starts[2] + j], itemBits[starts[3] + j],
                        itemBits[starts[4] + j], itemBits[starts[5] + j], itemBits[starts[6] + j], itemBits[starts[7] + j]);
                    folded = RowHashMath.Fold(folded, item);
                    var taken = Vector512.GreaterThan(lengths, Vector512.Create((long)j));
                    result = Vector512.ConditionalSelect(taken.AsUInt64(), folded, result);
                    size += itemSize & taken;
                }

                var valid = validity.IsEmpty ? Vector512<ulong>.AllBitsSet : RowHashMath.BitLanes(validity[done >> 3]);
                Vector512.ConditionalSelect(valid, result, RowHashMath.Fold(acc, nullWord)).CopyTo(h.Slice(done, 8));
                (Vector512.Create(bits.Slice(done, 8)) + Vector512.Create(offsetBits) + (size & valid.AsInt64())).CopyTo(bits.Slice(done, 8));
            }

            return done;
        }

        private void ListViews(ArrayData a, int offsetWidth, int start, int count, Span<ulong> h, Span<long> bits)
        {
            var validity = a.ValidityBitmap;
            int first = a.Offset + start;
            // The items any valid view of these slots reaches (canonical views are laid out like a list).
            long itemsFrom = long.MaxValue, itemsTo = 0;
            for (int k = 0; k < count; k++)
            {
                var (from, to) = a.GetListRange(start + k);
                if (to > from)
                {
                    itemsFrom = Math.Min(itemsFrom, from);
                    itemsTo = Math.Max(itemsTo, to);
                }
            }

            if (itemsFrom > itemsTo)
            {
                itemsFrom = itemsTo = 0;
            }

            using var items = Items(a.Children[0], checked((int)itemsFrom), checked((int)(itemsTo - itemsFrom)));
            long offsetBits = 16L * offsetWidth;
            for (int k = 0; k < count; k++)
            {
                if (!validity.IsEmpty && !Bit(validity, first + k))
                {
                    h[k] = RowHashMath.Absorb(h[k], RowHashMath.NullWord);
                    bits[k] += offsetBits;
                    continue;
                }

                var (from, to) = a.GetListRange(start + k);
                if (to == from)
                {
                    (from, to) = (itemsFrom, itemsFrom);
                }

                (h[k], long itemBits) = CountAndItems(h[k], items, (int)(from - itemsFrom), (int)(to - itemsFrom));
                bits[k] += offsetBits + itemBits;
            }
        }

        private void FixedSizeLists(ArrayData a, int listSize, int start, int count, Span<ulong> h, Span<long> bits)
        {
            var validity = a.ValidityBitmap;
            int first = a.Offset + start;
            using var items = Items(a.Children[0], checked(first * listSize), checked(count * listSize));
            for (int k = 0; k < count; k++)
            {
                int from = k * listSize, to = from + listSize;
                long itemBits = 0;
                for (int j = from; j < to; j++)
                {
                    itemBits += items.Bits[j];
                }

                // The items of a null slot take room in the block (canonical form makes them null) but are not hashed.
                bits[k] += itemBits;
                h[k] = !validity.IsEmpty && !Bit(validity, first + k)
                    ? RowHashMath.Absorb(h[k], RowHashMath.NullWord)
                    : CountAndItems(h[k], items, from, to).Hash;
            }
        }

        private void Structs(ArrayData a, int start, int count, Span<ulong> h, Span<long> bits)
        {
            var validity = a.ValidityBitmap;
            int first = a.Offset + start;
            for (int k = 0; k < count; k++)
            {
                ulong word = validity.IsEmpty || Bit(validity, first + k) ? 0 : RowHashMath.NullWord;
                h[k] = RowHashMath.Absorb(h[k], word);
            }

            // Children are aligned with the parent's logical slots; under a null slot canonical form makes them null.
            foreach (var child in a.Children)
            {
                Absorb(child, start, count, h, bits);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Dictionary(ArrayData a, int start, int count, Span<ulong> h, Span<long> bits)
        {
            var valueHashes = Whole(a.Dictionary!).Hashes;
            int first = a.Offset + start;
            var validity = a.ValidityBitmap;
            if (DictionaryIndexOrder.TryInt32(a, first, count, out var int32))
            {
                DictionaryValues(int32, validity, first, valueHashes, h);
            }
            else
            {
                var rented = ArrayPool<long>.Shared.Rent(count);
                try
                {
                    var indices = rented.AsSpan(0, count);
                    DictionaryIndexOrder.Widen(a, first, count, indices);
                    DictionaryValues<long>(indices, validity, first, valueHashes, h);
                }
                finally
                {
                    ArrayPool<long>.Shared.Return(rented);
                }
            }

            // An empty span: the caller adds the constant size itself.
            long indexBits = a.Type.PhysicalType.IndexType!.BitWidth;
            for (int k = 0; k < bits.Length; k++)
            {
                bits[k] += indexBits;
            }
        }

        /// <summary>Folds each slot's dictionary value hash, or the null word under a null slot.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void DictionaryValues<T>(ReadOnlySpan<T> indices, ReadOnlySpan<byte> validity, int first, ReadOnlySpan<ulong> valueHashes, Span<ulong> h)
            where T : unmanaged, IBinaryInteger<T>
        {
            for (int k = 0; k < indices.Length; k++)
            {
                // Canonical null slots hold index 0, which is in range whenever any slot is valid
                // (a dictionary of all-null slots may be empty: then no value is read).
                ulong valid = validity.IsEmpty ? ulong.MaxValue : ValidMask(validity, first + k);
                ulong index = ulong.CreateTruncating(indices[k]);
                ulong value = index < (ulong)valueHashes.Length ? valueHashes[(int)index] : 0;
                h[k] = RowHashMath.Absorb(h[k], (value & valid) | (RowHashMath.NullWord & ~valid));
            }
        }

        private void RunEndEncoded(ArrayData a, int start, int count, Span<ulong> h, Span<long> bits)
        {
            var runEnds = a.Children[0];
            int firstRun = a.RunIndex(start);
            int lastRun = a.RunIndex(start + count - 1);
            using var values = Items(a.Children[1], firstRun, lastRun - firstRun + 1);
            long runEndBits = runEnds.Type.BitWidth;
            int run = firstRun;
            long runEnd = IntegerSlots.RunEnd(runEnds, runEnds.Offset + run);
            for (int k = 0; k < count; k++)
            {
                long logical = (long)a.Offset + start + k;
                while (logical >= runEnd)
                {
                    run++;
                    runEnd = IntegerSlots.RunEnd(runEnds, runEnds.Offset + run);
                }

                h[k] = RowHashMath.Absorb(h[k], values.Hashes[run - firstRun]);
                bits[k] += runEndBits + values.Bits[run - firstRun];
            }
        }

        private void SparseUnion(ArrayData a, int start, int count, Span<ulong> h, Span<long> bits)
        {
            var t = a.Type.PhysicalType;
            var children = new List<ItemHashes>(a.Children.Length);
            try
            {
                foreach (var child in a.Children)
                {
                    children.Add(Items(child, start, count));
                }

                var codes = a.Buffers[0].Span;
                for (int k = 0; k < count; k++)
                {
                    byte code = codes[a.Offset + start + k];
                    int child = t.TypeCodes.IndexOf((sbyte)code);
                    h[k] = RowHashMath.Absorb(RowHashMath.Absorb(h[k], code), children[child].Hashes[k]);
                    long size = 8;
                    foreach (var items in children)
                    {
                        size += items.Bits[k];
                    }

                    bits[k] += size;
                }
            }
            finally
            {
                children.ForEach(items => items.Dispose());
            }
        }

        private void DenseUnion(ArrayData a, int start, int count, Span<ulong> h, Span<long> bits)
        {
            var children = a.Children.Select(Whole).ToArray();
            var codes = a.Buffers[0].Span;
            for (int k = 0; k < count; k++)
            {
                var (child, childSlot) = a.UnionChildSlot(start + k);
                byte code = codes[a.Offset + start + k];
                h[k] = RowHashMath.Absorb(RowHashMath.Absorb(h[k], code), children[child].Hashes[childSlot]);
                bits[k] += 40 + children[child].Bits[childSlot];
            }
        }

        /// <summary>The words of a list value: its item count, then each item's finished hash.</summary>
        private static (ulong Hash, long Bits) CountAndItems(ulong acc, ItemHashes items, int from, int to)
        {
            acc = RowHashMath.Absorb(acc, (ulong)(to - from));
            long size = 0;
            for (int j = from; j < to; j++)
            {
                acc = RowHashMath.Absorb(acc, items.Hashes[j]);
                size += items.Bits[j];
            }

            return (acc, size);
        }
    }

    /// <summary>
    /// The words of the byte string data[from..to): its length, then its bytes zero-padded to a
    /// multiple of 8 bytes and to at least 16, as little-endian words (so at least two). Strings of
    /// up to 16 bytes — most of them — take two masked 8-byte reads and no branch on their length.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong LengthAndWords(ulong acc, ReadOnlySpan<byte> data, int from, int to)
    {
        int length = to - from;
        acc = RowHashMath.Absorb(acc, (ulong)length);
        if (length <= 16 && from + 16 <= data.Length)
        {
            ulong first = BinaryPrimitives.ReadUInt64LittleEndian(data[from..]) & ByteMasks[Math.Min(length, 8)];
            ulong second = BinaryPrimitives.ReadUInt64LittleEndian(data[(from + 8)..]) & ByteMasks[Math.Max(length - 8, 0)];
            return RowHashMath.Absorb(RowHashMath.Absorb(acc, first), second);
        }

        int at = from;
        int words = 0;
        for (; to - at >= 8; at += 8, words++)
        {
            acc = RowHashMath.Absorb(acc, BinaryPrimitives.ReadUInt64LittleEndian(data[at..]));
        }

        if (at < to)
        {
            acc = RowHashMath.Absorb(acc, Tail(data[at..to]));
            words++;
        }

        for (; words < 2; words++)
        {
            acc = RowHashMath.Absorb(acc, 0);
        }

        return acc;
    }

    /// <summary>ByteMasks[n] keeps the low n bytes of a word.</summary>
    private static ReadOnlySpan<ulong> ByteMasks =>
    [
        0, 0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF, 0xFFFFFFFFFF, 0xFFFFFFFFFFFF, 0xFFFFFFFFFFFFFF, ulong.MaxValue,
    ];

    /// <summary>
    /// The words of a fixed-width value: max(1, ⌈width/8⌉) little-endian words of its bytes, the
    /// last zero-padded; under a null slot the first word is the null word (the rest are the
    /// canonical zero bytes).
    /// </summary>
    private static ulong FixedWords(ulong acc, ReadOnlySpan<byte> value, bool isNull)
    {
        int words = Math.Max(1, (value.Length + 7) >> 3);
        for (int j = 0; j < words; j++)
        {
            var part = value[Math.Min(value.Length, j * 8)..Math.Min(value.Length, (j * 8) + 8)];
            ulong word = part.Length == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(part) : Tail(part);
            acc = RowHashMath.Absorb(acc, j == 0 && isNull ? RowHashMath.NullWord : word);
        }

        return acc;
    }

    /// <summary>Up to 7 bytes as a little-endian word, zero-padded.</summary>
    private static ulong Tail(ReadOnlySpan<byte> bytes)
    {
        ulong word = 0;
        for (int i = bytes.Length - 1; i >= 0; i--)
        {
            word = (word << 8) | bytes[i];
        }

        return word;
    }

    private static bool Bit(ReadOnlySpan<byte> bits, int index) => (bits[index >> 3] & (1 << (index & 7))) != 0;

    /// <summary>Finished item hashes and sizes in pooled arrays, with <see cref="Padding"/> zero slots after the last.</summary>
    private sealed class ItemHashes : IDisposable
    {
        /// <summary>Slots after the last item that may be read (zeros).</summary>
        public const int Padding = 4;

        private ulong[]? _hashes;
        private long[]? _bits;
        private readonly int _count;

        public ItemHashes(int count)
        {
            _count = count;
            _hashes = ArrayPool<ulong>.Shared.Rent(count + Padding);
            _bits = ArrayPool<long>.Shared.Rent(count + Padding);
            _bits.AsSpan(0, count + Padding).Clear();
            _hashes.AsSpan(count, Padding).Clear();
        }

        public Span<ulong> Hashes => _hashes.AsSpan(0, _count);

        public Span<long> Bits => _bits.AsSpan(0, _count);

        public ReadOnlySpan<ulong> PaddedHashes => _hashes.AsSpan(0, _count + Padding);

        public ReadOnlySpan<long> PaddedBits => _bits.AsSpan(0, _count + Padding);

        public void Dispose()
        {
            if (_hashes is not null)
            {
                ArrayPool<ulong>.Shared.Return(_hashes);
                ArrayPool<long>.Shared.Return(_bits!);
                _hashes = null;
                _bits = null;
            }
        }
    }
}
