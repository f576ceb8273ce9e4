using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Car;

/// <summary>
/// Random access to a CARv2 on a seekable stream: the header's offsets are checked against the
/// stream's length, the MultihashIndexSorted index is loaded (capped) with every offset checked to
/// lie inside the payload, and <see cref="TryGetBlock"/> reads and verifies single blocks.
/// </summary>
public sealed class CarV2Reader
{
    private readonly Stream _stream;
    private readonly CarReaderOptions _options;

    private CarV2Reader(Stream stream, CarReaderOptions options, CarV2Header header, CarHeader payloadHeader, CarMultihashIndex? index)
    {
        _stream = stream;
        _options = options;
        Header = header;
        PayloadHeader = payloadHeader;
        Index = index;
    }

    /// <summary>The CARv2 header.</summary>
    public CarV2Header Header { get; }

    /// <summary>The payload's CARv1 header.</summary>
    public CarHeader PayloadHeader { get; }

    /// <summary>The root CIDs.</summary>
    public IReadOnlyList<Cid> Roots => PayloadHeader.Roots;

    /// <summary>The index, or null when the file has none.</summary>
    public CarMultihashIndex? Index { get; }

    /// <summary>Opens a CARv2 that starts at position 0 of <paramref name="stream"/>.</summary>
    /// <param name="stream">A readable, seekable stream, left open.</param>
    /// <param name="options">Size caps; defaults when null.</param>
    /// <returns>The reader.</returns>
    /// <exception cref="ContentFormatException">Not a valid CARv2.</exception>
    public static CarV2Reader Open(Stream stream, CarReaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            throw new ArgumentException("Random access to a CARv2 needs a seekable stream; use CarReader to stream it.", nameof(stream));
        }

        options ??= CarReaderOptions.Default;
        stream.Position = 0;
        var reader = CarReader.Open(stream, options);
        if (reader.V2Header is not { } header)
        {
            throw new ContentFormatException("Not a CARv2: the pragma is missing", 0);
        }

        long length = stream.Length;
        if (header.DataOffset + header.DataSize > (ulong)length)
        {
            throw new ContentFormatException($"CARv2 data payload ends at {header.DataOffset + header.DataSize}, past the end of the file ({length})", 11 + 24);
        }

        CarMultihashIndex? index = null;
        if (header.IndexOffset != 0)
        {
            if (header.IndexOffset >= (ulong)length)
            {
                throw new ContentFormatException($"CARv2 index offset {header.IndexOffset} is past the end of the file ({length})", 11 + 32);
            }

            ulong indexLength = (ulong)length - header.IndexOffset;
            if (indexLength > (ulong)options.MaxIndexLength)
            {
                throw new ContentFormatException($"CARv2 index of {indexLength} bytes exceeds the {options.MaxIndexLength}-byte cap", (long)header.IndexOffset);
            }

            stream.Position = (long)header.IndexOffset;
            var bytes = new byte[(int)indexLength];
            stream.ReadExactly(bytes);
            index = CarMultihashIndex.Parse(bytes, header.DataSize, (long)header.IndexOffset);
        }

        return new CarV2Reader(stream, options, header, reader.Header, index);
    }

    /// <summary>Looks a block up by multihash through the index, then reads and verifies it.</summary>
    /// <param name="hash">The multihash sought.</param>
    /// <param name="block">The verified block.</param>
    /// <returns>False when the hash is not indexed (or there is no index).</returns>
    /// <exception cref="ContentFormatException">The indexed section is malformed or holds another block.</exception>
    /// <exception cref="UnsupportedHashFunctionException">The indexed section's CID names a hash function that cannot be verified.</exception>
    public bool TryGetBlock(Multihash hash, out CarBlock block)
    {
        block = default;
        if (Index is null || !Index.TryFind(hash, out ulong offset))
        {
            return false;
        }

        _stream.Position = (long)(Header.DataOffset + offset);
        var source = new CarStreamSource(_stream, (long)offset, (long)Header.DataSize);
        ulong length = source.ReadVarintOrEnd("section")
            ?? throw new ContentFormatException("CARv2 index points at the end of the payload", (long)(Header.DataOffset + offset));
        block = CarReader.ReadSection(source, length, (long)offset, (long)Header.DataOffset, _options);
        if (block.Cid.Hash != hash)
        {
            throw new ContentFormatException($"CARv2 index entry for {hash} points at the block {block.Cid}", (long)(Header.DataOffset + offset));
        }

        return true;
    }

    /// <summary>Streams every block of the payload from the start, verifying each.</summary>
    /// <returns>The blocks in file order.</returns>
    public IEnumerable<CarBlock> ReadBlocks()
    {
        _stream.Position = 0;
        return CarReader.Open(_stream, _options).ReadBlocks();
    }
}
