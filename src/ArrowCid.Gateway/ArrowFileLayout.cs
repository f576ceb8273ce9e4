using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Datasets;
using ArrowCid.Repository;
using Microsoft.AspNetCore.Http;

namespace ArrowCid.Gateway;

/// <summary>
/// A table as an Arrow IPC file, laid out before a byte of it is written: <c>ARROW1\0\0</c>, the
/// schema message, each chunk's dictionary and record batch messages as stored (a chunk block is
/// the schema message, those messages and the end-of-stream marker, so their length is the chunk's
/// bytes less the other two), the end-of-stream marker, then the footer. The footer's length
/// depends only on the schema and the number of messages, so the file's length is known from the
/// chunk sizes alone; its contents (where each message lies) are read from the chunks' headers
/// while they are sent, or, for a range that starts past them, from the chunks themselves.
/// </summary>
internal sealed class ArrowFileLayout
{
    private static readonly byte[] Magic = "ARROW1\0\0"u8.ToArray();

    private readonly BlockReader _reader;
    private readonly Schema _schema;
    private readonly byte[] _schemaMessage;
    private readonly IReadOnlyList<TableTreeEntry> _chunks;
    private readonly long[] _chunkStarts;
    private readonly int _dictionariesPerChunk;
    private readonly long _endOfStreamStart;
    private readonly int _footerLength;

    private ArrowFileLayout(BlockReader reader, Schema schema, byte[] schemaMessage, IReadOnlyList<TableTreeEntry> chunks, int dictionariesPerChunk)
    {
        _reader = reader;
        _schema = schema;
        _schemaMessage = schemaMessage;
        _chunks = chunks;
        _dictionariesPerChunk = dictionariesPerChunk;
        _chunkStarts = new long[chunks.Count];
        long at = Magic.Length + schemaMessage.Length;
        for (int i = 0; i < chunks.Count; i++)
        {
            _chunkStarts[i] = at;
            at += MessagesLength(chunks[i]);
        }

        _endOfStreamStart = at;
        _footerLength = Footer(new ArrowFileBlock[dictionariesPerChunk * chunks.Count], new ArrowFileBlock[chunks.Count]).Length;
        Length = at + EncodedMessage.EndOfStream.Length + _footerLength;
    }

    /// <summary>The file's length in bytes.</summary>
    public long Length { get; }

    /// <summary>Lays out <paramref name="chunks"/> of a table of <paramref name="schema"/> as a file.</summary>
    /// <exception cref="GatewayException">406 when the table has dictionaries and several chunks: each chunk carries its own, and the file format cannot replace a dictionary.</exception>
    public static ArrowFileLayout Plan(BlockReader reader, Schema schema, IReadOnlyList<TableTreeEntry> chunks)
    {
        int dictionaries = 0;
        if (chunks.Count > 0)
        {
            // Every chunk of a table has as many dictionary messages as its schema has dictionaries.
            using var first = reader.Open(chunks[0].Cid);
            dictionaries = CanonicalBlockLayout.Parse(first.Memory, chunks[0].Cid).Dictionaries.Count;
        }

        return dictionaries > 0 && chunks.Count > 1
            ? throw new GatewayException(StatusCodes.Status406NotAcceptable, "this table has dictionary-encoded columns and several chunks, each with its own dictionaries, which the Arrow IPC file format cannot replace: ask for application/vnd.apache.arrow.stream")
            : new ArrowFileLayout(reader, schema, DatasetSchemaMessage.Encode(schema), chunks, dictionaries);
    }

