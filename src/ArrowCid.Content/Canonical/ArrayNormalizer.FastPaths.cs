using System.Numerics;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Content.Canonical;

/// <summary>
/// Fast paths for the common case: a range of slots whose buffers already sit at the canonical
/// positions (the draft's candidate). Then only the places that may differ are looked at — null
/// slots (found by skipping whole 0xFF validity bytes) and NaNs (found with vector compares) —
/// so checking an already canonical batch runs at memory speed and copies nothing. The general
/// per-slot loops stay the reference; these give the same bytes.
/// </summary>
internal static partial class ArrayNormalizer
{
    /// <summary>Fixed-width values over an in-place candidate: zero under nulls, canonical NaNs.</summary>
    private static ReadOnlyMemory<byte> FixedWidthInPlace(ArrowTypeId id, int w, int n, BufferDraft draft, ValidityBits validity)
    {
        if (FloatCanonicalizer.Applies(id))
        {
            foreach (int k in NaNSlots(id, draft.Span, n))
            {
                if (validity.IsValid(k))
                {
                    draft.Write(k * w, FloatCanonicalizer.CanonicalNaN(id));
                }
            }
        }

        // Usually the values under nulls are already zero: check that in one tight pass first, and
        // only when some are not, visit the null slots through the draft (which copies once).
        if (validity.NullCount > 0 && !NullSlotsAreZero(draft.Span, w, validity.Buffer.Span, n))
        {
            foreach (int k in NullSlots(validity.Buffer, n))
            {
                draft.Clear(k * w, w);
            }
        }

        return draft.Result;
    }

    /// <summary>Whether every slot whose validity bit is 0 holds <paramref name="w"/> zero bytes.</summary>
    private static bool NullSlotsAreZero(ReadOnlySpan<byte> values, int w, ReadOnlySpan<byte> validity, int n)
    {
        int bytes = (n + 7) >> 3;
        int at = 0;
        while (at < bytes)
        {
            int next = validity[at..bytes].IndexOfAnyExcept((byte)0xFF);
            if (next < 0)
            {
                return true;
            }

            at += next;
            int nulls = ~validity[at] & 0xFF;
            while (nulls != 0)
            {
                int k = (at * 8) + BitOperations.TrailingZeroCount(nulls);
                nulls &= nulls - 1;
                if (k >= n)
                {
                    break;
                }

                var slot = values.Slice(k * w, w);
                bool zero = w switch
                {
                    8 => MemoryMarshal.Read<ulong>(slot) == 0,
                    4 => MemoryMarshal.Read<uint>(slot) == 0,
                    _ => !slot.ContainsAnyExcept((byte)0),
                };
                if (!zero)
                {
                    return false;
                }
            }

            at++;
        }

        return true;
    }

    /// <summary>
    /// Var-width offsets over an in-place candidate that already start at zero: they are canonical
    /// exactly when every null slot is empty. Returns false when a null slot holds bytes (the
    /// general path then rebuilds the offsets and data).
    /// </summary>
    private static bool VarBinaryOffsetsInPlace(ReadOnlySpan<byte> offsets, int w, int n, ValidityBits validity, out long total)
    {
        total = ReadOffset(offsets, n, w);
        return ReadOffset(offsets, 0, w) == 0 && NullSlotsEmpty(offsets, w, n, validity);
    }

    /// <summary>
    /// Var-width offsets of a range that does not start at zero (a slice of a larger array, as the
    /// chunker prepares a large batch): canonical once rebased, when every null slot is empty. The
    /// values (bytes or list items) are then the input's contiguous run [<paramref name="start"/>,
    /// <paramref name="start"/> + <paramref name="total"/>), shared, and only the offsets are new.
    /// False when a null slot holds values (the general path rebuilds everything).
    /// </summary>
    private static bool RebasedOffsets(ReadOnlySpan<byte> offsets, int w, int n, ValidityBits validity, out byte[] rebased, out long start, out long total)
    {
        start = ReadOffset(offsets, 0, w);
        total = ReadOffset(offsets, n, w) - start;
        rebased = [];
        if (!BitConverter.IsLittleEndian || !NullSlotsEmpty(offsets, w, n, validity))
        {
            return false;
        }

        rebased = new byte[checked((n + 1) * w)];
        if (w == 4)
        {
            Rebase<int>(offsets, rebased, (int)start);
        }
        else
        {
            Rebase<long>(offsets, rebased, start);
        }

        return true;

        static void Rebase<T>(ReadOnlySpan<byte> offsets, Span<byte> rebased, T origin)
            where T : unmanaged, IBinaryInteger<T>
        {
            var from = MemoryMarshal.Cast<byte, T>(offsets[..rebased.Length]);
            var to = MemoryMarshal.Cast<byte, T>(rebased);
            for (int k = 0; k < to.Length; k++)
            {
                to[k] = from[k] - origin;
            }
        }
    }

