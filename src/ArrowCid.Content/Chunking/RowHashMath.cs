using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ArrowCid.Content.Chunking;

/// <summary>
/// The 64-bit arithmetic of the row hash (docs/canonical-form.md, "Tables: content-defined
/// chunks"): a fold that absorbs one 64-bit word at a time with one multiplication, and the
/// MurmurHash3 finaliser that spreads every input bit over the result. Fixed constants, no
/// per-process seed, so every implementation in every language gets the same numbers.
/// </summary>
public static class RowHashMath
{
    /// <summary>The fold's starting value.</summary>
    public const ulong Seed = 0xBB67AE8584CAA73B;

    /// <summary>The odd multiplier of <see cref="Absorb"/> (the 64-bit golden ratio).</summary>
    public const ulong Multiplier = 0x9E3779B97F4A7C15;

    /// <summary>The word a null slot contributes.</summary>
    public const ulong NullWord = 0x6A09E667F3BCC908;

    // fmix64's two multipliers, for the one-by-one Finish and the wide one alike.
    private const ulong FinishFirst = 0xFF51AFD7ED558CCD;
    private const ulong FinishSecond = 0xC4CEB9FE1A85EC53;

    /// <summary>The left rotation of <see cref="Absorb"/>, so the product's well-mixed high bits reach the low ones.</summary>
    public const int Rotation = 31;

    /// <summary>One fold step: <c>rotl64((h xor w) * Multiplier mod 2^64, 31)</c>.</summary>
    /// <param name="h">The fold so far.</param>
    /// <param name="w">The next word.</param>
    /// <returns>The new fold.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Absorb(ulong h, ulong w) => BitOperations.RotateLeft((h ^ w) * Multiplier, Rotation);

    /// <summary>
    /// <see cref="Absorb"/> of each word into the fold of the same index, eight at a time where
    /// the processor multiplies 64-bit lanes (AVX-512 DQ); returns how many it did (a multiple of
    /// eight, possibly 0), the caller doing the rest one by one. The same numbers either way.
    /// </summary>
    /// <param name="h">The folds.</param>
    /// <param name="words">One word for each fold (at least as many).</param>
    /// <returns>Folds done.</returns>
    public static int AbsorbEach(Span<ulong> h, ReadOnlySpan<ulong> words)
    {
        if (!Wide)
        {
            return 0;
        }

        int count = Math.Min(h.Length, words.Length) & ~7;
        for (int k = 0; k < count; k += 8)
        {
            Fold(Vector512.Create(h.Slice(k, 8)), Vector512.Create(words.Slice(k, 8))).CopyTo(h.Slice(k, 8));
        }

        return count;
    }

    /// <summary>
    /// As <see cref="AbsorbEach"/>, with a validity bitmap: a null slot's word is
    /// <see cref="NullWord"/>. <paramref name="validity"/> starts at the byte that holds the first
    /// fold's slot as its bit 0.
    /// </summary>
    /// <param name="h">The folds.</param>
    /// <param name="words">One word for each fold.</param>
    /// <param name="validity">The validity bytes from the first fold's slot on (bit set: valid).</param>
    /// <returns>Folds done (a multiple of eight, possibly 0).</returns>
    public static int AbsorbEachValid(Span<ulong> h, ReadOnlySpan<ulong> words, ReadOnlySpan<byte> validity)
    {
        if (!Wide)
        {
            return 0;
        }

        int count = Math.Min(Math.Min(h.Length, words.Length), validity.Length * 8) & ~7;
        var nullWord = Vector512.Create(NullWord);
        for (int k = 0; k < count; k += 8)
        {
            var valid = BitLanes(validity[k >> 3]);
            var w = Vector512.ConditionalSelect(valid, Vector512.Create(words.Slice(k, 8)), nullWord);
            Fold(Vector512.Create(h.Slice(k, 8)), w).CopyTo(h.Slice(k, 8));
        }

        return count;
    }

    /// <summary>
    /// The finished hash of each one-word item, <c>Finish(Absorb(Seed, word))</c>, sixteen at a
    /// time as <see cref="AbsorbEach"/>; returns how many it did (a multiple of sixteen, possibly 0).
    /// </summary>
    /// <param name="h">Receives one hash per word.</param>
    /// <param name="words">The items' values, zero-extended to a word each.</param>
    /// <returns>Hashes written.</returns>
    public static int FinishEachItem(Span<ulong> h, ReadOnlySpan<uint> words)
    {
        if (!Wide)
        {
            return 0;
        }

        int count = Math.Min(h.Length, words.Length) & ~15;
        var seed = Vector512.Create(Seed);
        for (int k = 0; k < count; k += 16)
        {
            var (low, high) = Vector512.Widen(Vector512.Create(words.Slice(k, 16)));
            FinishInto(h.Slice(k, 8), Fold(seed, low));
            FinishInto(h.Slice(k + 8, 8), Fold(seed, high));
        }

        return count;
    }

    /// <summary>Eight bits of a bitmap byte as eight lanes: all ones where bit i (lane i) is set, 0 where it is clear.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<ulong> BitLanes(byte bits)
    {
        var lanes = Vector512.Create(1UL, 2, 4, 8, 16, 32, 64, 128);
        return Vector512.Equals(Vector512.Create((ulong)bits) & lanes, lanes);
    }

    /// <summary><see cref="Absorb"/> of eight words into eight folds at once.</summary>
    internal static Vector512<ulong> Fold(Vector512<ulong> h, Vector512<ulong> w)
    {
        var x = (h ^ w) * Vector512.Create(Multiplier);
        return Vector512.ShiftLeft(x, Rotation) | Vector512.ShiftRightLogical(x, 64 - Rotation);
    }

    private static void FinishInto(Span<ulong> destination, Vector512<ulong> x)
    {
        x ^= Vector512.ShiftRightLogical(x, 33);
        x *= Vector512.Create(FinishFirst);
        x ^= Vector512.ShiftRightLogical(x, 33);
        x *= Vector512.Create(FinishSecond);
        x ^= Vector512.ShiftRightLogical(x, 33);
        x.CopyTo(destination);
    }

    /// <summary><see cref="Finish"/> of each fold in place, eight at a time as <see cref="AbsorbEach"/>; returns how many it did.</summary>
    /// <param name="h">The folds.</param>
    /// <returns>Folds finished (a multiple of eight, possibly 0).</returns>
    public static int FinishEach(Span<ulong> h)
    {
        if (!Wide)
        {
            return 0;
        }

        int count = h.Length & ~7;
        for (int k = 0; k < count; k += 8)
        {
            FinishInto(h.Slice(k, 8), Vector512.Create(h.Slice(k, 8)));
        }

        return count;
    }

    /// <summary>Whether 64-bit lanes are multiplied in hardware, eight at once.</summary>
    internal static bool Wide => Vector512.IsHardwareAccelerated && Avx512DQ.IsSupported;

    /// <summary>The MurmurHash3 64-bit finaliser (fmix64).</summary>
    /// <param name="h">A fold.</param>
    /// <returns>The finished hash.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Finish(ulong h)
    {
        h ^= h >> 33;
        h *= FinishFirst;
        h ^= h >> 33;
        h *= FinishSecond;
        h ^= h >> 33;
        return h;
    }
}
