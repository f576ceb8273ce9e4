using ArrowCid.Parquet.Metadata;
using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Reading;

/// <summary>One page of a column chunk as stored: its header, its body on disk, and where it starts in the file.</summary>
internal readonly record struct StoredPage(PageHeader Header, ReadOnlyMemory<byte> Body, long Offset);

/// <summary>
/// The pages of one column chunk, read one at a time from the file: a page header, then its
/// body of compressed_page_size bytes. Only the page at hand is read, so a chunk of any size
/// costs one page's bytes. A header's length is not stored, so it is read from a window of the
/// file that doubles until the header fits (or the chunk ends).
/// </summary>
internal sealed class ColumnChunkPages(ByteSource source, long start, long size, string column)
{
    private const int FirstHeaderWindow = 256;

    private readonly ByteSource _source = source;
    private readonly long _start = start;
    private readonly long _size = size;
    private readonly string _column = column;
    private long _position;

    /// <summary>Whether every byte of the chunk has been read.</summary>
    public bool AtEnd => _position >= _size;

    /// <summary>Reads the next page.</summary>
    /// <exception cref="ParquetFormatException">The header is malformed or the page runs past the chunk.</exception>
    public StoredPage Next()
    {
        if (AtEnd)
        {
            throw new ParquetFormatException($"column {_column}: the chunk has no more pages") { Column = _column, Offset = _start + _position };
        }

        (PageHeader header, int headerLength) = ReadHeader();
        long bodyStart = _position + headerLength;
        if (header.CompressedPageSize < 0 || header.CompressedPageSize > _size - bodyStart)
        {
            throw new ParquetFormatException($"column {_column}: compressed_page_size {header.CompressedPageSize} exceeds the {_size - bodyStart} bytes left in the chunk") { Column = _column, Offset = _start + _position };
        }

        if (header.UncompressedPageSize < 0)
        {
            throw new ParquetFormatException($"column {_column}: uncompressed_page_size {header.UncompressedPageSize} is negative") { Column = _column, Offset = _start + _position };
        }

        ReadOnlyMemory<byte> body = _source.Read(_start + bodyStart, header.CompressedPageSize);
        _position = bodyStart + header.CompressedPageSize;
        return new StoredPage(header, body, _start + bodyStart);
    }

    private (PageHeader Header, int Length) ReadHeader()
    {
        long left = _size - _position;
        for (long window = Math.Min(FirstHeaderWindow, left); ; window = Math.Min(window * 2, left))
        {
            ReadOnlyMemory<byte> bytes = _source.Read(_start + _position, (int)window);
            try
            {
                var reader = new ThriftCompactReader(bytes.Span);
                PageHeader header = PageHeader.Read(ref reader);
                return (header, reader.Position);
            }
            catch (ParquetFormatException) when (window < left)
            {
                // Most likely the window cut the header short: read more and parse again.
            }
            catch (ParquetFormatException ex)
            {
                throw new ParquetFormatException($"column {_column}: page header at chunk offset {_position}: {ex.Message}", ex) { Column = _column, Offset = _start + _position };
            }
        }
    }
}
