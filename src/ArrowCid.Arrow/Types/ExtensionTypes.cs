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

    /// <summary>
    /// Turns storage type + field metadata into an extension type when the metadata names a
    /// registered extension (the two keys leave the metadata); any other field is returned as it
    /// is, so an unknown extension stays its storage type with its metadata. Every reader (IPC,
    /// integration JSON, C Data) calls this, so they all give one representation. A canonical
    /// extension with the wrong storage or parameters is an <see cref="ArrowFormatException"/>
    /// naming <paramref name="where"/>.
    /// </summary>
    public static (ArrowType Type, ImmutableArray<KeyValuePair<string, string>> Metadata) FromFieldMetadata(
        ArrowType storage, ImmutableArray<KeyValuePair<string, string>> metadata, string where = "field")
    {
        ArgumentNullException.ThrowIfNull(storage);
        string? name = KeyValueMetadata.Find(metadata, NameKey);
        if (name is null || !IsRegistered(name))
        {
            return (storage, metadata);
        }

        string parameters = KeyValueMetadata.Find(metadata, MetadataKey) ?? string.Empty;
        if (CanonicalExtensions.Problem(name, parameters, storage) is { } problem)
        {
            throw new ArrowFormatException($"{where}: extension {name}: {problem}");
        }

        var rest = metadata.RemoveAll(kv => kv.Key is NameKey or MetadataKey);
        return (ArrowType.Extension(name, parameters, storage), rest);
    }

    /// <summary>
    /// The storage type and metadata (the two extension keys replacing any there) that represent
    /// <paramref name="field"/> on the wire, in IPC, integration JSON and C Data alike. A
    /// dictionary whose values are an extension carries the keys too (readers give it back as the
    /// extension over the dictionary, as Arrow C++ does). An extension inside an extension has no
    /// wire form: <see cref="ArgumentException"/>.
    /// </summary>
    public static (ArrowType Storage, ImmutableArray<KeyValuePair<string, string>> Metadata) ToFieldMetadata(Field field)
    {
        ArgumentNullException.ThrowIfNull(field);
        var type = field.Type;
        ArrowType? extension = null;
        if (type.Id == ArrowTypeId.Extension)
        {
            extension = type;
            type = type.StorageType!;
        }

        if (type.Id == ArrowTypeId.Dictionary && type.ValueType!.Id == ArrowTypeId.Extension && extension is null)
        {
            extension = type.ValueType;
            type = ArrowType.Dictionary(type.IndexType!, extension.StorageType!, type.Ordered);
        }

        if (extension is null)
        {
            return (field.Type, field.Metadata);
        }

        if (type.Id == ArrowTypeId.Extension || (type.Id == ArrowTypeId.Dictionary && type.ValueType!.Id == ArrowTypeId.Extension))
        {
            throw new ArgumentException($"field '{field.Name}': {field.Type} nests one extension in another, which has no wire form", nameof(field));
        }

        var metadata = field.Metadata.RemoveAll(kv => kv.Key is NameKey or MetadataKey)
            .Add(new(NameKey, extension.ExtensionName!))
            .Add(new(MetadataKey, extension.ExtensionMetadata ?? string.Empty));
        return (type, metadata);
    }
}
