using System.Numerics;
using System.Runtime.CompilerServices;

namespace ArrowCid.Content.Chunking;

/// <summary>
/// The constants and the boundary test of the chunking rule (docs/canonical-form.md, "Tables:
/// content-defined chunks"). Sizes are nominal: a row's share of a canonical block in bits as
/// <see cref="RowHasher"/> counts it (values, offsets, data; not validity bitmaps, metadata or
/// padding). After row j, whose nominal bits cover [s0, s1) of its chunk, the chunk ends when
/// the rolling hash g_j is below <c>2^41 · |[s0, s1) ∩ [Min, Target)| + 2^45 · |[s0, s1) ∩ [Target, ∞)|</c>:
/// no cut before <see cref="MinBits"/>, a cut chance of 1 in 4·Target per byte up to
/// <see cref="TargetBits"/> and 4 in Target per byte after it, so about nine chunks in ten fall
/// within half to twice the target (docs/canonical-form.md, 7.4, has the measurements).
/// </summary>
public static class ChunkingRule
{
    /// <summary>The largest canonical block a chunk of more than one row may have: 1 MiB.</summary>
    public const int MaxBlockBytes = 1 << 20;

    /// <summary>Nominal target size: 256 KiB (in bits), the IPFS default chunk size.</summary>
    public const long TargetBits = 8L * 256 * 1024;

    /// <summary>No boundary before a chunk holds 64 KiB (in bits) of nominal size.</summary>
    public const long MinBits = 8L * 64 * 1024;

    /// <summary>A chunk ends before the row that would take its nominal size past 960 KiB (in bits), leaving 64 KiB of the 1 MiB block for bitmaps, dictionaries and metadata.</summary>
    public const long MaxNominalBits = 8L * 960 * 1024;

    /// <summary>
    /// A chunk ends before its row number <c>MaxRows</c> (2^23) whatever the rows' sizes: rows of no
    /// nominal size (Null columns) would otherwise never fill a chunk, so a few hundred bytes of Arrow
    /// stream could describe one chunk of billions of rows. Rows of one bit or more reach
    /// <see cref="MaxNominalBits"/> (7,864,320 bits) first, so no table cut by size changes.
    /// </summary>
    public const int MaxRows = 1 << 23;

    /// <summary>log2 of the threshold added per nominal bit between <see cref="MinBits"/> and <see cref="TargetBits"/>: 2^64 / (4 · Target in bits).</summary>
    public const int ShiftBeforeTarget = 41;

    /// <summary>log2 of the threshold added per nominal bit from <see cref="TargetBits"/> on: 2^64 · 4 / (Target in bits).</summary>
    public const int ShiftAfterTarget = 45;

    /// <summary>The rolling hash after a row: <c>g_j = 2·g_(j-1) + rowHash_j mod 2^64</c> (g before the first row of the table is 0), so g_j depends on the last 64 rows only.</summary>
    /// <param name="previous">g of the previous row (0 before the first row).</param>
    /// <param name="rowHash">The row's hash.</param>
    /// <returns>g of this row.</returns>
    public static ulong Roll(ulong previous, ulong rowHash) => unchecked((previous << 1) + rowHash);

    /// <summary>Whether the chunk ends after a row whose nominal bits cover [<paramref name="bitsBefore"/>, <paramref name="bitsAfter"/>) of its chunk.</summary>
    /// <param name="rolling">The row's rolling hash g.</param>
    /// <param name="bitsBefore">Nominal bits of the chunk before the row.</param>
    /// <param name="bitsAfter">Nominal bits of the chunk with the row.</param>
    /// <returns>True when the chunk ends after this row.</returns>
    public static bool EndsAfter(ulong rolling, long bitsBefore, long bitsAfter) => ChunkingParameters.Default.EndsAfter(rolling, bitsBefore, bitsAfter);

    /// <summary>Whether the row must start a new chunk because its nominal bits would take a non-empty chunk past <see cref="MaxNominalBits"/>, or the chunk holds <see cref="MaxRows"/> rows.</summary>
    /// <param name="chunkRows">Rows already in the chunk.</param>
    /// <param name="chunkBits">Nominal bits already in the chunk.</param>
    /// <param name="rowBits">The row's nominal bits.</param>
    /// <returns>True when the chunk ends before this row.</returns>
    public static bool EndsBefore(int chunkRows, long chunkBits, long rowBits) => ChunkingParameters.Default.EndsBefore(chunkRows, chunkBits, rowBits);
}

/// <summary>
/// The rule's sizes as values, so tests can run the same code with small chunks (many boundaries
/// in small tables); <see cref="Default"/> is the rule. The target is a power of two (in bits).
/// </summary>
internal sealed record ChunkingParameters(long TargetBits, long MinBits, long MaxNominalBits, int MaxBlockBytes, int MaxRows = ChunkingRule.MaxRows)
{
    public static ChunkingParameters Default { get; } = new(ChunkingRule.TargetBits, ChunkingRule.MinBits, ChunkingRule.MaxNominalBits, ChunkingRule.MaxBlockBytes);

    // 2^64 / (4 · target) per bit before the target, 2^64 · 4 / target after it.
    private readonly int _shiftBeforeTarget = 64 - 2 - BitOperations.Log2((ulong)TargetBits);

    /// <summary>log2 of the threshold per nominal bit between the minimum and the target.</summary>
    public int ShiftBeforeTarget => _shiftBeforeTarget;

    /// <summary>log2 of the threshold per nominal bit past the target.</summary>
    public int ShiftAfterTarget => _shiftAfterTarget;

    /// <summary>
    /// Whether the sizes nest (minimum ≤ target ≤ largest nominal size), so that a row wholly below
    /// the target never fills a chunk and one wholly between minimum and target is tested against
    /// its own bits alone (<see cref="ChunkBoundaryFinder"/>'s quick path).
    /// </summary>
    public bool Banded => MinBits <= TargetBits && TargetBits <= MaxNominalBits;

    private readonly int _shiftAfterTarget = 64 + 2 - BitOperations.Log2((ulong)TargetBits);

    // Called once per row past the minimum: inlined, in 64-bit arithmetic (a 128-bit shift is a
    // call in code compiled ahead of time, and it made chunking half as fast in libarrowcid).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool EndsAfter(ulong rolling, long bitsBefore, long bitsAfter)
    {
        ulong before = (ulong)Overlap(bitsBefore, bitsAfter, MinBits, TargetBits);
        ulong after = (ulong)Overlap(bitsBefore, bitsAfter, TargetBits, long.MaxValue);
        // The threshold, before·2^shiftBefore + after·2^shiftAfter, may reach 2^64: then every
        // hash passes. The first term stays below 2^62 (before ≤ target); the second, or the sum,
        // may not.
        if (after != 0 && (_shiftAfterTarget >= 64 || after >> (64 - _shiftAfterTarget) != 0))
        {
            return true;
        }

        ulong low = before << _shiftBeforeTarget;
        ulong threshold = low + (after << _shiftAfterTarget);
        return threshold < low || rolling < threshold;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool EndsBefore(int chunkRows, long chunkBits, long rowBits) => chunkRows > 0 && (chunkBits + rowBits > MaxNominalBits || chunkRows >= MaxRows);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Overlap(long from, long to, long bandFrom, long bandTo) => Math.Max(0, Math.Min(to, bandTo) - Math.Max(from, bandFrom));
}
