using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace ArrowCid.Names;

/// <summary>
/// An Ed25519 key that signs a name's records, as libp2p and Kubo keep keys: the private key file
/// is the libp2p protobuf <c>PrivateKey</c> (Type Ed25519 = 1, Data = the 32-byte seed followed by
/// the 32-byte public key), and the public key is named by its protobuf <c>PublicKey</c> (Type
/// Ed25519, Data = 32 bytes). The seed is held for signing and wiped on <see cref="Dispose"/>.
/// </summary>
public sealed class NameKey : IDisposable
{
    /// <summary>Bytes of an Ed25519 seed, public key, and half a signature.</summary>
    public const int KeyLength = 32;

    /// <summary>Bytes of an Ed25519 signature.</summary>
    public const int SignatureLength = 64;

    // protobuf PrivateKey { Type (field 1, varint) = Ed25519 (1); Data (field 2, bytes) = 64 bytes }.
    private static readonly byte[] PrivateKeyPrefix = [0x08, 0x01, 0x12, 0x40];

    // protobuf PublicKey { Type = Ed25519 (1); Data = 32 bytes }.
    private static readonly byte[] PublicKeyPrefix = [0x08, 0x01, 0x12, 0x20];

    private readonly byte[] _seed;

    private NameKey(byte[] seed, byte[] publicKey)
    {
        _seed = seed;
        PublicKey = publicKey;
        Name = IpnsName.FromPublicKey(publicKey);
    }

    /// <summary>The 32-byte Ed25519 public key.</summary>
    public ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>The IPNS name this key signs for (<c>k51…</c>).</summary>
    public IpnsName Name { get; }

    /// <summary>A new key from the system's random source.</summary>
    public static NameKey Generate()
    {
        byte[] seed = RandomNumberGenerator.GetBytes(KeyLength);
        return new NameKey(seed, PublicKeyOf(seed));
    }

    /// <summary>A key from its libp2p protobuf private key (what <see cref="ToLibp2pPrivateKey"/> and Kubo's <c>key export</c> in libp2p-protobuf-cleartext write).</summary>
    /// <exception cref="FormatException">Not an Ed25519 libp2p private key, or its public half does not belong to its seed.</exception>
    public static NameKey FromLibp2pPrivateKey(ReadOnlySpan<byte> encoded)
    {
        byte[] stored = StoredPublicKey(encoded);
        byte[] seed = encoded.Slice(PrivateKeyPrefix.Length, KeyLength).ToArray();
        byte[] publicKey = PublicKeyOf(seed);
        if (!stored.AsSpan().SequenceEqual(publicKey))
        {
            CryptographicOperations.ZeroMemory(seed);
            throw new FormatException("the private key's public half is not the public key of its seed");
        }

        return new NameKey(seed, publicKey);
    }

    /// <summary>
    /// The public half a libp2p protobuf private key holds, as stored: what a reader that only
    /// names the key needs, without deriving it from the seed again (the first derivation builds
    /// Ed25519's tables, some 15 ms of a node's start).
    /// </summary>
    /// <exception cref="FormatException">Not an Ed25519 libp2p private key.</exception>
    public static byte[] StoredPublicKey(ReadOnlySpan<byte> encoded) =>
        encoded.Length == PrivateKeyPrefix.Length + (2 * KeyLength) && encoded[..PrivateKeyPrefix.Length].SequenceEqual(PrivateKeyPrefix)
            ? encoded.Slice(PrivateKeyPrefix.Length + KeyLength, KeyLength).ToArray()
            : throw new FormatException($"not a libp2p Ed25519 private key (expected {PrivateKeyPrefix.Length + (2 * KeyLength)} bytes starting 08 01 12 40, got {encoded.Length})");

    /// <summary>The libp2p protobuf private key (the caller wipes it once written).</summary>
    public byte[] ToLibp2pPrivateKey() => [.. PrivateKeyPrefix, .. _seed, .. PublicKey.Span];

    /// <summary>The libp2p protobuf public key of a 32-byte Ed25519 public key.</summary>
    public static byte[] Libp2pPublicKey(ReadOnlySpan<byte> publicKey) =>
        publicKey.Length == KeyLength ? [.. PublicKeyPrefix, .. publicKey] : throw new ArgumentException($"an Ed25519 public key is {KeyLength} bytes, not {publicKey.Length}", nameof(publicKey));

    /// <summary>The Ed25519 public key a libp2p protobuf public key holds, or null when it holds another kind.</summary>
    public static byte[]? PublicKeyOfLibp2p(ReadOnlySpan<byte> encoded) =>
        encoded.Length == PublicKeyPrefix.Length + KeyLength && encoded[..PublicKeyPrefix.Length].SequenceEqual(PublicKeyPrefix)
            ? encoded[PublicKeyPrefix.Length..].ToArray()
            : null;

    /// <summary>Signs <paramref name="message"/> (RFC 8032 Ed25519).</summary>
    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        byte[] signature = new byte[SignatureLength];
        Ed25519.Sign(_seed, 0, message.ToArray(), 0, message.Length, signature, 0);
        return signature;
    }

    /// <summary>Whether <paramref name="signature"/> is <paramref name="publicKey"/>'s Ed25519 signature of <paramref name="message"/>.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        publicKey.Length == KeyLength && signature.Length == SignatureLength
        && Ed25519.Verify(signature.ToArray(), 0, publicKey.ToArray(), 0, message.ToArray(), 0, message.Length);

    /// <inheritdoc/>
    public void Dispose() => CryptographicOperations.ZeroMemory(_seed);

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
}
