using System.Collections.Immutable;
using System.Text;

namespace ArrowCid.Arrow.Types;

/// <summary>
/// A named, typed column or child: name, type, nullability and custom key/value metadata.
/// Metadata keeps the order it was given in (IPC round trips preserve it), while equality
/// treats it as a set of pairs: logically equal fields compare equal whatever the order.
/// </summary>
public sealed class Field : IEquatable<Field>
{
    /// <summary>Creates a field.</summary>
    public Field(string name, ArrowType type, bool nullable = true, IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(type);
        Name = name;
        Type = type;
        Nullable = nullable;
        Metadata = metadata is null ? ImmutableArray<KeyValuePair<string, string>>.Empty : [.. metadata];
    }

    /// <summary>Field name (may be empty; names may repeat among siblings).</summary>
    public string Name { get; }

    /// <summary>Logical type.</summary>
    public ArrowType Type { get; }

    /// <summary>Whether slots may be null.</summary>
    public bool Nullable { get; }

    /// <summary>Custom metadata in its original order.</summary>
    public ImmutableArray<KeyValuePair<string, string>> Metadata { get; }

    /// <summary>Returns the value of the first metadata entry with this key, or null.</summary>
    public string? GetMetadata(string key) => KeyValueMetadata.Find(Metadata, key);

    /// <summary>Copy with another type.</summary>
    public Field WithType(ArrowType type) => new(Name, type, Nullable, Metadata);

    /// <summary>Copy with another name.</summary>
    public Field WithName(string name) => new(name, Type, Nullable, Metadata);

    /// <summary>Copy with other metadata.</summary>
    public Field WithMetadata(IEnumerable<KeyValuePair<string, string>>? metadata) => new(Name, Type, Nullable, metadata);

    /// <inheritdoc/>
    public bool Equals(Field? other) =>
        other is not null && (ReferenceEquals(this, other) ||
            (Name == other.Name && Nullable == other.Nullable && Type.Equals(other.Type) && KeyValueMetadata.SetEquals(Metadata, other.Metadata)));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Field f && Equals(f);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Type, Nullable);

    /// <summary>e.g. <c>name: int32 not null</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        Append(sb);
        return sb.ToString();
    }

    internal void Append(StringBuilder sb)
    {
        sb.Append(Name).Append(": ");
        Type.Append(sb);
        if (!Nullable)
        {
            sb.Append(" not null");
        }
    }
}

/// <summary>Key/value metadata helpers shared by fields, schemas and the canonical form.</summary>
public static class KeyValueMetadata
{
    /// <summary>The value of the first pair with <paramref name="key"/>, or null.</summary>
    public static string? Find(ImmutableArray<KeyValuePair<string, string>> metadata, string key)
    {
        foreach (var kv in metadata)
        {
            if (kv.Key == key)
            {
                return kv.Value;
            }
        }

        return null;
    }

    /// <summary>Order-insensitive comparison: metadata order is not part of the logical value.</summary>
    public static bool SetEquals(ImmutableArray<KeyValuePair<string, string>> a, ImmutableArray<KeyValuePair<string, string>> b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        if (a.AsSpan().SequenceEqual(b.AsSpan()))
        {
            return true;
        }

        return Sorted(a).SequenceEqual(Sorted(b));
    }

    /// <summary>
    /// Metadata sorted by key then value, comparing UTF-8 bytes (the canonical order; UTF-16 ordinal
    /// order differs from it for characters above U+D7FF, and other languages sort bytes).
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string>> Sorted(ImmutableArray<KeyValuePair<string, string>> metadata) =>
        metadata.OrderBy(kv => kv, PairOrder);

    /// <summary>The canonical order of pairs: key, then value, by UTF-8 bytes.</summary>
    public static IComparer<KeyValuePair<string, string>> PairOrder { get; } = Comparer<KeyValuePair<string, string>>.Create((x, y) =>
    {
        int byKey = Utf8ByteOrder.Instance.Compare(x.Key, y.Key);
        return byKey != 0 ? byKey : Utf8ByteOrder.Instance.Compare(x.Value, y.Value);
    });

    private sealed class Utf8ByteOrder : IComparer<string>
    {
        public static readonly Utf8ByteOrder Instance = new();

        public int Compare(string? x, string? y) =>
            System.Text.Encoding.UTF8.GetBytes(x ?? string.Empty).AsSpan().SequenceCompareTo(System.Text.Encoding.UTF8.GetBytes(y ?? string.Empty));
    }
}
