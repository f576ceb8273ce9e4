using System.Text.RegularExpressions;

namespace ArrowCid.TestSupport;

/// <summary>A fenced block of a document that the docs test runs.</summary>
/// <param name="Line">The line of its opening fence (1-based).</param>
/// <param name="Lines">Its lines.</param>
/// <param name="Skip">Why it is not run, when the document marks it so; null when it runs.</param>
/// <param name="IsTranscript">A transcript (<c>$ command</c> lines, each followed by the output it prints) rather than a script.</param>
/// <param name="FromCheckout">
/// A newcomer's step run from the root of a checkout where the library is published (marked
/// <c>&lt;!-- docs-test: from a checkout --&gt;</c>): NewcomerTests runs these, DocsAreTests does not.
/// </param>
public sealed record DocBlock(int Line, IReadOnlyList<string> Lines, string? Skip, bool IsTranscript = false, bool FromCheckout = false);

/// <summary>
/// The shell blocks of a Markdown document (docs/architecture.md, "Docs are tests"): every block
/// fenced as <c>```sh</c>, and every plain block that starts with <c>$ </c> (a transcript), in order. A block whose fence is directly preceded by the line
/// <c>&lt;!-- docs-test: skip: REASON --&gt;</c> is listed with that reason and not run; one
/// preceded by <c>&lt;!-- docs-test: from a checkout --&gt;</c> is marked <see cref="DocBlock.FromCheckout"/>.
/// </summary>
public static partial class DocBlocks
{
    /// <summary>The shell blocks of the Markdown file at <paramref name="path"/>, in order.</summary>
    public static IReadOnlyList<DocBlock> Read(string path)
    {
        string[] lines = File.ReadAllLines(path);
        var blocks = new List<DocBlock>();
        for (int i = 0; i < lines.Length; i++)
        {
            string fence = lines[i].TrimEnd();
            if (!fence.StartsWith("```", StringComparison.Ordinal))
            {
                continue;
            }

            int end = Array.FindIndex(lines, i + 1, l => l.TrimEnd() == "```");
            if (end < 0)
            {
                throw new InvalidDataException($"{path}:{i + 1}: a fence that is never closed");
            }

            string? skip = i > 0 && SkipMarker().Match(lines[i - 1]) is { Success: true } marker ? marker.Groups[1].Value.Trim() : null;
            bool fromCheckout = i > 0 && lines[i - 1].Trim() == "<!-- docs-test: from a checkout -->";
            if (fence == "```sh")
            {
                blocks.Add(new DocBlock(i + 1, lines[(i + 1)..end], skip, FromCheckout: fromCheckout));
            }
            else if (fence == "```" && end > i + 1 && lines[i + 1].StartsWith("$ ", StringComparison.Ordinal))
            {
                blocks.Add(new DocBlock(i + 1, lines[(i + 1)..end], skip, IsTranscript: true));
            }

            i = end;
        }

        return blocks;
    }

    [GeneratedRegex(@"^<!-- docs-test: skip: (.+) -->\s*$")]
    private static partial Regex SkipMarker();
}
