using System.Collections.Immutable;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Content.Canonical;

/// <summary>
/// Custom metadata in canonical order: schema-level and every field's (nested fields, dictionary
/// value types and extension storage types included) sorted by key, then value, comparing their
/// UTF-8 bytes; duplicate pairs are kept. Returns the same instances where nothing moves.
/// </summary>
internal static class MetadataOrder
{
    public static Schema Sort(Schema schema)
    {
        var fields = schema.Fields.Select(Sort).ToArray();
        var metadata = Sort(schema.Metadata);
        bool same = metadata == schema.Metadata && fields.Zip(schema.Fields).All(p => ReferenceEquals(p.First, p.Second));
        return same ? schema : new Schema(fields, metadata);
    }

    private static Field Sort(Field field)
    {
        var type = Sort(field.Type);
        var metadata = Sort(field.Metadata);
        return ReferenceEquals(type, field.Type) && metadata == field.Metadata
            ? field
            : new Field(field.Name, type, field.Nullable, metadata);
    }

    private static ArrowType Sort(ArrowType type)
    {
        switch (type.Id)
        {
            case ArrowTypeId.Dictionary:
            {
                var values = Sort(type.ValueType!);
                return ReferenceEquals(values, type.ValueType) ? type : ArrowType.Dictionary(type.IndexType!, values, type.Ordered);
            }

            case ArrowTypeId.Extension:
            {
                var storage = Sort(type.StorageType!);
                return ReferenceEquals(storage, type.StorageType) ? type : ArrowType.Extension(type.ExtensionName!, type.ExtensionMetadata, storage);
            }

            default:
            {
                if (type.Children.IsEmpty)
                {
                    return type;
                }

                var children = type.Children.Select(Sort).ToArray();
                return children.Zip(type.Children).All(p => ReferenceEquals(p.First, p.Second)) ? type : type.WithChildren(children);
            }
        }
    }

    /// <summary>The pairs in canonical order; the same array when they already are.</summary>
    public static ImmutableArray<KeyValuePair<string, string>> Sort(ImmutableArray<KeyValuePair<string, string>> metadata)
    {
        if (metadata.IsDefaultOrEmpty)
        {
            return metadata;
        }

        for (int i = 1; i < metadata.Length; i++)
        {
            if (KeyValueMetadata.PairOrder.Compare(metadata[i - 1], metadata[i]) > 0)
            {
                return [.. KeyValueMetadata.Sorted(metadata)];
            }
        }

        return metadata;
    }
}
