using System.Globalization;
using System.Text;
using ArrowCid.Content;
using ArrowCid.Content.DagCbor;

namespace ArrowCid.Names;

/// <summary>What a verified record says: the path it points to, its sequence, until when it is valid, and how long it may be cached.</summary>
/// <param name="Value">The path the name points to (<c>/ipfs/CID</c>).</param>
/// <param name="Sequence">The record's sequence: a later record of the name has a higher one.</param>
/// <param name="Validity">Until when the record is valid.</param>
/// <param name="Ttl">How long a resolver may cache it.</param>
public sealed record IpnsRecordData(string Value, ulong Sequence, DateTimeOffset Validity, TimeSpan Ttl);

/// <summary>Why a record was refused.</summary>
public enum IpnsRecordFault
{
    /// <summary>Not an IPNS record, or its fields disagree with its signed data.</summary>
    Malformed,

    /// <summary>Larger than the 10 KiB a record may be.</summary>
    TooLarge,

    /// <summary>Its signature is not the name's key's signature of its data (re-signed with another key, or changed after signing).</summary>
    BadSignature,

    /// <summary>Its validity has passed.</summary>
    Expired,
}

/// <summary>A record refused, naming why.</summary>
public sealed class IpnsRecordException : Exception
{
    /// <summary>A refusal of <paramref name="fault"/>.</summary>
    public IpnsRecordException(IpnsRecordFault fault, string message)
        : base(message) => Fault = fault;

    /// <summary>Creates the exception with a default message.</summary>
    public IpnsRecordException()
        : this(IpnsRecordFault.Malformed, "not an IPNS record") { }

    /// <summary>Creates the exception with a message.</summary>
    public IpnsRecordException(string message)
        : this(IpnsRecordFault.Malformed, message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public IpnsRecordException(string message, Exception innerException)
        : base(message, innerException) => Fault = IpnsRecordFault.Malformed;

    /// <summary>Why the record was refused.</summary>
    public IpnsRecordFault Fault { get; }
}

/// <summary>
/// IPNS records as the IPNS Record spec (V2) lays them out: the protobuf <c>IpnsEntry</c> whose
/// <c>data</c> is DAG-CBOR <c>{Value, Validity, ValidityType: 0, Sequence, TTL}</c> and whose
/// <c>signatureV2</c> is the name's Ed25519 signature of <c>"ipns-signature:"</c> followed by
/// <c>data</c>. The legacy fields are written too, equal to data, for readers that look there; no
/// V1 signature is made. A record is at most 10 KiB. Verification takes nothing on trust: the
/// signature against the name's own key, every legacy field against data, and the validity.
/// </summary>
public static class IpnsRecord
{
    /// <summary>The most bytes a record may have.</summary>
    public const int MaxBytes = 10 * 1024;

    /// <summary>The media type of a record over HTTP (IPFS trustless gateway and delegated routing specs).</summary>
    public const string MediaType = "application/vnd.ipfs.ipns-record";

    private static readonly byte[] SignaturePrefix = "ipns-signature:"u8.ToArray();

    /// <summary>A record of <paramref name="key"/>'s name pointing at <paramref name="value"/>.</summary>
    /// <param name="key">The name's key.</param>
    /// <param name="value">The path, e.g. <c>/ipfs/CID</c>.</param>
    /// <param name="sequence">The record's sequence (a name's versions count up).</param>
    /// <param name="validity">Until when it is valid.</param>
    /// <param name="ttl">How long it may be cached.</param>
    /// <returns>The record's bytes.</returns>
    public static byte[] Create(NameKey key, string value, ulong sequence, DateTimeOffset validity, TimeSpan ttl)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        byte[] valueBytes = Encoding.UTF8.GetBytes(value);
        byte[] validityBytes = Encoding.ASCII.GetBytes(FormatValidity(validity));
        ulong ttlNanoseconds = checked((ulong)ttl.Ticks * 100);
        byte[] data = DagCborEncoder.Encode(DagNode.MapOf(
            ("Value", DagNode.OfBytes(valueBytes)),
            ("Validity", DagNode.OfBytes(validityBytes)),
            ("ValidityType", DagNode.Of(0L)),
            ("Sequence", DagNode.Of(sequence)),
            ("TTL", DagNode.Of(ttlNanoseconds))));
        var entry = new IpnsRecordFields
        {
            Value = valueBytes,
            ValidityType = 0,
            Validity = validityBytes,
            Sequence = sequence,
            Ttl = ttlNanoseconds,
            SignatureV2 = key.Sign([.. SignaturePrefix, .. data]),
            Data = data,
        };
        byte[] record = entry.ToBytes();
        return record.Length <= MaxBytes ? record : throw new ArgumentException($"the record would be {record.Length} bytes; a record is at most {MaxBytes}", nameof(value));
    }

