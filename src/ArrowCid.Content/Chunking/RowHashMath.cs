using System.Numerics;
using System.Runtime.CompilerServices;

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

    /// <summary>The left rotation of <see cref="Absorb"/>, so the product's well-mixed high bits reach the low ones.</summary>
    public const int Rotation = 31;

    /// <summary>One fold step: <c>rotl64((h xor w) * Multiplier mod 2^64, 31)</c>.</summary>
    /// <param name="h">The fold so far.</param>
    /// <param name="w">The next word.</param>
    /// <returns>The new fold.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Absorb(ulong h, ulong w) => BitOperations.RotateLeft((h ^ w) * Multiplier, Rotation);

    /// <summary>The MurmurHash3 64-bit finaliser (fmix64).</summary>
    /// <param name="h">A fold.</param>
    /// <returns>The finished hash.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Finish(ulong h)
    {
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCD;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53;
        h ^= h >> 33;
        return h;
    }
}
