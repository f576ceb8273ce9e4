using System.Text.RegularExpressions;

namespace ArrowCid.Cli.Tests.Docs;

/// <summary>A fenced block of a document that the docs test runs.</summary>
/// <param name="Line">The line of its opening fence (1-based).</param>
/// <param name="Lines">Its lines.</param>
/// <param name="Skip">Why it is not run, when the document marks it so; null when it runs.</param>
/// <param name="IsTranscript">A transcript (<c>$ command</c> lines, each followed by the output it prints) rather than a script.</param>
internal sealed record DocBlock(int Line, IReadOnlyList<string> Lines, string? Skip, bool IsTranscript = false);

/// <summary>
/// The shell blocks of a Markdown document (docs/architecture.md, "Docs are tests"): every block
/// fenced as <c>```sh</c>, and every plain block that starts with <c>$ </c> (a transcript), in order. A block whose fence is directly preceded by the line
/// <c>&lt;!-- docs-test: skip: REASON --&gt;</c> is listed with that reason and not run.
/// </summary>
internal static partial class DocBlocks
{
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
            if (fence == "```sh")
            {
                blocks.Add(new DocBlock(i + 1, lines[(i + 1)..end], skip));
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