    /// <summary>Writes bytes [<paramref name="start"/>, <paramref name="end"/>) of the file, holding one chunk's lease at a time.</summary>
    public async Task WriteAsync(Stream destination, long start, long end, CancellationToken cancellationToken)
    {
        // The chunks the range touches (all from the first when the footer is gathered on the way,
        // which it is when the write starts before the first chunk), read one ahead of the one being written.
        bool gathersFooter = start <= Magic.Length + _schemaMessage.Length;
        int first = 0;
        while (!gathersFooter && first < _chunks.Count && _chunkStarts[first] + MessagesLength(_chunks[first]) <= start)
        {
            first++;
        }

        int last = first;
        while (last < _chunks.Count && _chunkStarts[last] < end)
        {
            last++;
        }

        var sent = first == 0 && last == _chunks.Count ? _chunks : _chunks.Skip(first).Take(last - first).ToList();
        var sink = new RangeSink(this, destination, start, end, first, gathersFooter);
        await sink.WritePartAsync(Magic, cancellationToken).ConfigureAwait(false);
        await TableStreamWriter.WriteAsync(_schemaMessage, ChunkBlocks.Of(ChunkReadAhead.OpenInOrder(_reader, sent, cancellationToken)), sink, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The file as the table stream goes by: magic, the stream's messages at their file offsets, the
    /// footer; only what lies in [start, end) is written.
    /// </summary>
    private sealed class RangeSink(ArrowFileLayout file, Stream destination, long start, long end, int firstChunk, bool gathersFooter) : ITableStreamSink
    {
        // The footer's blocks, gathered as the chunks go by when the write covers them all.
        private readonly List<ArrowFileBlock>? _dictionaries = gathersFooter ? [] : null;
        private readonly List<ArrowFileBlock>? _batches = gathersFooter ? [] : null;
        private int _chunk = firstChunk;
        private long _at;

        public ValueTask WriteSchemaAsync(ReadOnlyMemory<byte> schemaMessage, CancellationToken cancellationToken) =>
            WritePartAsync(schemaMessage, cancellationToken);

        public ValueTask WriteChunkAsync(CanonicalBlockLayout chunk, CancellationToken cancellationToken)
        {
            // Chunks before the range are skipped: this one starts where the layout put it.
            _at = file._chunkStarts[_chunk];
            if (_batches is not null)
            {
                AddBlocks(chunk, _at, _dictionaries!, _batches);
            }

            _chunk++;
            return WritePartAsync(chunk.BatchMessages, cancellationToken);
        }

        public async ValueTask WriteEndAsync(CancellationToken cancellationToken)
        {
            _at = file._endOfStreamStart;
            await WritePartAsync(EncodedMessage.EndOfStream, cancellationToken).ConfigureAwait(false);
            if (_at < end)
            {
                byte[] footer = _batches is not null && _batches.Count == file._chunks.Count ? file.Footer(_dictionaries!, _batches) : file.ReadFooter();
                if (footer.Length != file._footerLength)
                {
                    throw new InvalidOperationException($"the footer is {footer.Length} bytes where {file._footerLength} were laid out");
                }

                await WritePartAsync(footer, cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>Writes what of a part of the file (starting where the last ended) lies in [start, end).</summary>
        public async ValueTask WritePartAsync(ReadOnlyMemory<byte> part, CancellationToken cancellationToken)
        {
            long partEnd = _at + part.Length;
            if (partEnd > start && _at < end)
            {
                int from = (int)Math.Max(0, start - _at);
                int to = (int)(Math.Min(end, partEnd) - _at);
                await destination.WriteAsync(part[from..to], cancellationToken).ConfigureAwait(false);
            }

            _at = partEnd;
        }
    }

    /// <summary>The footer from every chunk's headers, for a range that did not send them all.</summary>
    private byte[] ReadFooter()
    {
        var dictionaries = new List<ArrowFileBlock>();
        var batches = new List<ArrowFileBlock>();
        for (int i = 0; i < _chunks.Count; i++)
        {
            using var block = _reader.Open(_chunks[i].Cid, access: BlockAccess.Read);
            var layout = CanonicalBlockLayout.ParseChunk(block.Memory, _schemaMessage, _chunks[i].Cid);
            AddBlocks(layout, _chunkStarts[i], dictionaries, batches);
        }

        return Footer(dictionaries, batches);
    }

    /// <summary>Where a chunk's messages lie in the file: its block's offsets, moved to where its batch messages start.</summary>
    private static void AddBlocks(CanonicalBlockLayout layout, long chunkStart, List<ArrowFileBlock> dictionaries, List<ArrowFileBlock> batches)
    {
        long shift = chunkStart - layout.Schema.End;
        foreach (var message in layout.Dictionaries)
        {
            dictionaries.Add(new ArrowFileBlock(shift + message.Offset, message.BodyOffset - message.Offset, message.Body.Length));
        }

        var batch = layout.RecordBatch;
        batches.Add(new ArrowFileBlock(shift + batch.Offset, batch.BodyOffset - batch.Offset, batch.Body.Length));
    }

    private byte[] Footer(IReadOnlyList<ArrowFileBlock> dictionaries, IReadOnlyList<ArrowFileBlock> batches) =>
        ArrowFileWriter.EncodeFooter(_schema, dictionaries, batches, sortMetadata: true);

    private long MessagesLength(TableTreeEntry chunk) => TableStreamWriter.MessagesLength(chunk, _schemaMessage.Length);
}
