using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Canonical;

/// <summary>
/// A table's chunk block, as the one who reads it holds it: its CID and canonical bytes (valid until
/// the source moves past it).
/// </summary>
/// <param name="Cid">The chunk's CID.</param>
/// <param name="Block">Its canonical block.</param>
public readonly record struct CanonicalChunk(Cid Cid, ReadOnlyMemory<byte> Block);

/// <summary>
/// Where a table stream goes: an IPC stream over bytes (<see cref="IpcStreamSink"/>), FlightData
/// messages, and so on. Each call receives views of stored bytes, valid only during the call.
/// </summary>
public interface ITableStreamSink
{
    /// <summary>The table's schema message, encapsulated (0xFFFFFFFF, int32 length, flatbuffer, padding): first, once.</summary>
    ValueTask WriteSchemaAsync(ReadOnlyMemory<byte> schemaMessage, CancellationToken cancellationToken);

    /// <summary>One chunk's dictionary and record batch messages, laid out in its block (its schema message already checked to be the table's).</summary>
    ValueTask WriteChunkAsync(CanonicalBlockLayout chunk, CancellationToken cancellationToken);

    /// <summary>After the last chunk.</summary>
    ValueTask WriteEndAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The one way a table's chunks become one stream, without decoding a batch: every canonical block
/// is the table's schema message, the chunk's dictionary messages and record batch message, and the
/// end-of-stream marker (<see cref="CanonicalBlockLayout"/>). So the stream is the schema message
/// once, each chunk's dictionary and record batch messages in row order (non-delta dictionary
/// batches replace the previous chunk's, as the stream format allows), and the end. <c>get</c>,
/// <c>cat</c>, Flight's DoGet, the gateway's Arrow stream and <c>flight get</c> all write through it;
/// the sink decides the framing.
/// </summary>
public static class TableStreamWriter
{
    /// <summary>
    /// Writes a table of <paramref name="schema"/> from its <paramref name="chunks"/> in row order,
    /// each block's schema message checked against the table's as it comes.
    /// </summary>
    /// <param name="schema">The table's schema.</param>
    /// <param name="chunks">Its chunks (or a range of them), read as they are written: a source may open the next while this one is sent.</param>
    /// <param name="sink">Where the messages go.</param>
    /// <param name="cancellationToken">Stops between chunks.</param>
    /// <exception cref="ContentFormatException">A chunk is not a canonical block of the table's schema.</exception>
    public static Task WriteAsync(Schema schema, IAsyncEnumerable<CanonicalChunk> chunks, ITableStreamSink sink, CancellationToken cancellationToken = default) =>
        // The table's schema is canonical, so its Schema message is the one every chunk starts with.
        WriteAsync(DatasetSchemaMessage.EncodeShared(schema), chunks, sink, cancellationToken);

    /// <summary>As <see cref="WriteAsync(Schema, IAsyncEnumerable{CanonicalChunk}, ITableStreamSink, CancellationToken)"/>, given the table's schema message (encapsulated) rather than its schema.</summary>
    /// <param name="schemaMessage">The schema message every chunk starts with.</param>
    /// <param name="chunks">The chunks, read as they are written.</param>
    /// <param name="sink">Where the messages go.</param>
    /// <param name="cancellationToken">Stops between chunks.</param>
    /// <exception cref="ContentFormatException">A chunk is not a canonical block that starts with <paramref name="schemaMessage"/>.</exception>
    public static async Task WriteAsync(ReadOnlyMemory<byte> schemaMessage, IAsyncEnumerable<CanonicalChunk> chunks, ITableStreamSink sink, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        ArgumentNullException.ThrowIfNull(sink);
        await sink.WriteSchemaAsync(schemaMessage, cancellationToken).ConfigureAwait(false);
        await foreach (var chunk in chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            await sink.WriteChunkAsync(CanonicalBlockLayout.ParseChunk(chunk.Block, schemaMessage.Span, chunk.Cid), cancellationToken).ConfigureAwait(false);
        }

        await sink.WriteEndAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// As <see cref="WriteAsync(Schema, IAsyncEnumerable{CanonicalChunk}, ITableStreamSink, CancellationToken)"/> for a source and a sink that never wait (blocks already read or
    /// mapped, a sink over a synchronous stream): run on the caller's thread.
    /// </summary>
    /// <exception cref="ContentFormatException">A chunk is not a canonical block of the table's schema.</exception>
    public static void Write(Schema schema, IEnumerable<CanonicalChunk> chunks, ITableStreamSink sink) =>
        Write(DatasetSchemaMessage.EncodeShared(schema), chunks, sink);

    /// <summary>As <see cref="Write(Schema, IEnumerable{CanonicalChunk}, ITableStreamSink)"/>, given the table's schema message (encapsulated).</summary>
    /// <exception cref="ContentFormatException">A chunk is not a canonical block that starts with <paramref name="schemaMessage"/>.</exception>
    public static void Write(ReadOnlyMemory<byte> schemaMessage, IEnumerable<CanonicalChunk> chunks, ITableStreamSink sink)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var written = WriteAsync(schemaMessage, Asynchronous(chunks), sink);

        // Every step completed as it was called, so the task has; otherwise a sink or source waited.
        if (!written.IsCompleted)
        {
            throw new InvalidOperationException("a synchronous table stream waited: use WriteAsync for a source or sink that waits");
        }

        written.GetAwaiter().GetResult();
    }

