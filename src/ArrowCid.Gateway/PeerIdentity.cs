using ArrowCid.Content.Multiformats;
using ArrowCid.Names;

namespace ArrowCid.Gateway;

/// <summary>
/// This node's libp2p peer identity, kept in the repository so it survives restarts: the
/// repository's <c>self</c> name key (<see cref="NameKeyStore"/>), whose peer ID (libp2p
/// <c>peer-ids</c> spec) is the identity multihash of the protobuf-encoded public key, written
/// base58btc (<c>12D3KooW…</c>). Delegated routing names the node by it.
/// </summary>
internal sealed class PeerIdentity
{
    /// <summary>The key file's name in the repository folder.</summary>
    public const string KeyFileName = NameKeyStore.SelfFileName;

    /// <summary>The multicodec of a CID that names a peer (<c>libp2p-key</c>).</summary>
    public const ulong Libp2pKeyCodec = IpnsName.Libp2pKeyCodec;

    private readonly IpnsName _name;

    private PeerIdentity(IpnsName name)
    {
        _name = name;
        Id = Multibase.EncodeWithoutPrefix(name.Multihash.ToBytes(), Multibase.Base58Btc);
    }

    /// <summary>The 32-byte Ed25519 public key.</summary>
    public IReadOnlyList<byte> PublicKey => _name.PublicKey.ToArray();

    /// <summary>The peer ID's multihash (identity, over the protobuf public key).</summary>
    public Multihash Multihash => _name.Multihash;

    /// <summary>The peer ID as libp2p writes it: base58btc of the multihash, <c>12D3KooW…</c>.</summary>
    public string Id { get; }

    /// <summary>The public key of an Ed25519 private key seed (RFC 8032 §5.1.5).</summary>
    public static byte[] PublicKeyOf(ReadOnlySpan<byte> seed) => NameKey.PublicKeyOf(seed);

    /// <summary>The identity of a seed (no file involved).</summary>
    public static PeerIdentity FromSeed(ReadOnlySpan<byte> seed) => new(IpnsName.FromPublicKey(PublicKeyOf(seed)));

    /// <summary>The identity kept in <paramref name="folder"/>, created there (0600) on first use.</summary>
    /// <exception cref="InvalidDataException">The key file exists but is not an Ed25519 libp2p private key.</exception>
    public static PeerIdentity LoadOrCreate(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        try
        {
            return new PeerIdentity(new NameKeyStore(folder).SelfName());
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{Path.Combine(folder, KeyFileName)} is {e.Message}", e);
        }
    }

    /// <summary>Whether <paramref name="text"/> names this peer: the base58btc multihash, or a CIDv1 with the libp2p-key codec.</summary>
    public bool IsNamedBy(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return string.Equals(text, Id, StringComparison.Ordinal) || _name.Equals(IpnsName.TryParse(text));
    }
}
