namespace ArrowCid.Grpc;

/// <summary>
/// One custom metadata entry (an HTTP/2 header or trailer). Keys ending in <c>-bin</c> carry bytes
/// (base64 on the wire); all other keys carry printable ASCII text.
/// </summary>
public sealed class MetadataEntry
{
    private readonly byte[]? _bytes;

    /// <summary>Creates a text entry.</summary>
    /// <exception cref="ArgumentException">The key is invalid or binary, or the value is not printable ASCII.</exception>
    public MetadataEntry(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Key = MetadataKey.Normalize(key);
        if (MetadataKey.IsBinary(Key))
        {
            throw new ArgumentException($"metadata key '{Key}' ends in -bin and needs a byte value", nameof(key));
        }

        foreach (char c in value)
        {
            if (c < 0x20 || c > 0x7E)
            {
                throw new ArgumentException(
                    $"metadata value for '{Key}' has character U+{(int)c:X4}; only printable ASCII is allowed (use a -bin key for other data)",
                    nameof(value));
            }
        }

        Value = value;
    }

    /// <summary>Creates a binary entry; the key must end in <c>-bin</c>.</summary>
    /// <exception cref="ArgumentException">The key is invalid or does not end in -bin.</exception>
    public MetadataEntry(string key, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Key = MetadataKey.Normalize(key);
        if (!MetadataKey.IsBinary(Key))
        {
            throw new ArgumentException($"metadata key '{Key}' carries bytes, so it must end in -bin", nameof(key));
        }

        _bytes = value;
        Value = string.Empty;
    }

    /// <summary>The lower-case key.</summary>
    public string Key { get; }

    /// <summary>The text value; empty for binary entries.</summary>
    public string Value { get; }

    /// <summary>Whether the entry carries bytes (its key ends in <c>-bin</c>).</summary>
    public bool IsBinary => _bytes is not null;

    /// <summary>The byte value of a binary entry (a copy); the ASCII bytes of a text entry.</summary>
    public byte[] ValueBytes => _bytes is null ? System.Text.Encoding.ASCII.GetBytes(Value) : (byte[])_bytes.Clone();

    /// <summary>The byte value without copying, for the transport.</summary>
    internal ReadOnlySpan<byte> RawBytes => _bytes;

    /// <inheritdoc />
    public override string ToString() => IsBinary ? $"{Key}: <{_bytes!.Length} bytes>" : $"{Key}: {Value}";
}
