using System.Buffers.Binary;
using ArrowCid.Parquet.Metadata;
using ArrowCid.Parquet.Schema;

namespace ArrowCid.Parquet.Reading;

/// <summary>
/// Low-level Parquet file reader: checks the <c>PAR1</c> magic at both ends and the footer
/// length, parses <see cref="FileMetaData"/>, rebuilds the schema tree, and decodes any column
/// chunk into repetition levels, definition levels and values (no Arrow arrays).
/// </summary>
public sealed class ParquetFileReader : IDisposable
{
    private const int MagicLength = 4;
    private static ReadOnlySpan<byte> Magic => "PAR1"u8;
    private static ReadOnlySpan<byte> EncryptedMagic => "PARE"u8;

    private readonly ByteSource _source;
    private readonly long _footerStart;

    private ParquetFileReader(ByteSource source)
    {
        _source = source;
        long length = source.Length;
        if (length < 2 * MagicLength + 4)
        {
            throw new ParquetFormatException($"file: {length} bytes is too short for a Parquet file");
        }
        if (!source.Read(0, MagicLength).Span.SequenceEqual(Magic))
        {
            throw new ParquetFormatException("file: does not start with the PAR1 magic");
        }
        ReadOnlySpan<byte> tail = source.Read(length - 8, 8).Span;
        if (tail[4..].SequenceEqual(EncryptedMagic))
        {
            throw new ParquetFormatException("file: encrypted footer (PARE) is not supported");
        }
        if (!tail[4..].SequenceEqual(Magic))
        {
            throw new ParquetFormatException("file: does not end with the PAR1 magic");
        }
        int footerLength = BinaryPrimitives.ReadInt32LittleEndian(tail);
        if (footerLength <= 0 || footerLength > length - 2 * MagicLength - 4)
        {
            throw new ParquetFormatException($"file: footer length {footerLength} does not fit the {length}-byte file");
        }
        _footerStart = length - 8 - footerLength;
        Metadata = FileMetaData.Parse(source.Read(_footerStart, footerLength).Span);
        Schema = ParquetSchema.Build(Metadata.Schema);
        Validate();
    }

    /// <summary>The parsed footer.</summary>
    public FileMetaData Metadata { get; }

    /// <summary>The schema tree and its leaves.</summary>
    public ParquetSchema Schema { get; }

    /// <summary>Number of row groups.</summary>
    public int RowGroupCount => Metadata.RowGroups.Count;

    /// <summary>Opens a file held in memory; the memory must stay unchanged while the reader is used.</summary>
    public static ParquetFileReader Open(ReadOnlyMemory<byte> file) => new(new MemoryByteSource(file));

    /// <summary>Opens a readable, seekable stream; column chunks are read from it on demand.</summary>
    public static ParquetFileReader Open(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var source = new StreamByteSource(stream, leaveOpen);
        try
        {
            return new ParquetFileReader(source);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>The metadata of one column chunk.</summary>
    public ColumnChunk GetColumnChunk(int rowGroup, int column)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowGroup);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rowGroup, RowGroupCount);
        ArgumentOutOfRangeException.ThrowIfNegative(column);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(column, Schema.Leaves.Count);
        return Metadata.RowGroups[rowGroup].Columns[column];
    }

    /// <summary>Decodes one column chunk into levels and values.</summary>
    public LeafColumnData ReadColumn(int rowGroup, int column) =>
        OpenColumn(rowGroup, column, DecodeBudget.Unbounded()).TakeAll();

    /// <summary>Reads the page headers of one column chunk (no decompression, no decoding).</summary>
    public IReadOnlyList<PageHeader> ReadPageHeaders(int rowGroup, int column)
    {
        ColumnChunkPages pages = ChunkPages(GetColumnChunk(rowGroup, column), column);
        var headers = new List<PageHeader>();
        while (!pages.AtEnd)
        {
            headers.Add(pages.Next().Header);
        }
        return headers;
    }

    /// <inheritdoc/>
    public void Dispose() => _source.Dispose();

    /// <summary>A decoder that reads one column chunk's pages as they are needed, under <paramref name="budget"/>.</summary>
    internal ColumnChunkDecoder OpenColumn(int rowGroup, int column, DecodeBudget budget)
    {
        ColumnChunk chunk = GetColumnChunk(rowGroup, column);
        return new ColumnChunkDecoder(Schema.Leaves[column], chunk.MetaData!, ChunkPages(chunk, column), budget);
    }

    private ColumnChunkPages ChunkPages(ColumnChunk chunk, int column)
    {
        ColumnMetaData meta = chunk.MetaData!;
        long start = meta.DataPageOffset;
        if (meta.DictionaryPageOffset is long dictionary && dictionary > 0 && dictionary < start)
        {
            start = dictionary;
        }
        long size = meta.TotalCompressedSize;
        if (start < MagicLength || size < 0 || size > _footerStart - start)
        {
            throw new ParquetFormatException($"column {Schema.Leaves[column]}: chunk at offset {start} of {size} bytes lies outside the data area [4, {_footerStart})") { Offset = start, Column = Schema.Leaves[column].ToString() };
        }
        return new ColumnChunkPages(_source, start, size, Schema.Leaves[column].ToString());
    }

    private void Validate()
    {
        if (Metadata.NumRows < 0)
        {
            throw new ParquetFormatException($"footer: num_rows {Metadata.NumRows} is negative");
        }
        IReadOnlyList<SchemaNode> leaves = Schema.Leaves;
        for (int g = 0; g < Metadata.RowGroups.Count; g++)
        {
            RowGroup group = Metadata.RowGroups[g];
            if (group.NumRows < 0)
            {
                throw new ParquetFormatException($"row group {g}: num_rows {group.NumRows} is negative") { RowGroup = g };
            }
            if (group.Columns.Count != leaves.Count)
            {
                throw new ParquetFormatException($"row group {g}: {group.Columns.Count} column chunks for {leaves.Count} leaf columns") { RowGroup = g };
            }
            for (int c = 0; c < leaves.Count; c++)
            {
                ColumnChunk chunk = group.Columns[c];
                SchemaNode leaf = leaves[c];
                ColumnMetaData meta = chunk.MetaData ?? throw new ParquetFormatException($"row group {g}, column {leaf}: meta_data is missing") { RowGroup = g, Column = leaf.ToString() };
                if (!string.IsNullOrEmpty(chunk.FilePath))
                {
                    throw new ParquetFormatException($"row group {g}, column {leaf}: data in another file ('{chunk.FilePath}') is not supported") { RowGroup = g, Column = leaf.ToString() };
                }
                if (meta.Type != leaf.Element.Type)
                {
                    throw new ParquetFormatException($"row group {g}, column {leaf}: chunk type {meta.Type} differs from schema type {leaf.Element.Type}") { RowGroup = g, Column = leaf.ToString() };
                }
                if (!meta.PathInSchema.SequenceEqual(leaf.Path, StringComparer.Ordinal))
                {
                    throw new ParquetFormatException($"row group {g}, column {leaf}: path_in_schema is '{string.Join('.', meta.PathInSchema)}'") { RowGroup = g, Column = leaf.ToString() };
                }
            }
        }
    }
}
