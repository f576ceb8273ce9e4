using System.Collections.Immutable;
using System.Text;

namespace ArrowCid.Arrow.Types;

/// <summary>The fields of a record batch plus schema-level custom metadata.</summary>
public sealed class Schema : IEquatable<Schema>
{
    /// <summary>Creates a schema.</summary>
    public Schema(IEnumerable<Field> fields, IEnumerable<KeyValuePair<string, string>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(fields);
        Fields = [.. fields];
        Metadata = metadata is null ? ImmutableArray<KeyValuePair<string, string>>.Empty : [.. metadata];
    }

    /// <summary>Top-level fields, in column order (names may repeat).</summary>
    public ImmutableArray<Field> Fields { get; }

    /// <summary>Schema-level custom metadata in its original order.</summary>
    public ImmutableArray<KeyValuePair<string, string>> Metadata { get; }

    /// <summary>Index of the first field with this name, or -1.</summary>
    public int IndexOf(string name)
    {
        for (int i = 0; i < Fields.Length; i++)
        {
            if (Fields[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Returns the value of the first schema metadata entry with this key, or null.</summary>
    public string? GetMetadata(string key) => KeyValueMetadata.Find(Metadata, key);

    /// <inheritdoc/>
    public bool Equals(Schema? other) =>
        other is not null && (ReferenceEquals(this, other) ||
            (Fields.AsSpan().SequenceEqual(other.Fields.AsSpan()) && KeyValueMetadata.SetEquals(Metadata, other.Metadata)));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Schema s && Equals(s);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var f in Fields)
        {
            h.Add(f);
        }

        return h.ToHashCode();
    }

    /// <summary>One line per field, then metadata.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var f in Fields)
        {
            f.Append(sb);
            sb.Append('\n');
            foreach (var kv in f.Metadata)
            {
                sb.Append("  -- field metadata: ").Append(kv.Key).Append(": ").Append(kv.Value).Append('\n');
            }
        }

        foreach (var kv in Metadata)
        {
            sb.Append("-- schema metadata: ").Append(kv.Key).Append(": ").Append(kv.Value).Append('\n');
        }

        return sb.ToString();
    }
}
