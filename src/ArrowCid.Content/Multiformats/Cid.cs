using System.Diagnostics.CodeAnalysis;

namespace ArrowCid.Content.Multiformats;

/// <summary>
/// A content identifier. CIDv1 is varint(1) varint(codec) multihash, written in multibase
/// (base32 lower by default: "bafy…"). CIDv0 is a bare sha2-256 multihash with implicit codec
/// dag-pb, written in bare base58btc ("Qm…"). Equality is equality of the binary form.
/// </summary>
public sealed class Cid : IEquatable<Cid>
{
    /// <summary>Length of a CIDv0 in binary (0x12 0x20 + 32-byte digest).</summary>
    public const int V0Length = 34;

    /// <summary>Length of a CIDv0 string (base58btc of 34 bytes).</summary>
    public const int V0StringLength = 46;

    /// <summary>Cap on the binary length of a CID: header varints plus the largest supported digest.</summary>
    public const int MaxBinaryLength = 3 * Varint.MaxLength + Multihash.MaxIdentityDigestLength;

    private readonly byte[] _bytes;

    private Cid(int version, ulong codec, Multihash hash)
    {
        Version = version;
        Codec = codec;
        Hash = hash;
        if (version == 0)
        {
            _bytes = hash.ToBytes();
        }
        else
        {
            _bytes = new byte[1 + Varint.GetLength(codec) + hash.EncodedLength];
            int written = Varint.Write(1, _bytes);
            written += Varint.Write(codec, _bytes.AsSpan(written));
            hash.WriteTo(_bytes.AsSpan(written));
        }
    }

    /// <summary>0 or 1.</summary>
    public int Version { get; }

    /// <summary>Multicodec of the content (dag-pb for CIDv0).</summary>
    public ulong Codec { get; }

    /// <summary>The content's multihash.</summary>
    public Multihash Hash { get; }

    /// <summary>Length of the binary form.</summary>
    public int EncodedLength => _bytes.Length;

    /// <summary>Creates a CIDv1.</summary>
    /// <param name="codec">The content's multicodec.</param>
    /// <param name="hash">The content's multihash.</param>
    /// <returns>The CID.</returns>
    public static Cid CreateV1(ulong codec, Multihash hash)
    {
        if (codec > Varint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(codec), codec, "Codec must fit a 63-bit varint.");
        }

