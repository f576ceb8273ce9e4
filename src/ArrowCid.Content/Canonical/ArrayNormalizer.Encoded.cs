using System.Buffers;
using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Content.Canonical;

/// <summary>Encodings that stand for other values: dictionaries and run-end encoding.</summary>
internal static partial class ArrayNormalizer
{
    /// <summary>Whether no two slots of <paramref name="values"/> are logically equal.</summary>
    private static bool DistinctValues(ArrayData values)
    {
        var seen = new HashSet<byte[]>(ByteKeyComparer.Instance);
        for (int i = 0; i < values.Length; i++)
        {
            if (!seen.Add(ValueKey.Of(values, i)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Dictionary-encoded arrays: the dictionary becomes the distinct non-null values in order of
    /// first use by a valid slot (logical equality through <see cref="ValueKey"/>), indices are
    /// remapped (same index type), null slots hold index 0, and a valid index that points at a
    /// null dictionary value becomes a null slot.
    /// </summary>
    private static ArrayData Dictionary(ArrayData a, SlotSelection selection)
    {
        var dictionary = a.Dictionary ?? throw new ArgumentException($"dictionary-encoded array of {a.Type} has no dictionary", nameof(a));
        int n = selection.Count;
        // Already canonical (the common case on the put path): indices in first-use order over a
        // canonical dictionary of distinct values without nulls. One typed pass over the indices
        // and one key per dictionary value, nothing copied.
        if (selection.IsPlainRange && dictionary.NullCount == 0
            && DictionaryIndexOrder.InFirstUseOrder(a, selection.Start, n, dictionary.Length)
            && ReferenceEquals(Normalize(dictionary, SlotSelection.Range(0, dictionary.Length)), dictionary)
            && DistinctValues(dictionary))
        {
            var canonicalValidity = Validity(a, selection, keep: null);
            int width = a.Layout.ValueBitWidth / 8;
            var inPlace = a.Buffers[1].Slice((a.Offset + selection.Start) * width, n * width);
            return Assemble(a, selection, canonicalValidity.NullCount, [canonicalValidity.Buffer, inPlace], [], dictionary);
        }

        if (selection.IsPlainRange && DictionaryIndexOrder.TryInt32(a, a.Offset + selection.Start, n, out var int32))
        {
            return RenumberedInt32(a, selection, dictionary, int32);
        }

        // Each slot's index (-1: null or undefined), read at the index type's own width; keys are
        // made only for the dictionary positions in use, once each.
        // Scratch arrays from the pool: a batch-sized array per call would be a large-object
        // allocation (zeroed, often fresh pages) on every batch of the put path.
        var rented = ArrayPool<long>.Shared.Rent(n);
        var rentedIndex = ArrayPool<int>.Shared.Rent(n);
        try
        {
            return Renumbered(a, selection, dictionary, rented.AsSpan(0, n), rentedIndex.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<long>.Shared.Return(rented);
            ArrayPool<int>.Shared.Return(rentedIndex);
        }
    }

    /// <summary>The general dictionary path: renumbers by first use of each distinct value.</summary>
    private static ArrayData Renumbered(ArrayData a, SlotSelection selection, ArrayData dictionary, Span<long> raw, Span<int> newIndex)
    {
        int n = selection.Count;
        DictionaryIndexOrder.Read(a, selection, raw);
        var firstUse = new FirstUse(dictionary);
        int nullCount = 0;
        for (int k = 0; k < n; k++)
        {
            int mapped = firstUse.Map(raw[k], a, selection, k);
            newIndex[k] = mapped;
            nullCount += (int)((uint)mapped >> 31);
        }

        var validity = new ValidityBits(ReadOnlyMemory<byte>.Empty, 0);
        if (nullCount > 0)
        {
            var bits = new byte[(n + 7) >> 3];
            for (int k = 0; k < n; k++)
            {
                bits[k >> 3] |= (byte)(((uint)~newIndex[k] >> 31) << (k & 7));
            }

            validity = new ValidityBits(bits, nullCount);
        }

        int w = a.Layout.ValueBitWidth / 8;
        // Every byte is written: no need to zero it first.
        var indexBytes = GC.AllocateUninitializedArray<byte>(n * w);
        DictionaryIndexOrder.Write(newIndex, indexBytes, w);
        return RenumberedArray(a, selection, dictionary, validity, indexBytes, firstUse);
    }

    /// <summary>
    /// <see cref="Renumbered(ArrayData, SlotSelection, ArrayData, Span{long}, Span{int})"/> for
    /// int32 indices over a plain range, the common kind: the indices read, renumbered and written
    /// and the validity bits made in one pass, with no scratch arrays.
    /// </summary>
    private static ArrayData RenumberedInt32(ArrayData a, SlotSelection selection, ArrayData dictionary, ReadOnlySpan<int> indices)
    {
        int n = selection.Count;
        int first = a.Offset + selection.Start;
        ReadOnlySpan<byte> inputValidity = a.ValidityBitmap;
        var indexBytes = GC.AllocateUninitializedArray<byte>(n * 4);
        Span<int> renumbered = MemoryMarshal.Cast<byte, int>(indexBytes.AsSpan());
        var bits = new byte[(n + 7) >> 3];
        var firstUse = new FirstUse(dictionary);
        int nullCount = 0;
        for (int group = 0; group < n; group += 8)
        {
            // The group's validity bits, read once for either path.
            int validIn = ValidityByte(inputValidity, first + group);
            if (group + 8 <= n && Avx2.IsSupported && firstUse.TryMapEight(indices.Slice(group, 8), validIn, renumbered.Slice(group, 8), out int validEight))
            {
                nullCount += 8 - BitOperations.PopCount((uint)validEight);
                bits[group >> 3] = (byte)validEight;
                continue;
            }

            // Eight slots' validity gathered in a register and stored once, not a byte updated per slot.
            int end = Math.Min(group + 8, n);
            uint validOut = 0;
            for (int k = group; k < end; k++)
            {
                // All ones for a valid slot keeps its index, 0 makes it -1 (null).
                int valid = -((validIn >> (k - group)) & 1);
                int index = indices[k];
                if ((index & valid) < 0)
                {
                    ThrowNegative(a, selection);
                }

                int mapped = firstUse.Map((index & valid) | ~valid, a, selection, k);
                renumbered[k] = Math.Max(mapped, 0);
                nullCount += (int)((uint)mapped >> 31);
                validOut |= ((uint)~mapped >> 31) << (k - group);
            }

            bits[group >> 3] = (byte)validOut;
        }

        var validity = nullCount > 0 ? new ValidityBits(bits, nullCount) : new ValidityBits(ReadOnlyMemory<byte>.Empty, 0);
        return RenumberedArray(a, selection, dictionary, validity, indexBytes, firstUse);
    }

    /// <summary>The eight validity bits from bit <paramref name="bit"/> on (all set without a bitmap; bits past its end clear).</summary>
    private static int ValidityByte(ReadOnlySpan<byte> validity, int bit)
    {
        if (validity.IsEmpty)
        {
            return 0xFF;
        }

        int at = bit >> 3;
        int low = validity[at];
        int high = at + 1 < validity.Length ? validity[at + 1] : 0;
        return ((low | (high << 8)) >> (bit & 7)) & 0xFF;
    }

    /// <summary>A valid slot holds a negative index: the general reader names the first such slot.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNegative(ArrayData a, SlotSelection selection) => DictionaryIndexOrder.Read(a, selection, new long[selection.Count]);

    /// <summary>
    /// The end of every renumbering: where the input already holds these bits and indices (a
    /// range of canonical slots), its memory is kept, so a canonical array comes back as the same
    /// instance; the dictionary becomes the values in first use.
    /// </summary>
    private static ArrayData RenumberedArray(ArrayData a, SlotSelection selection, ArrayData dictionary, ValidityBits validity, byte[] indexBytes, FirstUse firstUse)
    {
        int n = selection.Count;
        int w = a.Layout.ValueBitWidth / 8;
        ReadOnlyMemory<byte> indices = indexBytes;
        if (selection.IsRange)
        {
            var before = Validity(a, selection, keep: null);
            if (before.NullCount == validity.NullCount && before.Buffer.Span.SequenceEqual(validity.Buffer.Span))
            {
                validity = before;
            }

            var candidate = BufferDraft.OverIfInRange(a.Buffers[1], (long)(a.Offset + selection.Start) * w, n * w);
            if (candidate.IsCandidate && candidate.Span.SequenceEqual(indexBytes))
            {
                indices = candidate.Result;
            }
        }

        var values = Normalize(dictionary, firstUse.Used.Build());
        return Assemble(a, selection, validity.NullCount, [validity.Buffer, indices], [], values);
    }

    /// <summary>
    /// The renumbering by first use: each dictionary position maps to the rank of its value's
    /// first use by a valid slot (logically equal values share one), or to -1 for a null slot or a
    /// position that holds a null value. Keys are made only for the positions in use, once each.
    /// </summary>
    private sealed class FirstUse
    {
        private const int Unseen = int.MinValue, NullValue = -1;
        private readonly ArrayData _dictionary;
        // _remap[index + 1]: index -1 (a null slot) is a value seen from the start, mapped to null,
        // so null slots take the same path as valid ones (no branch to mispredict on scattered nulls).
        private readonly int[] _remap;
        private readonly Dictionary<byte[], int> _firstByValue = new(ByteKeyComparer.Instance);

        public FirstUse(ArrayData dictionary)
        {
            _dictionary = dictionary;
            _remap = new int[dictionary.Length + 1];
            _remap.AsSpan().Fill(Unseen);
            _remap[0] = NullValue;
        }

        /// <summary>The positions of the values in use, in first use (the canonical dictionary's source slots).</summary>
        public SlotSelectionBuilder Used { get; } = new();

        /// <summary>
        /// The new indices of eight slots at once (0 under nulls), when every one is in range, not
        /// negative, and already met; false (nothing written) otherwise, for the one-by-one path
        /// to register, or refuse, them. <paramref name="validEight"/>: the eight slots' new validity bits.
        /// </summary>
        public unsafe bool TryMapEight(ReadOnlySpan<int> indices, int validity, Span<int> renumbered, out int validEight)
        {
            var lanes = Vector256.Create(1, 2, 4, 8, 16, 32, 64, 128);
            var valid = Vector256.Equals(Vector256.Create(validity) & lanes, lanes);
            var index = Vector256.Create(indices) & valid;
            // remap[index + 1]: 0 for a null slot.
            var position = (index | ~valid) + Vector256<int>.One;
            validEight = 0;
            if (Vector256.LessThanAny(index, Vector256<int>.Zero) || Vector256.GreaterThanOrEqualAny(position.AsUInt32(), Vector256.Create((uint)_remap.Length)))
            {
                return false;
            }

            Vector256<int> mapped;
            // Eight loads of the remap in one instruction; every position was checked against its length just above.
            fixed (int* remap = _remap)
            {
                mapped = Avx2.GatherVector256(remap, position, 4);
            }

            if (Vector256.EqualsAny(mapped, Vector256.Create(Unseen)))
            {
                return false;
            }

            Vector256.Max(mapped, Vector256<int>.Zero).CopyTo(renumbered);
            // A slot stays valid where its new index is not negative (a null dictionary value makes it null).
            validEight = (int)(~Vector256.ExtractMostSignificantBits(mapped) & 0xFF);
            return true;
        }

        /// <summary>The new index of slot <paramref name="k"/>, whose index is <paramref name="index"/> (-1: null).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Map(long index, ArrayData a, SlotSelection selection, int k)
        {
            int[] remap = _remap;
            if ((ulong)(index + 1) >= (ulong)remap.Length)
            {
                ThrowOutside(index, a, selection, k);
            }

            int mapped = remap[(int)index + 1];
            return mapped != Unseen ? mapped : FirstSeen((int)index);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private void ThrowOutside(long index, ArrayData a, SlotSelection selection, int k) =>
            throw new ArgumentException($"dictionary index {index} at slot {selection.Source(k)} is outside a dictionary of {_dictionary.Length}", nameof(a));

        private int FirstSeen(int index)
        {
            int mapped = NullValue;
            if (_dictionary.IsValid(index))
            {
                var key = ValueKey.Of(_dictionary, index);
                if (!_firstByValue.TryGetValue(key, out mapped))
                {
                    mapped = Used.Count;
                    _firstByValue.Add(key, mapped);
                    Used.Add(index, 1);
                }
            }

            _remap[index + 1] = mapped;
            return mapped;
        }
    }

    /// <summary>
    /// Run-end encoded arrays: maximal runs (adjacent logically equal values merged, nulls
    /// included), run ends counted from the start of the selection, one value per run.
    /// </summary>
    private static ArrayData RunEndEncoded(ArrayData a, SlotSelection selection)
    {
        var runEnds = a.Children[0];
        var values = a.Children[1];
        int n = selection.Count;
        var ends = new List<long>();
        var runValues = new SlotSelectionBuilder();
        int firstRun = -1, previousRun = int.MinValue;
        byte[]? previousKey = null;
        for (int k = 0; k < n;)
        {
            int src = selection.Source(k);
            int run = -1, length = 1;
            if (src >= 0)
            {
                run = a.RunIndex(src);
                if (selection.IsPlainRange)
                {
                    // The whole rest of the input run lies in the selection: take it in one step.
                    long runEnd = IntegerSlots.RunEnd(runEnds, runEnds.Offset + run) - a.Offset;
                    length = (int)Math.Min(n - k, runEnd - src);
                }
            }

            if (firstRun < 0)
            {
                firstRun = Math.Max(run, 0);
            }

            bool same = ends.Count > 0 && run == previousRun;
            if (ends.Count > 0 && !same)
            {
                var key = ValueKey.Of(values, run);
                previousKey ??= ValueKey.Of(values, previousRun);
                same = key.AsSpan().SequenceEqual(previousKey);
                previousKey = key;
            }

            k += length;
            if (same)
            {
                ends[^1] = k;
            }
            else
            {
                ends.Add(k);
                if (run >= 0)
                {
                    runValues.Add(run, 1);
                }
                else
                {
                    runValues.AddUndefined();
                }
            }

            previousRun = run;
        }

        var runEndsOut = RunEndsArray(runEnds, selection, Math.Max(firstRun, 0), ends);
        var valuesOut = Normalize(values, runValues.Build());
        return Assemble(a, selection, 0, [], [runEndsOut, valuesOut], null);
    }

    /// <summary>The run ends child: the input's own when its values are already these run ends.</summary>
    private static ArrayData RunEndsArray(ArrayData runEnds, SlotSelection selection, int firstRun, List<long> ends)
    {
        int w = runEnds.Type.BitWidth / 8;
        var draft = DraftFor(selection, runEnds.Buffers[1], (long)(runEnds.Offset + firstRun) * w, checked(ends.Count * w));
        Span<byte> scratch = stackalloc byte[8];
        for (int i = 0; i < ends.Count; i++)
        {
            var bytes = scratch[..w];
            IntegerSlots.Write(bytes, ends[i]);
            draft.Write(i * w, bytes);
        }

        return draft.IsCandidate
            ? Normalize(runEnds, SlotSelection.Range(firstRun, ends.Count))
            : new ArrayData(runEnds.Type, ends.Count, 0, 0, [ReadOnlyMemory<byte>.Empty, draft.Result]);
    }
}
