namespace ArrowCid.Architecture.Tests;

/// <summary>Reads the project graph docs/architecture.md draws: the edges of its first mermaid block, <c>A --> B</c>, one a line.</summary>
internal static class ArchitectureDoc
{
    /// <summary>The block's edges as <c>A --> B</c>, spaces trimmed.</summary>
    public static HashSet<string> Edges(string markdown)
    {
        var edges = new HashSet<string>(StringComparer.Ordinal);
        bool inGraph = false;
        foreach (string raw in markdown.Split('\n'))
        {
            string line = raw.Trim();
            if (!inGraph)
            {
                inGraph = line == "```mermaid";
                continue;
            }

            if (line == "```")
            {
                break;
            }

            string[] ends = line.Split("-->", StringSplitOptions.TrimEntries);
            if (ends.Length == 2)
            {
                edges.Add($"{ends[0]} --> {ends[1]}");
            }
        }

        return edges;
    }
}
