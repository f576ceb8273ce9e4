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
        var fields = SortAll(schema.Fields);
        var metadata = Sort(schema.Metadata);
        return fields is null && metadata == schema.Metadata ? schema : new Schema(fields ?? [.. schema.Fields], metadata);
    }

    // The fields sorted, or null when every one is returned as it is (the common case: nothing is
    // allocated, as every put normalises its batches' schemas several times).
    private static Field[]? SortAll(ImmutableArray<Field> fields)
    {
        Field[]? sorted = null;
        for (int i = 0; i < fields.Length; i++)
        {
            var field = Sort(fields[i]);
            if (sorted is null && !ReferenceEquals(field, fields[i]))
            {
                sorted = new Field[fields.Length];
                fields.CopyTo(0, sorted, 0, i);
            }

            if (sorted is not null)
            {
                sorted[i] = field;
            }
        }

        return sorted;
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

                return SortAll(type.Children) is { } children ? type.WithChildren(children) : type;
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
