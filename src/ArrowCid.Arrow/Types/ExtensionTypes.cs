using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace ArrowCid.Arrow.Types;

/// <summary>
/// Extension types travel in IPC as their storage type plus two field metadata keys. Names
/// registered here are read back as <see cref="ArrowTypeId.Extension"/> types; any other name is an
/// unknown extension and stays its storage type with the metadata kept, as the format requires.
/// The canonical extensions of CanonicalExtensions.rst are registered from the start.
/// </summary>
public static class ExtensionTypes
{
    /// <summary>Field metadata key holding the extension name.</summary>
    public const string NameKey = "ARROW:extension:name";

    /// <summary>Field metadata key holding the serialized extension parameters.</summary>
    public const string MetadataKey = "ARROW:extension:metadata";

    private static readonly ConcurrentDictionary<string, bool> Registered = new(
        new[] { "arrow.uuid", "arrow.json", "arrow.bool8", "arrow.opaque", "arrow.fixed_shape_tensor", "arrow.variable_shape_tensor" }
            .Select(n => KeyValuePair.Create(n, true)));

    /// <summary>Makes <paramref name="name"/> a known extension: fields carrying it are read as extension types.</summary>
    public static void Register(string name) => Registered[name] = true;

    /// <summary>Whether <paramref name="name"/> is a known extension.</summary>
    public static bool IsRegistered(string name) => Registered.ContainsKey(name);

    /// <summary>Turns storage type + metadata into an extension type when its name is registered.</summary>
    public static (ArrowType Type, ImmutableArray<KeyValuePair<string, string>> Metadata) FromFieldMetadata(
        ArrowType storage, ImmutableArray<KeyValuePair<string, string>> metadata)
    {
        string? name = KeyValueMetadata.Find(metadata, NameKey);
        if (name is null || !IsRegistered(name))
        {
            return (storage, metadata);
        }

        string? parameters = KeyValueMetadata.Find(metadata, MetadataKey);
        var rest = metadata.RemoveAll(kv => kv.Key is NameKey or MetadataKey);
        return (ArrowType.Extension(name, parameters, storage), rest);
    }

    /// <summary>The storage type and metadata (with the two extension keys added) that represent <paramref name="field"/> on the wire.</summary>
    public static (ArrowType Storage, ImmutableArray<KeyValuePair<string, string>> Metadata) ToFieldMetadata(Field field)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (field.Type.Id != ArrowTypeId.Extension)
        {
            return (field.Type, field.Metadata);
        }

        var t = field.Type;
        var metadata = field.Metadata.RemoveAll(kv => kv.Key is NameKey or MetadataKey)
            .Add(new(NameKey, t.ExtensionName!))
            .Add(new(MetadataKey, t.ExtensionMetadata ?? string.Empty));
        return (t.StorageType!, metadata);
    }
}