    /// <summary>Verifies <paramref name="record"/> as a record of <paramref name="name"/> valid at <paramref name="now"/>.</summary>
    /// <returns>What it says.</returns>
    /// <exception cref="IpnsRecordException">Refused, with the <see cref="IpnsRecordFault"/> why.</exception>
    public static IpnsRecordData Verify(ReadOnlySpan<byte> record, IpnsName name, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (record.Length > MaxBytes)
        {
            throw new IpnsRecordException(IpnsRecordFault.TooLarge, $"the record is {record.Length} bytes; a record is at most {MaxBytes}");
        }

        IpnsRecordFields entry;
        try
        {
            entry = IpnsRecordFields.Parse(record);
        }
        catch (FormatException e)
        {
            throw new IpnsRecordException($"not an IPNS record: {e.Message}", e);
        }

        if (entry.SignatureV2 is not { } signature || entry.Data is not { } signedData)
        {
            throw new IpnsRecordException(IpnsRecordFault.Malformed, "the record has no signatureV2 and data (a V1-only record is not accepted)");
        }

        if (entry.PubKey is { } pubKey && !pubKey.AsSpan().SequenceEqual(NameKey.Libp2pPublicKey(name.PublicKey)))
        {
            throw new IpnsRecordException(IpnsRecordFault.BadSignature, $"the record carries a public key that is not {name}'s");
        }

        if (!NameKey.Verify(name.PublicKey, [.. SignaturePrefix, .. signedData], signature))
        {
            throw new IpnsRecordException(IpnsRecordFault.BadSignature, $"the record's signatureV2 is not {name}'s signature of its data");
        }

        var (value, validityBytes, sequence, ttl) = ReadData(signedData);
        if ((entry.Value is { } legacyValue && !legacyValue.AsSpan().SequenceEqual(value))
            || (entry.Validity is { } legacyValidity && !legacyValidity.AsSpan().SequenceEqual(validityBytes))
            || (entry.ValidityType is { } validityType && validityType != 0)
            || (entry.Sequence is { } legacySequence && legacySequence != sequence)
            || (entry.Ttl is { } legacyTtl && legacyTtl != ttl))
        {
            throw new IpnsRecordException(IpnsRecordFault.Malformed, "the record's fields disagree with its signed data");
        }

        var validity = ParseValidity(validityBytes);
        if (validity < now)
        {
            throw new IpnsRecordException(IpnsRecordFault.Expired, $"the record was valid until {FormatValidity(validity)}");
        }

        string path;
        try
        {
            path = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value);
        }
        catch (DecoderFallbackException)
        {
            throw new IpnsRecordException(IpnsRecordFault.Malformed, "the record's value is not UTF-8 text");
        }

        return new IpnsRecordData(path, sequence, validity, TimeSpan.FromTicks((long)Math.Min(ttl / 100, long.MaxValue)));
    }

    /// <summary>A validity as the spec writes it: RFC 3339, UTC, nanoseconds.</summary>
    public static string FormatValidity(DateTimeOffset validity) =>
        validity.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture) + "00Z";

    private static (byte[] Value, byte[] Validity, ulong Sequence, ulong Ttl) ReadData(ReadOnlySpan<byte> data)
    {
        try
        {
            var node = DagCborDecoder.Decode(data);
            if (node.Kind != DagKind.Map
                || !node.TryGetValue("Value", out var value)
                || !node.TryGetValue("Validity", out var validity)
                || !node.TryGetValue("ValidityType", out var validityType)
                || !node.TryGetValue("Sequence", out var sequence)
                || !node.TryGetValue("TTL", out var ttl))
            {
                throw new IpnsRecordException(IpnsRecordFault.Malformed, "the record's data is not a map of Value, Validity, ValidityType, Sequence and TTL");
            }

            return validityType.AsInt64() == 0
                ? (value.AsBytes().ToArray(), validity.AsBytes().ToArray(), sequence.AsUInt64(), ttl.AsUInt64())
                : throw new IpnsRecordException(IpnsRecordFault.Malformed, $"the record's ValidityType is {validityType.AsInt64()}, not 0 (EOL)");
        }
        catch (Exception e) when (e is ContentFormatException or InvalidOperationException or OverflowException)
        {
            throw new IpnsRecordException($"the record's data is not DAG-CBOR of the spec's fields: {e.Message}", e);
        }
    }

    private static DateTimeOffset ParseValidity(byte[] text)
    {
        string validity = Encoding.ASCII.GetString(text);
        // RFC 3339 with up to nine fraction digits: .NET reads seven, so the last two are dropped.
        string trimmed = System.Text.RegularExpressions.Regex.Replace(validity, @"(\.\d{7})\d{1,2}", "$1");
        return DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? parsed
            : throw new IpnsRecordException(IpnsRecordFault.Malformed, $"the record's validity '{validity}' is not an RFC 3339 time");
    }
}
