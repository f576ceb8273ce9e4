namespace ArrowCid.Registry;

/// <summary>The names a <see cref="BlockKind"/> has in text and JSON ("batch", "table", "arrow-stream", "foreign", "table-node", "version-node"): one word, table, for what a put stores under a manifest, as the CLI and the docs say.</summary>
public static class BlockKindNames
{
    /// <summary>The kinds with their names, in enum order.</summary>
    public static IReadOnlyList<(BlockKind Kind, string Name)> All { get; } =
    [
        (BlockKind.Batch, "batch"),
        (BlockKind.Dataset, "table"),
        (BlockKind.ArrowStream, "arrow-stream"),
        (BlockKind.Foreign, "foreign"),
        (BlockKind.TableNode, "table-node"),
        (BlockKind.VersionNode, "version-node"),
    ];

    /// <summary>The kind's name.</summary>
    /// <param name="kind">A kind.</param>
    /// <returns>Its name; the number for a value this version does not know.</returns>
    public static string NameOf(BlockKind kind)
    {
        foreach (var (known, name) in All)
        {
            if (known == kind)
            {
                return name;
            }
        }

        return ((int)kind).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The kind a name stands for.</summary>
    /// <param name="name">A name as <see cref="NameOf"/> gives it.</param>
    /// <param name="kind">The kind, when the name is known.</param>
    /// <returns>Whether it is.</returns>
    public static bool TryParse(string? name, out BlockKind kind)
    {
        // What this kind was called before (filters in scripts and saved queries keep working).
        if (string.Equals(name, "dataset", StringComparison.Ordinal))
        {
            kind = BlockKind.Dataset;
            return true;
        }

        foreach (var (known, knownName) in All)
        {
            if (string.Equals(knownName, name, StringComparison.Ordinal))
            {
                kind = known;
                return true;
            }
        }

        kind = default;
        return false;
    }
}
