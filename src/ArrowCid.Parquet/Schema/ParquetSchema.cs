using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Schema;

/// <summary>The schema tree of a file and its leaf columns in column-chunk order.</summary>
public sealed class ParquetSchema
{
    /// <summary>How deep groups may nest; levels are bounded by the depth, so this bounds them too.</summary>
    public const int MaxDepth = 100;

    private ParquetSchema(SchemaNode root, IReadOnlyList<SchemaNode> leaves)
    {
        Root = root;
        Leaves = leaves;
    }

    /// <summary>The root group.</summary>
    public SchemaNode Root { get; }

    /// <summary>The primitive columns, depth-first, matching each row group's column chunks.</summary>
    public IReadOnlyList<SchemaNode> Leaves { get; }

    /// <summary>
    /// Rebuilds the tree from the depth-first list: every group's <c>num_children</c> following
    /// elements (recursively) are its children, and the list must be consumed exactly.
    /// </summary>
    public static ParquetSchema Build(IReadOnlyList<SchemaElement> elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        if (elements.Count == 0)
        {
            throw new ParquetFormatException("schema: the element list is empty");
        }
        var leaves = new List<SchemaNode>();
        int next = 0;
        SchemaNode root = BuildNode(elements, ref next, parent: null, depth: 0, leaves);
        if (next != elements.Count)
        {
            throw new ParquetFormatException($"schema: the root's children end at element {next} of {elements.Count}");
        }
        if (root.IsLeaf)
        {
            throw new ParquetFormatException("schema: the root is not a group");
        }
        return new ParquetSchema(root, leaves);
    }

    private static SchemaNode BuildNode(IReadOnlyList<SchemaElement> elements, ref int next, SchemaNode? parent, int depth, List<SchemaNode> leaves)
    {
        if (depth > MaxDepth)
        {
            throw new ParquetFormatException($"schema: groups nest deeper than {MaxDepth} levels");
        }
        if (next >= elements.Count)
        {
            // Children counts higher up promised more elements than the list holds.
            throw new ParquetFormatException($"schema: the groups claim more than the {elements.Count} elements given");
        }
        SchemaElement element = elements[next++];
        int def = parent?.MaxDefinitionLevel ?? 0;
        int rep = parent?.MaxRepetitionLevel ?? 0;
        IReadOnlyList<string> path = [];
        if (parent is not null)
        {
            switch (element.RepetitionType ?? FieldRepetitionType.Required)
            {
                case FieldRepetitionType.Required: break;
                case FieldRepetitionType.Optional: def++; break;
                case FieldRepetitionType.Repeated: def++; rep++; break;
                default: throw new ParquetFormatException($"schema: element '{element.Name}' has unknown repetition {(int)element.RepetitionType!}");
            }
            path = [.. parent.Path, element.Name];
        }
        var node = new SchemaNode(element, parent, def, rep, path);
        int childCount = element.NumChildren ?? 0;
        if (childCount < 0 || childCount > elements.Count - next)
        {
            throw new ParquetFormatException($"schema: element '{element.Name}' claims {childCount} children, {elements.Count - next} elements follow");
        }
        if (childCount == 0)
        {
            if (element.Type is null)
            {
                // A group with no children holds no columns; parquet-mr rejects it, so do we.
                throw new ParquetFormatException($"schema: element '{element.Name}' has neither a type nor children");
            }
            if (element.Type == PhysicalType.FixedLenByteArray && element.TypeLength is not > 0)
            {
                throw new ParquetFormatException($"schema: FIXED_LEN_BYTE_ARRAY column '{element.Name}' has type_length {element.TypeLength?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unset"}");
            }
            if (element.Type is < PhysicalType.Boolean or > PhysicalType.FixedLenByteArray)
            {
                throw new ParquetFormatException($"schema: column '{element.Name}' has unknown physical type {(int)element.Type}");
            }
            node.LeafIndex = leaves.Count;
            leaves.Add(node);
            return node;
        }
        var children = new SchemaNode[childCount];
        for (int i = 0; i < childCount; i++)
        {
            children[i] = BuildNode(elements, ref next, node, depth + 1, leaves);
        }
        node.Children = children;
        return node;
    }
}
