using System.Text;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.DagCbor;

/// <summary>
/// One immutable value of the IPLD data model. Maps keep their entries in DAG-CBOR canonical order
/// (UTF-8 length first, then bytewise) so two equal maps are equal entry by entry and encode alike.
/// Equality is structural; floats compare by bit pattern so -0.0 and 0.0 differ as their bytes do.
/// </summary>
public sealed class DagNode : IEquatable<DagNode>
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Int128 _integer;
    private readonly double _float;
    private readonly object? _reference;

    private DagNode(DagKind kind, Int128 integer = default, double number = 0, object? reference = null)
    {
        Kind = kind;
        _integer = integer;
        _float = number;
        _reference = reference;
    }

    /// <summary>The null node.</summary>
    public static DagNode Null { get; } = new(DagKind.Null);

    /// <summary>The true node.</summary>
    public static DagNode True { get; } = new(DagKind.Boolean, integer: 1);

    /// <summary>The false node.</summary>
    public static DagNode False { get; } = new(DagKind.Boolean, integer: 0);

    /// <summary>Which kind of value this is.</summary>
    public DagKind Kind { get; }

    /// <summary>A boolean node.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The node.</returns>
    public static DagNode Of(bool value) => value ? True : False;

    /// <summary>An integer node.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The node.</returns>
    public static DagNode Of(long value) => new(DagKind.Integer, integer: value);

    /// <summary>An integer node.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The node.</returns>
    public static DagNode Of(ulong value) => new(DagKind.Integer, integer: value);

    /// <summary>A float node; NaN and infinities are not in the data model.</summary>
    /// <param name="value">A finite value.</param>
    /// <returns>The node.</returns>
    /// <exception cref="ArgumentException">NaN or infinite.</exception>
    public static DagNode Of(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException("DAG-CBOR floats must be finite (no NaN or Infinity).", nameof(value));
        }

        return new DagNode(DagKind.Float, number: value);
    }

    /// <summary>A string node.</summary>
    /// <param name="value">A well-formed string (no lone surrogates).</param>
    /// <returns>The node.</returns>
    /// <exception cref="ArgumentException">The string cannot be written as UTF-8.</exception>
    public static DagNode Of(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new DagNode(DagKind.String, reference: Utf8Of(value));
    }

    /// <summary>A link node.</summary>
    /// <param name="link">The CID linked to.</param>
    /// <returns>The node.</returns>
    public static DagNode Of(Cid link)
    {
        ArgumentNullException.ThrowIfNull(link);
        return new DagNode(DagKind.Link, reference: link);
    }

    /// <summary>A bytes node (the bytes are copied).</summary>
    /// <param name="value">The bytes.</param>
    /// <returns>The node.</returns>
    public static DagNode OfBytes(ReadOnlySpan<byte> value) => new(DagKind.Bytes, reference: value.ToArray());

    /// <summary>A list node.</summary>
    /// <param name="items">The items in order.</param>
    /// <returns>The node.</returns>
    public static DagNode ListOf(params IEnumerable<DagNode> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var list = items.ToArray();
        if (Array.IndexOf(list, null) >= 0)
        {
            throw new ArgumentException("List items cannot be null; use DagNode.Null.", nameof(items));
        }

        return new DagNode(DagKind.List, reference: list);
    }

    /// <summary>A map node; entries are put in canonical key order.</summary>
    /// <param name="entries">Key/value pairs with distinct keys.</param>
    /// <returns>The node.</returns>
    /// <exception cref="ArgumentException">Duplicate keys, null values or keys that are not valid UTF-16.</exception>
    public static DagNode MapOf(IEnumerable<KeyValuePair<string, DagNode>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var sorted = entries
            .Select(e => new MapEntry(e.Key ?? throw new ArgumentException("Map keys cannot be null.", nameof(entries)), Utf8Of(e.Key), e.Value ?? throw new ArgumentException("Map values cannot be null.", nameof(entries))))
            .ToArray();
        Array.Sort(sorted, (a, b) => DagCborKeyOrder.Compare(a.Utf8Key, b.Utf8Key));
        for (int i = 1; i < sorted.Length; i++)
        {
            if (DagCborKeyOrder.Compare(sorted[i - 1].Utf8Key, sorted[i].Utf8Key) == 0)
            {
                throw new ArgumentException($"Duplicate map key \"{sorted[i].Key}\".", nameof(entries));
            }
        }

        return new DagNode(DagKind.Map, reference: sorted);
    }

    /// <summary>A map node from (key, value) tuples.</summary>
    /// <param name="entries">Key/value pairs with distinct keys.</param>
    /// <returns>The node.</returns>
    public static DagNode MapOf(params IEnumerable<(string Key, DagNode Value)> entries) =>
        MapOf(entries.Select(e => KeyValuePair.Create(e.Key, e.Value)));

    // The decoder has already checked order, uniqueness and UTF-8, so it builds maps directly.
    internal static DagNode MapFromOrdered(MapEntry[] entries) => new(DagKind.Map, reference: entries);

    internal static DagNode StringFromUtf8(byte[] utf8) => new(DagKind.String, reference: utf8);

    internal static DagNode BytesFromArray(byte[] bytes) => new(DagKind.Bytes, reference: bytes);

    internal static DagNode IntegerOf(Int128 value) => new(DagKind.Integer, integer: value);

    /// <summary>The boolean value.</summary>
    /// <returns>The value.</returns>
    public bool AsBoolean() => Expect(DagKind.Boolean)._integer != 0;

    /// <summary>The integer value, exact for the whole supported range.</summary>
    public Int128 IntegerValue => Expect(DagKind.Integer)._integer;

    /// <summary>The integer value as a long.</summary>
    /// <returns>The value.</returns>
    /// <exception cref="OverflowException">The value exceeds long.</exception>
    public long AsInt64() => checked((long)IntegerValue);

    /// <summary>The integer value as a ulong.</summary>
    /// <returns>The value.</returns>
    /// <exception cref="OverflowException">The value is negative.</exception>
    public ulong AsUInt64() => checked((ulong)IntegerValue);

    /// <summary>The float value.</summary>
    /// <returns>The value.</returns>
    public double AsDouble() => Expect(DagKind.Float)._float;

    /// <summary>The string value.</summary>
    /// <returns>The value.</returns>
    public string AsString() => Encoding.UTF8.GetString(Utf8String);

    /// <summary>The string's UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> Utf8String => (byte[])Expect(DagKind.String)._reference!;

    /// <summary>The bytes value.</summary>
    /// <returns>The bytes, without copying.</returns>
    public ReadOnlyMemory<byte> AsBytes() => (byte[])Expect(DagKind.Bytes)._reference!;

    /// <summary>The linked CID.</summary>
    /// <returns>The CID.</returns>
    public Cid AsLink() => (Cid)Expect(DagKind.Link)._reference!;

    /// <summary>The list items.</summary>
    public IReadOnlyList<DagNode> Items => (DagNode[])Expect(DagKind.List)._reference!;

    /// <summary>The map entries in canonical key order.</summary>
    public IReadOnlyList<KeyValuePair<string, DagNode>> Entries =>
        Array.ConvertAll(MapEntries, e => KeyValuePair.Create(e.Key, e.Value));

    internal MapEntry[] MapEntries => (MapEntry[])Expect(DagKind.Map)._reference!;

    /// <summary>Looks up a map entry by key.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value, or null when absent.</param>
    /// <returns>Whether the key is present.</returns>
    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DagNode? value)
    {
        foreach (var entry in MapEntries)
        {
            if (entry.Key == key)
            {
                value = entry.Value;
                return true;
            }
        }

        value = null;
        return false;
    }

    /// <inheritdoc/>
    public bool Equals(DagNode? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (other is null || other.Kind != Kind)
        {
            return false;
        }

        return Kind switch
        {
            DagKind.Null => true,
            DagKind.Boolean or DagKind.Integer => _integer == other._integer,
            DagKind.Float => BitConverter.DoubleToInt64Bits(_float) == BitConverter.DoubleToInt64Bits(other._float),
            DagKind.String or DagKind.Bytes => ((byte[])_reference!).AsSpan().SequenceEqual((byte[])other._reference!),
            DagKind.Link => AsLink().Equals(other.AsLink()),
            DagKind.List => ((DagNode[])_reference!).SequenceEqual((DagNode[])other._reference!),
            DagKind.Map => MapEntries.Length == other.MapEntries.Length
                && MapEntries.Zip(other.MapEntries).All(p => p.First.Key == p.Second.Key && p.First.Value.Equals(p.Second.Value)),
            _ => false,
        };
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is DagNode other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Kind);
        switch (Kind)
        {
            case DagKind.Boolean or DagKind.Integer:
                hash.Add(_integer);
                break;
            case DagKind.Float:
                hash.Add(BitConverter.DoubleToInt64Bits(_float));
                break;
            case DagKind.String or DagKind.Bytes:
                hash.AddBytes((byte[])_reference!);
                break;
            case DagKind.Link:
                hash.Add(AsLink());
                break;
            case DagKind.List:
                hash.Add(Items.Count);
                break;
            case DagKind.Map:
                hash.Add(MapEntries.Length);
                break;
        }

        return hash.ToHashCode();
    }

    /// <summary>A short description for diagnostics.</summary>
    /// <returns>Kind and value.</returns>
    public override string ToString() => Kind switch
    {
        DagKind.Null => "null",
        DagKind.Boolean => AsBoolean() ? "true" : "false",
        DagKind.Integer => _integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        DagKind.Float => _float.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        DagKind.String => $"\"{AsString()}\"",
        DagKind.Bytes => $"bytes[{AsBytes().Length}]",
        DagKind.Link => $"link {AsLink()}",
        DagKind.List => $"list[{Items.Count}]",
        DagKind.Map => $"map[{MapEntries.Length}]",
        _ => Kind.ToString(),
    };

    private DagNode Expect(DagKind kind) =>
        Kind == kind ? this : throw new InvalidOperationException($"The node is a {Kind}, not a {kind}.");

    private static byte[] Utf8Of(string value)
    {
        try
        {
            return StrictUtf8.GetBytes(value);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("The string contains a lone surrogate and cannot be written as UTF-8.", nameof(value), e);
        }
    }

    internal readonly record struct MapEntry(string Key, byte[] Utf8Key, DagNode Value);
}
