using System.Security.Cryptography;
using ArrowCid.Content.Multiformats;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace ArrowCid.Gateway;

/// <summary>
/// This node's libp2p peer identity, kept in the repository so it survives restarts: an Ed25519
/// key pair whose peer ID (libp2p <c>peer-ids</c> spec) is the identity multihash of the
/// protobuf-encoded public key, written base58btc (<c>12D3KooW…</c>). Delegated routing names the
/// node by it. The key file holds the libp2p protobuf PrivateKey (Type Ed25519, Data = 32-byte
/// seed followed by the 32-byte public key), readable by its owner only (0600).
/// </summary>
internal sealed class PeerIdentity
{
    /// <summary>The key file's name in the repository folder.</summary>
    public const string KeyFileName = Names.NameKeyStore.SelfFileName;

    private const int KeyLength = 32;

    // protobuf PrivateKey { Type (field 1, varint) = Ed25519 (1); Data (field 2, bytes) = 64 bytes }.
    private static readonly byte[] PrivateKeyPrefix = [0x08, 0x01, 0x12, 0x40];

    // protobuf PublicKey { Type = Ed25519 (1); Data = 32 bytes }.
    private static readonly byte[] PublicKeyPrefix = [0x08, 0x01, 0x12, 0x20];

    private PeerIdentity(byte[] publicKey)
    {
        PublicKey = publicKey;
        byte[] encoded = [.. PublicKeyPrefix, .. publicKey];
        Multihash = new Multihash(Multicodec.Identity, encoded);
        Id = Multibase.EncodeWithoutPrefix(Multihash.ToBytes(), Multibase.Base58Btc);
    }

    /// <summary>The 32-byte Ed25519 public key.</summary>
    public IReadOnlyList<byte> PublicKey { get; }

    /// <summary>The peer ID's multihash (identity, over the protobuf public key).</summary>
    public Multihash Multihash { get; }

    /// <summary>The peer ID as libp2p writes it: base58btc of the multihash, <c>12D3KooW…</c>.</summary>
    public string Id { get; }

    /// <summary>The public key of an Ed25519 private key seed (RFC 8032 §5.1.5).</summary>
    public static byte[] PublicKeyOf(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != KeyLength)
        {
            throw new ArgumentException($"an Ed25519 seed is {KeyLength} bytes, not {seed.Length}", nameof(seed));
        }

        byte[] publicKey = new byte[KeyLength];
        Ed25519.GeneratePublicKey(seed.ToArray(), 0, publicKey, 0);
        return publicKey;
    }

    /// <summary>The identity of a seed (no file involved).</summary>
    public static PeerIdentity FromSeed(ReadOnlySpan<byte> seed) => new(PublicKeyOf(seed));

    /// <summary>The identity kept in <paramref name="folder"/>, created there (0600) on first use.</summary>
    /// <exception cref="InvalidDataException">The key file exists but is not an Ed25519 key this code wrote.</exception>
    public static PeerIdentity LoadOrCreate(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        string path = Path.Combine(folder, KeyFileName);
        // The node's identity is the repository's 'self' name key: made where every key is made.
        new Names.NameKeyStore(folder).EnsureSelf();

        byte[] stored = File.ReadAllBytes(path);
        if (stored.Length != PrivateKeyPrefix.Length + (2 * KeyLength) || !stored.AsSpan(0, PrivateKeyPrefix.Length).SequenceEqual(PrivateKeyPrefix))
        {
            throw new InvalidDataException($"{path} is not a libp2p Ed25519 private key (expected {PrivateKeyPrefix.Length + (2 * KeyLength)} bytes starting 08 01 12 40)");
        }

        // The public key is taken as stored, not derived from the seed again: deriving it builds
        // Ed25519's precomputed tables, some 15 ms of a node's start (issue 64). The file is the
        // node's own (0600), and Create stored the key it derived; the seed is not kept in memory.
        var identity = new PeerIdentity(stored.AsSpan(PrivateKeyPrefix.Length + KeyLength, KeyLength).ToArray());
        CryptographicOperations.ZeroMemory(stored);
        return identity;
    }

    /// <summary>Whether <paramref name="text"/> names this peer: the base58btc multihash, or a CIDv1 with the libp2p-key codec.</summary>
    public bool IsNamedBy(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.Equals(text, Id, StringComparison.Ordinal))
        {
            return true;
        }

        return Cid.TryParse(text, out var cid) && cid.Codec == Libp2pKeyCodec && cid.Hash == Multihash;
    }

    /// <summary>The multicodec of a CID that names a peer (<c>libp2p-key</c>).</summary>
    public const ulong Libp2pKeyCodec = Names.IpnsName.Libp2pKeyCodec;
}
