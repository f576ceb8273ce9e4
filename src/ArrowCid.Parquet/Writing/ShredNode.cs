namespace ArrowCid.Parquet.Writing;

/// <summary>What a <see cref="ShredNode"/> does to the Arrow array it is handed.</summary>
internal enum ShredKind
{
    /// <summary>A primitive column: the slot's value is written.</summary>
    Leaf,
    /// <summary>A struct: the walk goes on into one member (same slot).</summary>
    Struct,
    /// <summary>A list-like (list, large list, list view, fixed-size list, map): one step per item.</summary>
    List,
}

/// <summary>
/// One node of the Arrow field tree as the Dremel shredder walks it. <see cref="Optional"/> nodes
/// add a definition level; list nodes add a definition level for "has items" and a repetition
/// level (<see cref="RepetitionLevel"/>) for their items.
/// </summary>
internal sealed class ShredNode
{
    public required ShredKind Kind { get; init; }

    public required bool Optional { get; init; }

    /// <summary>Position among the parent struct's members (the Arrow child index).</summary>
    public int ArrowChildIndex { get; init; }

    /// <summary>For lists: the repetition level of their items.</summary>
    public int RepetitionLevel { get; init; }

    /// <summary>Struct members, or the one element node of a list.</summary>
    public IReadOnlyList<ShredNode> Children { get; set; } = [];

    /// <summary>For leaves: how values are converted.</summary>
    public LeafPlan? Leaf { get; set; }
}
