using System.Runtime.Intrinsics;

namespace ArrowCid.Content.Chunking;

/// <summary>
/// Finds content-defined chunk boundaries in a sequence of rows given as (rolling hash, nominal
/// bits) pairs, fed in order in spans of any length: the state is the current chunk's row count
/// and nominal size, so the boundaries do not depend on how the rows were split into spans.
/// This is the rule's first step; <see cref="TableChunker"/> adds the exact 1 MiB check.
/// </summary>
public struct ChunkBoundaryFinder
{
    private ChunkingParameters? _parameters;

    /// <summary>A finder for other sizes than the rule's (tests).</summary>
    internal ChunkBoundaryFinder(ChunkingParameters parameters)
    {
        _parameters = parameters;
    }

    /// <summary>Rows in the current (open) chunk.</summary>
    public int ChunkRows { get; private set; }

    /// <summary>Nominal bits of the current (open) chunk.</summary>
    public long ChunkBits { get; private set; }

    /// <summary>
    /// Adds rows to the current chunk until a boundary. Returns the number of rows of the spans
    /// that belong to the current chunk when it ends inside them (the chunk is then closed and the
    /// finder starts a new, empty one: scan the rest of the spans with another call), or -1 when
    /// every row was added and the chunk is still open.
    /// </summary>
    /// <param name="rolling">Each row's rolling hash (<see cref="ChunkingRule.Roll"/>).</param>
    /// <param name="rowBits">Each row's nominal size in bits (<see cref="RowHasher"/>).</param>
    /// <returns>Rows taken before the boundary, or -1.</returns>
    public int FindBoundary(ReadOnlySpan<ulong> rolling, ReadOnlySpan<long> rowBits)
    {
        if (rolling.Length != rowBits.Length)
        {
            throw new ArgumentException($"{rolling.Length} rolling hashes for {rowBits.Length} row sizes");
        }

        var rule = _parameters ??= ChunkingParameters.Default;
        int rows = ChunkRows;
        long bits = ChunkBits;
        long minBits = rule.MinBits;
        long targetBits = rule.TargetBits;
        int shiftBefore = rule.ShiftBeforeTarget;
        bool banded = rule.Banded;
        bool wide = banded && Vector512.IsHardwareAccelerated;
        int maxRows = rule.MaxRows;
        for (int j = 0; j < rolling.Length; j++)
        {
            // The row limit (rows of no nominal size never fill a chunk) before every path below,
            // which all take the row; only tables of such rows ever reach it.
            if (rows >= maxRows)
            {
                Reset();
                return j;
            }

            if (wide && j + 8 <= rolling.Length && rows + 8 <= maxRows && EightWithoutBoundary(rule, rolling.Slice(j, 8), rowBits.Slice(j, 8), bits) is long eight and >= 0)
            {
                // Eight rows in one step where none can end the chunk (the loop's j++ adds the eighth).
                bits += eight;
                rows += 8;
                j += 7;
                continue;
            }

            long rowSize = rowBits[j];
            if (banded && bits + rowSize <= targetBits && (bits >= minBits || bits + rowSize <= minBits))
            {
                // The common rows, wholly below the minimum (no test) or wholly between it and the
                // target: there the rule's threshold is the row's bits times 2^shift, and no chunk
                // is full. The same answers as the general test below, in a few instructions.
                bool inBand = bits >= minBits;
                bits += rowSize;
                rows++;
                if (inBand && rolling[j] < (ulong)rowSize << shiftBefore)
                {
                    Reset();
                    return j + 1;
                }

                continue;
            }

            if (rule.EndsBefore(rows, bits, rowSize))
            {
                Reset();
                return j;
            }

            long before = bits;
            bits += rowSize;
            rows++;
            // Below the minimum the threshold is 0: skip the test (the common case for small rows).
            if (bits > rule.MinBits && rule.EndsAfter(rolling[j], before, bits))
            {
                Reset();
                return j + 1;
            }
        }

        ChunkRows = rows;
        ChunkBits = bits;
        return -1;
    }

    /// <summary>
    /// The nominal bits of eight rows when none of them can end the chunk, else -1 (the rows are
    /// then taken one by one): all eight lie below the minimum; or all lie between minimum and
    /// target and none's rolling hash is below its bits times 2^41; or all lie past the target,
    /// within the largest nominal size, and none's hash is below its bits times 2^45 (each row's
    /// bits below 2^19, so that threshold does not overflow). These are the rule's own tests,
    /// eight lanes at a time.
    /// </summary>
    private static long EightWithoutBoundary(ChunkingParameters rule, ReadOnlySpan<ulong> rolling, ReadOnlySpan<long> rowBits, long bits)
    {
        var size = Vector512.Create(rowBits);
        if (Vector512.LessThanAny(size, Vector512<long>.Zero))
        {
            return -1;
        }

        long sum = Vector512.Sum(size);
        long after = bits + sum;
        if (after <= rule.MinBits)
        {
            return sum;
        }

        int shift;
        if (bits >= rule.MinBits && after <= rule.TargetBits)
        {
            shift = rule.ShiftBeforeTarget;
        }
        else if (bits >= rule.TargetBits && after <= rule.MaxNominalBits && rule.ShiftAfterTarget < 64
            && !Vector512.GreaterThanOrEqualAny(size, Vector512.Create(1L << (64 - rule.ShiftAfterTarget))))
        {
            shift = rule.ShiftAfterTarget;
        }
        else
        {
            return -1;
        }

        return Vector512.LessThanAny(Vector512.Create(rolling), Vector512.ShiftLeft(size.AsUInt64(), shift)) ? -1 : sum;
    }

    /// <summary>Starts a new, empty chunk.</summary>
    public void Reset()
    {
        ChunkRows = 0;
        ChunkBits = 0;
    }
}
