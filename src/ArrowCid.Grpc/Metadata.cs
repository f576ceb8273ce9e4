using System.Collections;

namespace ArrowCid.Grpc;

/// <summary>An ordered list of custom metadata entries: request headers, response headers or trailers.</summary>
public sealed class Metadata : IReadOnlyList<MetadataEntry>
{
    private readonly List<MetadataEntry> _entries = [];

    /// <inheritdoc />
    public int Count => _entries.Count;

    /// <inheritdoc />
    public MetadataEntry this[int index] => _entries[index];

    /// <summary>Adds a text entry.</summary>
    public void Add(string key, string value) => _entries.Add(new MetadataEntry(key, value));

    /// <summary>Adds a binary entry (the key must end in <c>-bin</c>).</summary>
    public void Add(string key, byte[] value) => _entries.Add(new MetadataEntry(key, value));

    /// <summary>Adds an entry.</summary>
    public void Add(MetadataEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        _entries.Add(entry);
    }

    /// <summary>The first entry with the key, or null.</summary>
    public MetadataEntry? Get(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _entries.Find(e => string.Equals(e.Key, key, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The text value of the first entry with the key, or null.</summary>
    public string? GetValue(string key) => Get(key)?.Value;

    /// <summary>The byte value of the first binary entry with the key, or null.</summary>
    public byte[]? GetValueBytes(string key) => Get(key) is { IsBinary: true } entry ? entry.ValueBytes : null;

    /// <summary>Every entry with the key, in order.</summary>
    public IEnumerable<MetadataEntry> GetAll(string key) =>
        _entries.Where(e => string.Equals(e.Key, key, StringComparison.OrdinalIgnoreCase));

    /// <inheritdoc />
    public IEnumerator<MetadataEntry> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
