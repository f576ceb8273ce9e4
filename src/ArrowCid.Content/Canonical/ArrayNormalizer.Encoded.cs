using System.Buffers;
using ArrowCid.Arrow.Arrays;

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
        const int Unseen = int.MinValue, NullValue = -1;
        // remap[index + 1]: index -1 (a null slot) is a value seen from the start, mapped to null,
        // so null slots take the same path as valid ones (no branch to mispredict on scattered nulls).
        var remap = new int[dictionary.Length + 1];
        remap.AsSpan().Fill(Unseen);
        remap[0] = NullValue;
        var firstByValue = new Dictionary<byte[], int>(ByteKeyComparer.Instance);
        var used = new SlotSelectionBuilder();
        int nullCount = 0;
        for (int k = 0; k < n; k++)
        {
            long index = raw[k];
            if ((ulong)(index + 1) >= (ulong)remap.Length)
            {
                throw new ArgumentException($"dictionary index {index} at slot {selection.Source(k)} is outside a dictionary of {dictionary.Length}", nameof(a));
            }

            ref int mapped = ref remap[index + 1];
            if (mapped == Unseen)
            {
                if (!dictionary.IsValid((int)index))
                {
                    mapped = NullValue;
                }
                else
                {
                    var key = ValueKey.Of(dictionary, (int)index);
                    if (!firstByValue.TryGetValue(key, out mapped))
                    {
                        mapped = used.Count;
                        firstByValue.Add(key, mapped);
                        used.Add(index, 1);
                    }
                }
            }

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

        // Where the input already holds these bits and indices (a range of canonical slots), keep
        // its memory, so a canonical array comes back as the same instance.
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

        var values = Normalize(dictionary, used.Build());
        return Assemble(a, selection, validity.NullCount, [validity.Buffer, indices], [], values);
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