    /// <summary>The length of the IPC stream of <paramref name="chunks"/>, from their sizes alone (for Content-Length).</summary>
    /// <param name="schema">The table's schema.</param>
    /// <param name="chunks">The chunks, each of its block's size.</param>
    /// <returns>The stream's length in bytes.</returns>
    public static long IpcStreamLength(Schema schema, IEnumerable<TableTreeEntry> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        int schemaLength = DatasetSchemaMessage.EncodeShared(schema).Length;
        return schemaLength + chunks.Sum(c => MessagesLength(c, schemaLength)) + CanonicalBlockLayout.EndOfStreamLength;
    }

    /// <summary>The bytes a chunk adds to its table's stream: its block without the schema message and the end-of-stream marker.</summary>
    /// <param name="chunk">The chunk, its length as its manifest states it.</param>
    /// <param name="schemaMessageLength">The length of the table's schema message.</param>
    /// <returns>The length of its dictionary and record batch messages.</returns>
    public static long MessagesLength(TableTreeEntry chunk, int schemaMessageLength)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        return chunk.Bytes - schemaMessageLength - CanonicalBlockLayout.EndOfStreamLength;
    }

#pragma warning disable CS1998 // An iterator over what is already here: it never waits.
    private static async IAsyncEnumerable<CanonicalChunk> Asynchronous(IEnumerable<CanonicalChunk> chunks)
#pragma warning restore CS1998
    {
        foreach (var chunk in chunks)
        {
            yield return chunk;
        }
    }
}

/// <summary>A table stream as Arrow IPC stream bytes: the schema message, each chunk's messages as stored, the end-of-stream marker.</summary>
/// <param name="destination">Where the bytes go (not disposed).</param>
/// <param name="synchronous">Write with <see cref="Stream.Write(ReadOnlySpan{byte})"/>, as <see cref="TableStreamWriter.Write(ReadOnlyMemory{byte}, IEnumerable{CanonicalChunk}, ITableStreamSink)"/> needs; else asynchronously.</param>
public sealed class IpcStreamSink(Stream destination, bool synchronous = false) : ITableStreamSink
{
    /// <summary>Bytes written so far.</summary>
    public long Written { get; private set; }

    /// <inheritdoc />
    public ValueTask WriteSchemaAsync(ReadOnlyMemory<byte> schemaMessage, CancellationToken cancellationToken) => WriteAsync(schemaMessage, cancellationToken);

    /// <inheritdoc />
    public ValueTask WriteChunkAsync(CanonicalBlockLayout chunk, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        return WriteAsync(chunk.BatchMessages, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask WriteEndAsync(CancellationToken cancellationToken) => WriteAsync(EncodedMessage.EndOfStream, cancellationToken);

    private ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        Written += bytes.Length;
        if (!synchronous)
        {
            return destination.WriteAsync(bytes, cancellationToken);
        }

        destination.Write(bytes.Span);
        return ValueTask.CompletedTask;
    }
}
