using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Car;

/// <summary>
/// Writes a CARv1: varint(header length), the DAG-CBOR header, then one section per distinct
/// block: varint(CID length + block length), CID bytes, block bytes. Blocks are checked against
/// their CIDs, and a CID already written is skipped.
/// </summary>
public sealed class CarV1Writer
{
    private readonly Stream _output;
    private readonly HashSet<Cid> _written = [];
    private readonly List<(Multihash Hash, ulong Offset)> _sections = [];

    /// <summary>Writes the header for <paramref name="roots"/> to <paramref name="output"/>.</summary>
    /// <param name="output">Destination stream, left open.</param>
    /// <param name="roots">Root CIDs.</param>
    public CarV1Writer(Stream output, IEnumerable<Cid> roots)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        var header = new CarHeader(roots).Encode();
        WriteVarint((ulong)header.Length);
        Write(header);
    }

    /// <summary>Bytes written so far.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Distinct blocks written so far.</summary>
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
        ArgumentNullException.ThrowIfNull(cid);
        if (!cid.Verify(data))
        {
            throw new ArgumentException($"The block does not hash to {cid}.", nameof(data));
        }

        if (!_written.Add(cid))
        {
            return false;
        }

        _sections.Add((cid.Hash, (ulong)BytesWritten));
        WriteVarint((ulong)cid.EncodedLength + (ulong)data.Length);
        Write(cid.Bytes);
        Write(data);
        return true;
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

    private void WriteVarint(ulong value)
    {
        Span<byte> bytes = stackalloc byte[Varint.MaxLength];
        Write(bytes[..Varint.Write(value, bytes)]);
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        _output.Write(bytes);
        BytesWritten += bytes.Length;
    }
}
