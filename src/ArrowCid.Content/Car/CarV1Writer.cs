using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Car;

/// <summary>
/// Writes a CARv1: varint(header length), the DAG-CBOR header, then one section per block:
/// varint(CID length + block length), CID bytes, block bytes. Blocks are checked against their
/// CIDs, and a CID already written is skipped unless duplicates are asked for (the trustless
/// gateway's <c>dups=y</c>). The one CAR writer: <c>export car</c> and the gateway write through it.
/// </summary>
public sealed class CarV1Writer
{
    private readonly Stream _output;
    private readonly HashSet<Cid> _written = [];
    private readonly List<(Multihash Hash, ulong Offset)> _sections = [];
    private readonly bool _duplicates;

    /// <summary>Writes the header for <paramref name="roots"/> to <paramref name="output"/>.</summary>
    /// <param name="output">Destination stream, left open.</param>
    /// <param name="roots">Root CIDs.</param>
    public CarV1Writer(Stream output, IEnumerable<Cid> roots)
        : this(output, duplicates: false)
    {
        Write(HeaderSection(roots));
    }

    private CarV1Writer(Stream output, bool duplicates)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _duplicates = duplicates;
    }

    /// <summary>Starts a CAR on a stream written asynchronously (an HTTP response): the header for <paramref name="roots"/> first.</summary>
    /// <param name="output">Destination stream, left open.</param>
    /// <param name="roots">Root CIDs.</param>
    /// <param name="duplicates">Write a block each time it is given, not once.</param>
    /// <param name="cancellationToken">Stops the write.</param>
    /// <returns>The writer, its header written.</returns>
    public static async Task<CarV1Writer> StartAsync(Stream output, IEnumerable<Cid> roots, bool duplicates, CancellationToken cancellationToken)
    {
        var writer = new CarV1Writer(output, duplicates);
        byte[] header = HeaderSection(roots);
        await output.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        writer.BytesWritten += header.Length;
        return writer;
    }

    /// <summary>Bytes written so far.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Blocks written so far (a repeat counts again when duplicates are written).</summary>
    public int BlockCount => _sections.Count;

    /// <summary>Each written block's multihash and section offset, for indexing.</summary>
    internal IReadOnlyList<(Multihash Hash, ulong Offset)> Sections => _sections;

    /// <summary>Writes a block unless its CID was already written.</summary>
    /// <param name="cid">The block's CID.</param>
    /// <param name="data">The block bytes; must hash to <paramref name="cid"/>.</param>
    /// <returns>True when written, false when a duplicate was skipped.</returns>
    /// <exception cref="ArgumentException">The data does not match the CID.</exception>
    public bool WriteBlock(Cid cid, ReadOnlySpan<byte> data)
    {
        if (SectionStart(cid, data) is not { } start)
        {
            return false;
        }

        Write(start);
        Write(data);
        return true;
    }

    /// <summary>As <see cref="WriteBlock"/>, writing asynchronously.</summary>
    /// <param name="cid">The block's CID.</param>
    /// <param name="data">The block bytes; must hash to <paramref name="cid"/>.</param>
    /// <param name="cancellationToken">Stops the write.</param>
    /// <returns>True when written, false when a duplicate was skipped.</returns>
    /// <exception cref="ArgumentException">The data does not match the CID.</exception>
    public async ValueTask<bool> WriteBlockAsync(Cid cid, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (SectionStart(cid, data.Span) is not { } start)
        {
            return false;
        }

        await _output.WriteAsync(start, cancellationToken).ConfigureAwait(false);
        await _output.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        BytesWritten += start.Length + data.Length;
        return true;
    }

    // The section's varint length and CID, once the block is checked; null for a repeat not written again.
    private byte[]? SectionStart(Cid cid, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(cid);
        if (!cid.Verify(data))
        {
            throw new ArgumentException($"The block does not hash to {cid}.", nameof(data));
        }

        if (!_written.Add(cid) && !_duplicates)
        {
            return null;
        }

        _sections.Add((cid.Hash, (ulong)BytesWritten));
        Span<byte> length = stackalloc byte[Varint.MaxLength];
        int lengthBytes = Varint.Write((ulong)cid.EncodedLength + (ulong)data.Length, length);
        byte[] start = new byte[lengthBytes + cid.EncodedLength];
        length[..lengthBytes].CopyTo(start);
        cid.Bytes.CopyTo(start.AsSpan(lengthBytes));
        return start;
    }

    private static byte[] HeaderSection(IEnumerable<Cid> roots)
    {
        var header = new CarHeader(roots).Encode();
        Span<byte> length = stackalloc byte[Varint.MaxLength];
        int lengthBytes = Varint.Write((ulong)header.Length, length);
        return [.. length[..lengthBytes], .. header];
    }

    /// <summary>Writes <paramref name="data"/> as a raw block and returns its CID.</summary>
    /// <param name="data">The block bytes.</param>
    /// <returns>CIDv1 raw sha2-256 of the data.</returns>
    public Cid WriteRawBlock(ReadOnlySpan<byte> data)
    {
        var cid = Cid.ForRaw(data);
        WriteBlock(cid, data);
        return cid;
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        _output.Write(bytes);
        BytesWritten += bytes.Length;
    }
}
