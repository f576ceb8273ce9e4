using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Car;

/// <summary>
/// Streams the blocks of a CARv1, or of the payload of a CARv2 (recognised by its pragma), from a
/// stream read forward once. Every block is checked against its CID before it is returned, and a
/// stream that ends inside a section (or before a CARv2's declared payload size) is an error.
/// </summary>
public sealed class CarReader
{
    private readonly CarStreamSource _source;
    private readonly CarReaderOptions _options;
    private readonly long _payloadStart;
    private bool _finished;

    private CarReader(CarStreamSource source, CarReaderOptions options, CarHeader header, CarV2Header? v2Header, long payloadStart)
    {
        _source = source;
        _options = options;
        Header = header;
        V2Header = v2Header;
        _payloadStart = payloadStart;
    }

    /// <summary>The CARv1 header (of the payload, for a CARv2).</summary>
    public CarHeader Header { get; }

    /// <summary>The root CIDs.</summary>
    public IReadOnlyList<Cid> Roots => Header.Roots;

    /// <summary>1 or 2.</summary>
    public int Version => V2Header is null ? 1 : 2;

    /// <summary>The CARv2 header, when the stream was a CARv2.</summary>
    public CarV2Header? V2Header { get; }

    /// <summary>Reads the header(s) and positions the reader at the first block.</summary>
    /// <param name="stream">A readable stream at the start of the CAR; it is not disposed.</param>
    /// <param name="options">Size caps; <see cref="CarReaderOptions.Default"/> when null.</param>
    /// <returns>The reader.</returns>
    /// <exception cref="ContentFormatException">Malformed header.</exception>
    public static CarReader Open(Stream stream, CarReaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= CarReaderOptions.Default;
        var source = new CarStreamSource(stream, 0, long.MaxValue);
        var first = ReadHeaderBlock(source, options, 0);
        if (!first.AsSpan().SequenceEqual(CarV2Header.Pragma[1..]))
        {
            return new CarReader(source, options, CarHeader.Decode(first, source.Position - first.Length), null, 0);
        }

        var v2 = CarV2Header.Read(source.ReadExactly(40, "CARv2 header"));
        source.SkipTo((long)v2.DataOffset, "CARv2 data payload");
        var payload = new CarStreamSource(stream, 0, (long)v2.DataSize);
        var inner = ReadHeaderBlock(payload, options, (long)v2.DataOffset);
        if (inner.AsSpan().SequenceEqual(CarV2Header.Pragma[1..]))
        {
            throw new ContentFormatException("CARv2 payload must be a CARv1, not another CARv2", (long)v2.DataOffset);
        }

        var header = CarHeader.Decode(inner, (long)v2.DataOffset + payload.Position - inner.Length);
        return new CarReader(payload, options, header, v2, (long)v2.DataOffset);
    }

    /// <summary>Reads the next block.</summary>
    /// <param name="block">The verified block.</param>
    /// <returns>False at the end of the payload.</returns>
    /// <exception cref="ContentFormatException">Malformed or truncated section, or a hash mismatch.</exception>
    /// <exception cref="UnsupportedHashFunctionException">
    /// The section's CID names a hash function that cannot be verified here; the section was read
    /// past, so reading can go on with the next block.
    /// </exception>
    public bool TryReadBlock(out CarBlock block)
    {
        block = default;
        if (_finished)
        {
            return false;
        }

        long sectionOffset = _source.Position;
        ulong? length = _source.ReadVarintOrEnd("section");
        if (length is null)
        {
            if (V2Header is { } v2 && _source.Remaining > 0)
            {
                throw new ContentFormatException($"CARv2 payload ended after {_source.Position} of {v2.DataSize} declared bytes", _payloadStart + _source.Position);
            }

            _finished = true;
            return false;
        }

        block = ReadSection(_source, length.Value, sectionOffset, _payloadStart, _options);
        return true;
    }

    /// <summary>All remaining blocks, each verified (a block whose hash function is unsupported ends the enumeration with <see cref="UnsupportedHashFunctionException"/>; use <see cref="TryReadBlock"/> to go on past it).</summary>
    /// <returns>The blocks in file order.</returns>
    public IEnumerable<CarBlock> ReadBlocks()
    {
        while (TryReadBlock(out var block))
        {
            yield return block;
        }
    }

    /// <summary>Reads one section body (CID + block) after its length varint and verifies it.</summary>
    internal static CarBlock ReadSection(CarStreamSource source, ulong length, long sectionOffset, long payloadStart, CarReaderOptions options)
    {
        long at = payloadStart + sectionOffset;
        if (length == 0)
        {
            throw new ContentFormatException("CAR section has length zero", at);
        }

        if (length > (ulong)options.MaxBlockLength + Cid.MaxBinaryLength || length > int.MaxValue)
        {
            throw new ContentFormatException($"CAR section of {length} bytes exceeds the {options.MaxBlockLength}-byte block cap", at);
        }

        long bodyStart = payloadStart + source.Position;
        var section = source.ReadExactly((int)length, "section");
        ThrowIfHashFunctionUnsupported(section, bodyStart);
        var cid = Cid.Read(section, out int cidLength, bodyStart);
        var data = section.AsMemory(cidLength);
        if (!cid.Verify(data.Span))
        {
            throw new ContentFormatException($"CAR block does not hash to its CID {cid}", bodyStart);
        }

        return new CarBlock(cid, data, sectionOffset);
    }

    // A CIDv1 whose multihash function this library cannot compute is not malformed, only
    // unverifiable: it gets its own typed error, thrown once the section has been read past. A
    // CIDv0 is always sha2-256; anything malformed is left to Cid.Read to report.
    private static void ThrowIfHashFunctionUnsupported(byte[] section, long offset)
    {
        if (section.Length >= 2 && section[0] == 0x12 && section[1] == 0x20)
        {
            return;
        }

        // version, codec, hash function, digest length: four varints, then the digest.
        Span<ulong> fields = stackalloc ulong[4];
        int at = 0;
        for (int i = 0; i < fields.Length; i++)
        {
            if (!Varint.TryRead(section.AsSpan(at), out fields[i], out int read))
            {
                return;
            }

            at += read;
        }

        ulong hashFunction = fields[2];
        if (fields[0] != 1 || hashFunction is Multicodec.Sha2256 or Multicodec.Identity || fields[3] > (ulong)(section.Length - at))
        {
            return;
        }

        int cidLength = at + (int)fields[3];
        throw new UnsupportedHashFunctionException(Multibase.Encode(section.AsSpan(0, cidLength)), fields[1], hashFunction, offset);
    }

    private static byte[] ReadHeaderBlock(CarStreamSource source, CarReaderOptions options, long baseOffset)
    {
        ulong length = source.ReadVarintOrEnd("header")
            ?? throw new ContentFormatException("CAR is empty: no header", baseOffset);
        if (length == 0 || length > (ulong)options.MaxHeaderLength)
        {
            throw new ContentFormatException($"CAR header length {length} is outside 1..{options.MaxHeaderLength}", baseOffset);
        }

        return source.ReadExactly((int)length, "header");
    }
}
