using System.Globalization;

namespace ArrowCid.Content.Datasets;

/// <summary>
/// A contiguous range of a table's chunks in row order, as a Flight ticket (<c>CID?chunks=FIRST-END</c>)
/// and an HTTP request (<c>?chunks=FIRST-END</c>) name it: FIRST inclusive, END exclusive, from 0.
/// </summary>
/// <param name="First">Index of the first chunk (from 0).</param>
/// <param name="End">Index after the last chunk.</param>
public sealed record ChunkRange(long First, long End)
{
    /// <summary>Chunks in the range.</summary>
    public long Count => End - First;

    /// <summary>The range's text, <c>FIRST-END</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{First}-{End}");

    /// <summary>Whether <paramref name="text"/> has the form <c>FIRST-END</c> (two decimal numbers), whatever their values.</summary>
    /// <param name="text">The text.</param>
    /// <returns>Whether it has the form.</returns>
    public static bool IsWellFormed(ReadOnlySpan<char> text) => TrySplit(text, out _, out _);

    /// <summary>Parses <c>FIRST-END</c> (decimal chunk indexes, END greater than FIRST).</summary>
    /// <param name="text">The text.</param>
    /// <param name="range">The range, when the text is one.</param>
    /// <param name="problem">Why it is not, otherwise.</param>
    /// <returns>Whether the text is a range.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, out ChunkRange? range, out string? problem)
    {
        range = null;
        if (!TrySplit(text, out long first, out long end))
        {
            string shown = text.Length <= 80 ? text.ToString() : string.Concat(text[..80], "…");
            problem = $"'{shown}' is not FIRST-END (decimal chunk indexes)";
            return false;
        }

        if (first >= end)
        {
            problem = $"the chunk range {first}-{end} is empty (END is exclusive and must exceed FIRST)";
            return false;
        }

        range = new ChunkRange(first, end);
        problem = null;
        return true;
    }

    private static bool TrySplit(ReadOnlySpan<char> text, out long first, out long end)
    {
        int dash = text.IndexOf('-');
        end = 0;
        first = 0;
        return dash >= 0
            && long.TryParse(text[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out first)
            && long.TryParse(text[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out end);
    }
}
