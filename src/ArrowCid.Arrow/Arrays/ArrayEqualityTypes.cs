using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Arrays;

/// <summary>
/// The type two arrays must share to be comparable: dictionary encoding is a representation, not
/// part of it, and neither are the names of a map's entries/key/value children (Schema.fbs leaves
/// them free, and producers differ), so they are compared under the standard names.
/// </summary>
internal static class ArrayEqualityTypes
{
    /// <summary><paramref name="type"/> with every dictionary (at any depth) replaced by its value type.</summary>
    public static ArrowType Decoded(ArrowType type)
    {
        switch (type.Id)
        {
            case ArrowTypeId.Dictionary:
                return Decoded(type.ValueType!);
            case ArrowTypeId.Extension:
            {
                var storage = Decoded(type.StorageType!);
                return ReferenceEquals(storage, type.StorageType) ? type : ArrowType.Extension(type.ExtensionName!, type.ExtensionMetadata, storage);
            }

            default:
                if (type.Children.IsEmpty)
                {
                    return type;
                }

                bool changed = false;
                var children = new Field[type.Children.Length];
                for (int i = 0; i < children.Length; i++)
                {
                    var child = type.Children[i];
                    var decoded = Decoded(child.Type);
                    changed |= !ReferenceEquals(decoded, child.Type);
                    children[i] = ReferenceEquals(decoded, child.Type) ? child : child.WithType(decoded);
                }

                if (type.Id == ArrowTypeId.Map && children[0].Type.Children.Length == 2)
                {
                    var entries = children[0];
                    var kv = entries.Type.Children;
                    if (entries.Name != "entries" || kv[0].Name != "key" || kv[1].Name != "value")
                    {
                        children[0] = new Field("entries", entries.Type.WithChildren([kv[0].WithName("key"), kv[1].WithName("value")]), entries.Nullable, entries.Metadata);
                        changed = true;
                    }
                }

                return changed ? type.WithChildren(children) : type;
        }
    }
}
