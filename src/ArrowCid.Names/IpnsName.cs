using ArrowCid.Content.Multiformats;

namespace ArrowCid.Names;

/// <summary>
/// An IPNS name: the key that signs its records, written as a CIDv1 with the <c>libp2p-key</c>
/// codec over the identity multihash of the key's libp2p protobuf public key, in base36
/// (<c>k51qzi5uqu5…</c>), as Kubo and Helia write it. Only Ed25519 keys, whose public key the name
/// itself carries, are names here.
/// </summary>
public sealed class IpnsName : IEquatable<IpnsName>
{
    /// <summary>The multicodec of a CID that names a key (<c>libp2p-key</c>).</summary>
    public const ulong Libp2pKeyCodec = 0x72;

    private readonly byte[] _publicKey;

    private IpnsName(byte[] publicKey)
    {
        _publicKey = publicKey;
        Multihash = Multihash.Identity(NameKey.Libp2pPublicKey(publicKey));
        Cid = Cid.CreateV1(Libp2pKeyCodec, Multihash);
    }

    /// <summary>The 32-byte Ed25519 public key the name is.</summary>
    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>The identity multihash of the protobuf public key (what a routing key <c>/ipns/</c> + bytes holds).</summary>
    public Multihash Multihash { get; }

    /// <summary>The name as a CID.</summary>
    public Cid Cid { get; }

    /// <summary>The name of an Ed25519 public key.</summary>
    public static IpnsName FromPublicKey(ReadOnlySpan<byte> publicKey) =>
        publicKey.Length == NameKey.KeyLength ? new IpnsName(publicKey.ToArray()) : throw new ArgumentException($"an Ed25519 public key is {NameKey.KeyLength} bytes, not {publicKey.Length}", nameof(publicKey));

    /// <summary>
    /// Reads a name: a <c>libp2p-key</c> CID in any multibase (<c>k51…</c>, <c>bafzaa…</c>), or a
    /// peer ID in base58btc (<c>12D3KooW…</c>), with an optional <c>/ipns/</c> in front.
    /// </summary>
    /// <exception cref="FormatException">Not a name, or a name of a key other than Ed25519.</exception>
    public static IpnsName Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.StartsWith("/ipns/", StringComparison.Ordinal) ? text["/ipns/".Length..] : text;
        Multihash hash;
        if (trimmed.StartsWith("12D3KooW", StringComparison.Ordinal))
        {
            byte[] bytes = Multibase.Decode("z" + trimmed);
            hash = Multihash.Read(bytes, out int read);
            if (read != bytes.Length)
            {
                throw new FormatException($"'{Shown(text)}' has bytes after its multihash");
            }
        }
        else if (Cid.TryParse(trimmed, out var cid) && cid.Codec == Libp2pKeyCodec)
        {
            hash = cid.Hash;
        }
        else
        {
            throw new FormatException($"'{Shown(text)}' is not an IPNS name (a libp2p-key CID such as k51…, or a 12D3KooW… peer ID)");
        }

        return hash.Code == Multicodec.Identity && NameKey.PublicKeyOfLibp2p(hash.Digest) is { } publicKey
            ? new IpnsName(publicKey)
            : throw new FormatException($"'{Shown(text)}' names a key that is not Ed25519 inlined in the name; only those are names here");
    }

    /// <summary>Reads a name, or null when <paramref name="text"/> is none.</summary>
    public static IpnsName? TryParse(string text)
    {
        try
        {
            return Parse(text);
        }
        catch (Exception e) when (e is FormatException or Content.ContentFormatException)
        {
            return null;
        }
    }

    /// <summary>The routing key of the name's records: <c>/ipns/</c> followed by the multihash's bytes.</summary>
    public byte[] RoutingKey() => [.. "/ipns/"u8, .. Multihash.ToBytes()];

    /// <summary>The name in base36, <c>k51…</c>.</summary>
    public override string ToString() => Cid.ToString(Multibase.Base36Lower);

    /// <inheritdoc/>
    public bool Equals(IpnsName? other) => other is not null && _publicKey.AsSpan().SequenceEqual(other._publicKey);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as IpnsName);

    /// <inheritdoc/>
    public override int GetHashCode() => BitConverter.ToInt32(_publicKey, 0);

    private static string Shown(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
