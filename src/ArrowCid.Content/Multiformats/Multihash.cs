using System.Security.Cryptography;

namespace ArrowCid.Content.Multiformats;

/// <summary>
/// A self-describing hash: varint(code) varint(digest length) digest. Only sha2-256 (0x12, 32-byte
/// digest) and identity (0x00, the data itself, capped at <see cref="MaxIdentityDigestLength"/>) are
/// supported; anything else is refused rather than carried unverifiable.
/// </summary>
public readonly struct Multihash : IEquatable<Multihash>
{
    /// <summary>Length of a sha2-256 digest.</summary>
    public const int Sha256DigestLength = 32;

    /// <summary>
    /// Largest identity digest accepted. Identity CIDs inline their data; 128 bytes is the common
    /// ecosystem cap and keeps hostile CIDs small.
    /// </summary>
    public const int MaxIdentityDigestLength = 128;

    private readonly byte[]? _digest;

    /// <summary>Creates a multihash from a code and digest, checking both.</summary>
    /// <param name="code">sha2-256 (0x12) or identity (0x00).</param>
    /// <param name="digest">The digest; 32 bytes for sha2-256.</param>
    /// <exception cref="ArgumentException">Unsupported code or wrong digest length.</exception>
    public Multihash(ulong code, ReadOnlySpan<byte> digest)
    {
        string? error = Validate(code, digest.Length);
        if (error != null)
        {
            throw new ArgumentException(error, nameof(digest));
        }

        Code = code;
        _digest = digest.ToArray();
    }

    private Multihash(ulong code, byte[] digest)
    {
        Code = code;
        _digest = digest;
    }

    /// <summary>The hash function's multicodec code.</summary>
    public ulong Code { get; }

    /// <summary>The digest bytes.</summary>
    public ReadOnlySpan<byte> Digest => _digest;

    /// <summary>The digest bytes as memory.</summary>
    public ReadOnlyMemory<byte> DigestMemory => _digest;

    /// <summary>Length of the binary form in bytes.</summary>
    public int EncodedLength => Varint.GetLength(Code) + Varint.GetLength((ulong)Digest.Length) + Digest.Length;

    /// <summary>The sha2-256 multihash of <paramref name="data"/>.</summary>
    /// <param name="data">Bytes to hash.</param>
    /// <returns>The multihash.</returns>
    public static Multihash Sha256(ReadOnlySpan<byte> data) => new(Multicodec.Sha2256, Content.Sha256.HashData(data));

    /// <summary>The identity multihash of <paramref name="data"/> (at most 128 bytes).</summary>
    /// <param name="data">Bytes to inline.</param>
    /// <returns>The multihash.</returns>
    public static Multihash Identity(ReadOnlySpan<byte> data) => new(Multicodec.Identity, data);

    /// <summary>Reads a binary multihash from the start of <paramref name="source"/>.</summary>
    /// <param name="source">Bytes beginning with a multihash; later bytes are ignored.</param>
    /// <param name="bytesRead">How many bytes the multihash took.</param>
    /// <returns>The multihash.</returns>
    /// <exception cref="ContentFormatException">Malformed, truncated or unsupported multihash.</exception>
    public static Multihash Read(ReadOnlySpan<byte> source, out int bytesRead) => Read(source, out bytesRead, 0);

    /// <summary>Parses a buffer that holds exactly one binary multihash.</summary>
    /// <param name="source">The multihash bytes.</param>
    /// <returns>The multihash.</returns>
    /// <exception cref="ContentFormatException">Malformed input or bytes left over.</exception>
    public static Multihash Parse(ReadOnlySpan<byte> source)
    {
        var hash = Read(source, out int read, 0);
        if (read != source.Length)
        {
            throw new ContentFormatException($"{source.Length - read} unexpected bytes after the multihash", read);
        }

        return hash;
    }

    internal static Multihash Read(ReadOnlySpan<byte> source, out int bytesRead, long baseOffset)
    {
        ulong code = Varint.Read(source, out int codeLength, baseOffset);
        ulong length = Varint.Read(source[codeLength..], out int lengthLength, baseOffset + codeLength);
        int header = codeLength + lengthLength;
        string? error = Validate(code, length);
        if (error != null)
        {
            throw new ContentFormatException(error, baseOffset);
        }

        if ((ulong)(source.Length - header) < length)
        {
            throw new ContentFormatException($"Multihash digest truncated: {length} bytes declared, {source.Length - header} present", baseOffset + header);
        }

        bytesRead = header + (int)length;
        return new Multihash(code, source.Slice(header, (int)length).ToArray());
    }

    /// <summary>Writes the binary form.</summary>
    /// <param name="destination">Must hold <see cref="EncodedLength"/> bytes.</param>
    /// <returns>Bytes written.</returns>
    public int WriteTo(Span<byte> destination)
    {
        if (destination.Length < EncodedLength)
        {
            throw new ArgumentException($"Destination holds {destination.Length} bytes; the multihash needs {EncodedLength}.", nameof(destination));
        }

        int written = Varint.Write(Code, destination);
        written += Varint.Write((ulong)Digest.Length, destination[written..]);
        Digest.CopyTo(destination[written..]);
        return written + Digest.Length;
    }

    /// <summary>The binary form in a new array.</summary>
    /// <returns>varint(code) varint(length) digest.</returns>
    public byte[] ToBytes()
    {
        var bytes = new byte[EncodedLength];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Whether <paramref name="data"/> hashes to this multihash.</summary>
    /// <param name="data">The candidate content.</param>
    /// <returns>True when the digest matches.</returns>
    public bool Verify(ReadOnlySpan<byte> data)
    {
        if (Code == Multicodec.Identity)
        {
            return data.SequenceEqual(Digest);
        }

        Span<byte> digest = stackalloc byte[Sha256DigestLength];
        Content.Sha256.HashData(data, digest);
        return CryptographicOperations.FixedTimeEquals(digest, Digest);
    }

    /// <inheritdoc/>
    public bool Equals(Multihash other) => Code == other.Code && Digest.SequenceEqual(other.Digest);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Multihash other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Code);
        hash.AddBytes(Digest);
        return hash.ToHashCode();
    }

    /// <summary>Value equality.</summary>
    /// <param name="left">First multihash.</param>
    /// <param name="right">Second multihash.</param>
    /// <returns>True when code and digest match.</returns>
    public static bool operator ==(Multihash left, Multihash right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    /// <param name="left">First multihash.</param>
    /// <param name="right">Second multihash.</param>
    /// <returns>True when code or digest differ.</returns>
    public static bool operator !=(Multihash left, Multihash right) => !left.Equals(right);

    /// <summary>Code name and hex digest, for diagnostics.</summary>
    /// <returns>For example "sha2-256:e3b0…".</returns>
    public override string ToString() => $"{Multicodec.NameOf(Code)}:{Convert.ToHexStringLower(Digest)}";

    private static string? Validate(ulong code, long digestLength) => Validate(code, (ulong)digestLength);

    private static string? Validate(ulong code, ulong digestLength) => code switch
    {
        Multicodec.Sha2256 when digestLength != Sha256DigestLength =>
            $"sha2-256 multihash must have a 32-byte digest, not {digestLength}",
        Multicodec.Sha2256 => null,
        Multicodec.Identity when digestLength > MaxIdentityDigestLength =>
            $"identity multihash digest of {digestLength} bytes exceeds the {MaxIdentityDigestLength}-byte cap",
        Multicodec.Identity => null,
        _ => $"Unsupported multihash function {Multicodec.NameOf(code)}; only sha2-256 and identity are supported",
    };
}
