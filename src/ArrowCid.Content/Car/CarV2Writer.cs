using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Car;

/// <summary>
/// Writes a CARv2: pragma and header, the CARv1 payload right after them, then a
/// MultihashIndexSorted index. The header's sizes are only known at the end, so the output must be
/// seekable; <see cref="Finish"/> writes the index and goes back to fill in the header.
/// </summary>
public sealed class CarV2Writer
{
    private readonly Stream _output;
    private readonly long _start;
    private readonly CarV1Writer _payload;
    private bool _finished;

    /// <summary>Starts a CARv2 at the current position of <paramref name="output"/>.</summary>
    /// <param name="output">A writable, seekable stream, left open.</param>
    /// <param name="roots">Root CIDs.</param>
    /// <exception cref="ArgumentException">The stream cannot seek.</exception>
    public CarV2Writer(Stream output, IEnumerable<Cid> roots)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!output.CanSeek)
        {
            throw new ArgumentException("CARv2 needs a seekable stream to fill in its header.", nameof(output));
        }

        _output = output;
        _start = output.Position;
        output.Write(stackalloc byte[CarV2Header.PrefixLength]);
        _payload = new CarV1Writer(output, roots);
    }

    /// <summary>Writes a block unless its CID was already written.</summary>
    /// <param name="cid">The block's CID.</param>
    /// <param name="data">The block bytes; must hash to <paramref name="cid"/>.</param>
    /// <returns>True when written, false when a duplicate was skipped.</returns>
    public bool WriteBlock(Cid cid, ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        return _payload.WriteBlock(cid, data);
    }

    /// <summary>Writes <paramref name="data"/> as a raw block and returns its CID.</summary>
    /// <param name="data">The block bytes.</param>
    /// <returns>CIDv1 raw sha2-256 of the data.</returns>
    public Cid WriteRawBlock(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        return _payload.WriteRawBlock(data);
    }

    /// <summary>Writes the index and the header; the stream is left positioned at the end.</summary>
    /// <returns>The header written.</returns>
    public CarV2Header Finish()
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        _finished = true;
        ulong dataOffset = CarV2Header.PrefixLength;
        ulong dataSize = (ulong)_payload.BytesWritten;
        var index = CarMultihashIndex.Build(_payload.Sections).ToBytes();
        _output.Write(index);
        long end = _output.Position;
        var header = new CarV2Header(0, dataOffset, dataSize, dataOffset + dataSize);
        Span<byte> prefix = stackalloc byte[CarV2Header.PrefixLength];
        header.WriteTo(prefix);
        _output.Position = _start;
        _output.Write(prefix);
        _output.Position = end;
        return header;
    }
}
