using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Schema;

/// <summary>
/// A node of the schema tree rebuilt from the flat <see cref="SchemaElement"/> list, with the
/// maximum definition and repetition levels its values can have (Dremel: each OPTIONAL or
/// REPEATED ancestor-or-self adds one definition level, each REPEATED one repetition level).
/// </summary>
public sealed class SchemaNode
{
    internal SchemaNode(SchemaElement element, SchemaNode? parent, int maxDefinitionLevel, int maxRepetitionLevel, IReadOnlyList<string> path)
    {
        Element = element;
        Parent = parent;
        MaxDefinitionLevel = maxDefinitionLevel;
        MaxRepetitionLevel = maxRepetitionLevel;
        Path = path;
    }

    /// <summary>The element as the footer gives it.</summary>
    public SchemaElement Element { get; }

    /// <summary>Field name.</summary>
    public string Name => Element.Name;

    /// <summary>The enclosing group; null for the root.</summary>
    public SchemaNode? Parent { get; }

    /// <summary>Children of a group, in file order.</summary>
    public IReadOnlyList<SchemaNode> Children { get; internal set; } = [];

    /// <summary>True for a primitive (leaf) column.</summary>
    public bool IsLeaf => Element.NumChildren is null or 0 && Element.Type is not null;

    /// <summary>Repetition (the root counts as REQUIRED).</summary>
    public FieldRepetitionType Repetition => Parent is null ? FieldRepetitionType.Required : Element.RepetitionType ?? FieldRepetitionType.Required;

    /// <summary>Highest definition level of values under this node.</summary>
    public int MaxDefinitionLevel { get; }

    /// <summary>Highest repetition level of values under this node.</summary>
    public int MaxRepetitionLevel { get; }

    /// <summary>Names from below the root down to this node (what <c>path_in_schema</c> holds).</summary>
    public IReadOnlyList<string> Path { get; }

    /// <summary>For a leaf, its position among the leaves (the column chunk index); otherwise −1.</summary>
    public int LeafIndex { get; internal set; } = -1;

    /// <inheritdoc/>
    public override string ToString() => string.Join('.', Path);
}