        return new Cid(1, codec, hash);
    }

    /// <summary>Creates a CIDv0 (dag-pb, sha2-256 only).</summary>
    /// <param name="hash">A sha2-256 multihash.</param>
    /// <returns>The CID.</returns>
    public static Cid CreateV0(Multihash hash)
    {
        if (hash.Code != Multicodec.Sha2256)
        {
            throw new ArgumentException("CIDv0 requires a sha2-256 multihash.", nameof(hash));
        }

        return new Cid(0, Multicodec.DagPb, hash);
    }

    /// <summary>CIDv1 raw sha2-256 of <paramref name="data"/> ("bafkrei…").</summary>
    /// <param name="data">The content.</param>
    /// <returns>The CID.</returns>
    public static Cid ForRaw(ReadOnlySpan<byte> data) => new(1, Multicodec.Raw, Multihash.Sha256(data));

    /// <summary>CIDv1 dag-cbor sha2-256 of an encoded DAG-CBOR block ("bafyrei…").</summary>
    /// <param name="encodedBlock">The DAG-CBOR bytes.</param>
    /// <returns>The CID.</returns>
    public static Cid ForDagCbor(ReadOnlySpan<byte> encodedBlock) => new(1, Multicodec.DagCbor, Multihash.Sha256(encodedBlock));

    /// <summary>Parses a CID string: bare base58btc "Qm…" (v0) or multibase text (v1).</summary>
    /// <param name="text">The CID text.</param>
    /// <returns>The CID.</returns>
    /// <exception cref="ContentFormatException">Invalid text.</exception>
    public static Cid Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(text.AsSpan());
    }

    /// <summary>Parses a CID string: bare base58btc "Qm…" (v0) or multibase text (v1).</summary>
    /// <param name="text">The CID text.</param>
    /// <returns>The CID.</returns>
    /// <exception cref="ContentFormatException">Invalid text.</exception>
    public static Cid Parse(ReadOnlySpan<char> text)
    {
        // The CID spec: a 46-character string starting "Qm" is a CIDv0 in bare base58btc.
        if (text.Length == V0StringLength && text.StartsWith("Qm", StringComparison.Ordinal))
        {
            byte[] v0 = Multibase.DecodeWithoutPrefix(text, Multibase.Base58Btc, 0);
            var cid = FromBytes(v0);
            if (cid.Version != 0)
            {
                throw new ContentFormatException("A 46-character \"Qm\" string must be a CIDv0", 0);
            }

            return cid;
        }

        if (text.IsEmpty)
        {
            throw new ContentFormatException("CID text is empty", 0);
        }

        byte[] bytes = Multibase.Decode(text);
        var parsed = FromBytes(bytes);
        if (parsed.Version == 0)
        {
            throw new ContentFormatException("CIDv0 must be written in bare base58btc (\"Qm…\"), not with a multibase prefix", 0);
        }

        return parsed;
    }

    /// <summary>Parses a CID string without throwing.</summary>
    /// <param name="text">The CID text.</param>
    /// <param name="cid">The CID, or null.</param>
    /// <returns>Whether the text was a valid CID.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out Cid? cid)
    {
        cid = null;
        if (text == null)
        {
            return false;
        }

        try
        {
            cid = Parse(text.AsSpan());
            return true;
        }
        catch (ContentFormatException)
        {
            return false;
        }
    }

    /// <summary>Reads a binary CID from the start of <paramref name="binary"/>.</summary>
    /// <param name="binary">Bytes beginning with a CID; later bytes are ignored.</param>
    /// <param name="bytesRead">How many bytes the CID took.</param>
    /// <returns>The CID.</returns>
    /// <exception cref="ContentFormatException">Malformed, truncated or unsupported CID.</exception>
    public static Cid Read(ReadOnlySpan<byte> binary, out int bytesRead) => Read(binary, out bytesRead, 0);

    /// <summary>Parses a buffer holding exactly one binary CID.</summary>
    /// <param name="binary">The CID bytes.</param>
    /// <returns>The CID.</returns>
    /// <exception cref="ContentFormatException">Malformed input or bytes left over.</exception>
    public static Cid FromBytes(ReadOnlySpan<byte> binary)
    {
        var cid = Read(binary, out int read, 0);
        if (read != binary.Length)
        {
            throw new ContentFormatException($"{binary.Length - read} unexpected bytes after the CID", read);
        }

        return cid;
    }

    internal static Cid Read(ReadOnlySpan<byte> binary, out int bytesRead, long baseOffset)
    {
        // CIDv0 is recognised by its multihash header: sha2-256 (0x12) of 32 bytes (0x20).
        if (binary.Length >= 2 && binary[0] == 0x12 && binary[1] == 0x20)
        {
            var v0Hash = Multihash.Read(binary, out bytesRead, baseOffset);
            return new Cid(0, Multicodec.DagPb, v0Hash);
        }

        ulong version = Varint.Read(binary, out int versionLength, baseOffset);
        if (version != 1)
        {
            throw new ContentFormatException($"Unsupported CID version {version}", baseOffset);
        }

        ulong codec = Varint.Read(binary[versionLength..], out int codecLength, baseOffset + versionLength);
        int header = versionLength + codecLength;
        var hash = Multihash.Read(binary[header..], out int hashLength, baseOffset + header);
        bytesRead = header + hashLength;
        return new Cid(1, codec, hash);
    }

    /// <summary>Writes the binary form.</summary>
    /// <param name="destination">Must hold <see cref="EncodedLength"/> bytes.</param>
    /// <returns>Bytes written.</returns>
    public int WriteTo(Span<byte> destination)
    {
        if (destination.Length < _bytes.Length)
        {
            throw new ArgumentException($"Destination holds {destination.Length} bytes; the CID needs {_bytes.Length}.", nameof(destination));
        }

        _bytes.CopyTo(destination);
        return _bytes.Length;
    }

    /// <summary>The binary form in a new array.</summary>
    /// <returns>The CID bytes.</returns>
    public byte[] ToBytes() => (byte[])_bytes.Clone();

    /// <summary>The binary form, read-only and without copying.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>Whether <paramref name="data"/> is the content this CID names.</summary>
    /// <param name="data">Candidate content.</param>
    /// <returns>True when the multihash matches.</returns>
    public bool Verify(ReadOnlySpan<byte> data) => Hash.Verify(data);

    /// <summary>The same content as a CIDv1 (a CIDv0 becomes dag-pb CIDv1).</summary>
    /// <returns>A CIDv1.</returns>
    public Cid ToV1() => Version == 1 ? this : new Cid(1, Codec, Hash);

    /// <summary>The canonical text: base32 lower for v1, bare base58btc for v0.</summary>
    /// <returns>The CID text.</returns>
    public override string ToString() =>
        Version == 0 ? Multibase.EncodeWithoutPrefix(_bytes, Multibase.Base58Btc) : Multibase.Encode(_bytes, Multibase.Base32Lower);

    /// <summary>The CID text in a chosen multibase (v0 only in base58btc, written bare).</summary>
    /// <param name="multibasePrefix">One of b, B, z, f, F, u.</param>
    /// <returns>The CID text.</returns>
    /// <exception cref="ArgumentException">Unsupported prefix, or a v0 CID with a prefix other than z.</exception>
    public string ToString(char multibasePrefix)
    {
        if (Version == 0)
        {
            if (multibasePrefix != Multibase.Base58Btc)
            {
                throw new ArgumentException("CIDv0 can only be written in base58btc; convert with ToV1() first.", nameof(multibasePrefix));
            }

            return ToString();
        }

        return Multibase.Encode(_bytes, multibasePrefix);
    }

    /// <inheritdoc/>
    public bool Equals(Cid? other) => other is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Cid other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_bytes);
        return hash.ToHashCode();
    }

    /// <summary>Value equality.</summary>
    /// <param name="left">First CID.</param>
    /// <param name="right">Second CID.</param>
    /// <returns>True when both are null or their bytes match.</returns>
    public static bool operator ==(Cid? left, Cid? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Value inequality.</summary>
    /// <param name="left">First CID.</param>
    /// <param name="right">Second CID.</param>
    /// <returns>True unless equal.</returns>
    public static bool operator !=(Cid? left, Cid? right) => !(left == right);
}
