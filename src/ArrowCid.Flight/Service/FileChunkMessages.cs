using System.Buffers;
using ArrowCid.Content;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Stores;
using ArrowCid.Http2;
using ArrowCid.Repository;

namespace ArrowCid.Flight.Service;

/// <summary>
/// A chunk's dictionary and record batch messages read from its verified block file for a response
/// that sends file regions (<see cref="Grpc.ServerCallContext.ResponseSendsFileRegions"/>): only the
/// block's head (its messages' metadata, the dictionaries) and its last bytes (the end-of-stream
/// marker) are read, and the record batch body, nearly all of a chunk, goes from the file to the
/// socket with <c>sendfile(2)</c> (<see cref="FileRegionMemory"/>): the server's copy of the body
/// into memory (a <c>pread</c>) is saved. The file's stamp says its bytes hashed to the CID
/// (<see cref="BlockReader.TryOpenVerifiedFile"/>), so what is sent is what the CID names.
/// </summary>
internal sealed class FileChunkMessages : IDisposable
{
    /// <summary>
    /// How much of a block is read first: a chunk's schema and record batch metadata (a few hundred
    /// bytes to a few KiB) fit in it; when they do not (large dictionaries, very wide schemas), the
    /// rest is read too and all is sent from memory. Every byte read here is a copy sendfile saves.
    /// </summary>
    internal const int HeadLength = 8 * 1024;

    /// <summary>A body shorter than this is read and sent from memory: gRPC copies a small body next to the message head anyway.</summary>
    internal const int FileBodyMinimum = 64 * 1024;

    private byte[]? _buffer;
    private readonly FileRegionMemory? _body;

    private FileChunkMessages(byte[] buffer, CanonicalBlockLayout layout, FileRegionMemory? body)
    {
        _buffer = buffer;
        Layout = layout;
        _body = body;
    }

    /// <summary>The chunk's layout over the buffer (whose record batch body was not read when <see cref="BodyFromFile"/>).</summary>
    public CanonicalBlockLayout Layout { get; }

    /// <summary>Whether the record batch body goes from the file.</summary>
    public bool BodyFromFile => _body is not null;

    /// <summary>The record batch's body: the file region, or the bytes read.</summary>
    public ReadOnlyMemory<byte> RecordBatchBody => _body?.Memory ?? Layout.RecordBatch.Body;

    /// <summary>
    /// Reads the head and tail of <paramref name="file"/> and lays the chunk out; null for a file too
    /// large to hold in one pooled buffer (the caller opens it the usual way).
    /// </summary>
    /// <exception cref="ContentFormatException">The block's schema message is not the table's, or it is not a canonical block.</exception>
    public static FileChunkMessages? Read(VerifiedBlockFile file, ReadOnlySpan<byte> schemaMessage)
    {
        if (file.Length > BlockReader.ReadLimit)
        {
            return null;
        }

        int length = (int)file.Length;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            int head = Math.Min(length, HeadLength);
            ReadExactly(file, buffer, 0, head);
            if (head < length)
            {
                // The end-of-stream marker, which the layout checks; the bytes between are not read.
                int tail = Math.Max(head, length - CanonicalBlockLayout.EndOfStreamLength);
                ReadExactly(file, buffer, tail, length - tail);
                if (TryLayOutFromHead(buffer, length, head, schemaMessage, file) is { } fromHead)
                {
                    var body = new FileRegionMemory(file.File, fromHead.RecordBatch.BodyOffset, fromHead.RecordBatch.Body.Length);
                    return new FileChunkMessages(buffer, fromHead, body);
                }

                ReadExactly(file, buffer, head, length - head);
            }

            return new FileChunkMessages(buffer, CanonicalBlockLayout.ParseChunk(buffer.AsMemory(0, length), schemaMessage, file.Cid), null);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>The chunk's messages in order: its dictionaries, then its record batch.</summary>
    public IEnumerable<(ReadOnlyMemory<byte> Metadata, ReadOnlyMemory<byte> Body)> Messages()
    {
        foreach (var dictionary in Layout.Dictionaries)
        {
            yield return (dictionary.Metadata, dictionary.Body);
        }

        yield return (Layout.RecordBatch.Metadata, RecordBatchBody);
    }

    /// <summary>Returns the buffer (and any bytes the file region was read into); the messages are not to be used after.</summary>
    public void Dispose()
    {
        ((IDisposable?)_body)?.Dispose();
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The layout from the head and tail alone, when the head holds every message's metadata (and
    /// the dictionaries' bodies) and the record batch body is worth sending from the file; else null.
    /// The layout is one pass in order, so when the record batch body starts within the head, every
    /// byte it read before the marker came from the head: the unread middle of the buffer (whatever
    /// the pool left there) was never looked at. A parse that strayed into it fails or ends past the
    /// head, and the whole block is read instead.
    /// </summary>
    private static CanonicalBlockLayout? TryLayOutFromHead(byte[] buffer, int length, int head, ReadOnlySpan<byte> schemaMessage, VerifiedBlockFile file)
    {
        CanonicalBlockLayout layout;
        try
        {
            layout = CanonicalBlockLayout.ParseChunk(buffer.AsMemory(0, length), schemaMessage, file.Cid);
        }
        catch (ContentFormatException)
        {
            // Read the whole block, and the same parse says what is wrong with it, if anything.
            return null;
        }

        return layout.RecordBatch.BodyOffset <= head && layout.RecordBatch.Body.Length >= FileBodyMinimum ? layout : null;
    }

    private static void ReadExactly(VerifiedBlockFile file, byte[] buffer, int offset, int count)
    {
        int filled = 0;
        while (filled < count)
        {
            int read = RandomAccess.Read(file.File.SafeFileHandle, buffer.AsSpan(offset + filled, count - filled), offset + filled);
            if (read == 0)
            {
                throw new BlockCorruptedException(file.Cid, $"the stored copy at {file.Path} ends at {offset + filled} bytes, before its {file.Length}");
            }

            filled += read;
        }
    }
}