    /// <summary>Whether every null slot is empty (equal neighbouring offsets), checked in one tight pass.</summary>
    private static bool NullSlotsEmpty(ReadOnlySpan<byte> offsets, int w, int n, ValidityBits validity)
    {
        if (validity.NullCount == 0)
        {
            return true;
        }

        // Null slots must be empty: equal neighbouring offsets, checked in one tight pass.
        var bits = validity.Buffer.Span;
        int bytes = (n + 7) >> 3;
        int at = 0;
        while (at < bytes)
        {
            int next = bits[at..bytes].IndexOfAnyExcept((byte)0xFF);
            if (next < 0)
            {
                return true;
            }

            at += next;
            int nulls = ~bits[at] & 0xFF;
            while (nulls != 0)
            {
                int k = (at * 8) + BitOperations.TrailingZeroCount(nulls);
                nulls &= nulls - 1;
                if (k < n && ReadOffset(offsets, k, w) != ReadOffset(offsets, k + 1, w))
                {
                    return false;
                }
            }

            at++;
        }

        return true;
    }

    /// <summary>Indices of the zero bits among the first <paramref name="n"/> of a validity bitmap.</summary>
    private static List<int> NullSlots(ReadOnlyMemory<byte> validity, int n)
    {
        var result = new List<int>();
        var bits = validity.Span;
        int bytes = (n + 7) >> 3;
        int at = 0;
        while (at < bytes)
        {
            int next = bits[at..bytes].IndexOfAnyExcept((byte)0xFF);
            if (next < 0)
            {
                break;
            }

            at += next;
            int b = bits[at];
            for (int bit = 0; bit < 8; bit++)
            {
                int k = (at * 8) + bit;
                if (k < n && (b & (1 << bit)) == 0)
                {
                    result.Add(k);
                }
            }

            at++;
        }

        return result;
    }

    /// <summary>Slots holding a NaN of any encoding (canonical ones included; rewriting those changes nothing).</summary>
    private static List<int> NaNSlots(ArrowTypeId id, ReadOnlySpan<byte> values, int n)
    {
        var result = new List<int>();
        switch (id)
        {
            case ArrowTypeId.Float64:
                CollectNaNs(MemoryMarshal.Cast<byte, double>(values)[..n], result);
                break;
            case ArrowTypeId.Float32:
                CollectNaNs(MemoryMarshal.Cast<byte, float>(values)[..n], result);
                break;
            default:
            {
                var halves = MemoryMarshal.Cast<byte, Half>(values)[..n];
                for (int k = 0; k < halves.Length; k++)
                {
                    if (Half.IsNaN(halves[k]))
                    {
                        result.Add(k);
                    }
                }

                break;
            }
        }

        return result;
    }

    private static void CollectNaNs<T>(ReadOnlySpan<T> values, List<int> result)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vectors = MemoryMarshal.Cast<T, Vector<T>>(values);
            for (int v = 0; v < vectors.Length; v++)
            {
                // NaN is the one value not equal to itself.
                if (!Vector.EqualsAll(vectors[v], vectors[v]))
                {
                    int start = v * Vector<T>.Count;
                    for (int i = start; i < start + Vector<T>.Count; i++)
                    {
                        if (T.IsNaN(values[i]))
                        {
                            result.Add(i);
                        }
                    }
                }
            }

            k = vectors.Length * Vector<T>.Count;
        }

        for (; k < values.Length; k++)
        {
            if (T.IsNaN(values[k]))
            {
                result.Add(k);
            }
        }
    }
}
