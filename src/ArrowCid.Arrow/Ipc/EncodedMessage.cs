using System.Buffers.Binary;

namespace ArrowCid.Arrow.Ipc;

/// <summary>
/// One encapsulated IPC message ready to write: the padded Message flatbuffer and the body as a
/// list of buffers, each followed by zero padding up to the alignment. Body buffers are referenced,
/// not copied, so writing a batch streams its arrays' memory straight to the destination.
/// </summary>
public sealed class EncodedMessage
{
    /// <summary>The continuation marker that opens every message since format 0.15.</summary>
    public const uint Continuation = 0xFFFFFFFF;

    private static readonly byte[] Zeros = new byte[64];

    internal EncodedMessage(byte[] metadata, IReadOnlyList<ReadOnlyMemory<byte>> bodyBuffers, IReadOnlyList<int> padding, long bodyLength)
    {
        Metadata = metadata;
        BodyBuffers = bodyBuffers;
        Padding = padding;
        BodyLength = bodyLength;
    }

    /// <summary>The Message flatbuffer, its length a multiple of 8. Read only: a schema message is shared by every encoding of that schema object.</summary>
    public byte[] Metadata { get; }

    /// <summary>The body buffers in order; each is followed by <see cref="Padding"/>[i] zero bytes.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> BodyBuffers { get; }

    /// <summary>Zero bytes after each body buffer.</summary>
    public IReadOnlyList<int> Padding { get; }

    /// <summary>Total body length, padding included.</summary>
    public long BodyLength { get; }

    /// <summary>The body as one contiguous block (copies; for transports that need one buffer, e.g. a protobuf field).</summary>
    public byte[] BodyToArray()
    {
        var body = GC.AllocateUninitializedArray<byte>(checked((int)BodyLength));
        CopyBodyTo(body);
        return body;
    }

    /// <summary>
    /// The body as one piece of memory without copying, when it already is one: a single buffer
    /// with no padding after it, every other buffer empty (one fixed-width column without nulls, say).
    /// </summary>
    /// <param name="body">That buffer (empty when the body is).</param>
    /// <returns>False when the body has to be assembled (<see cref="CopyBodyTo"/>).</returns>
    public bool TryGetContiguousBody(out ReadOnlyMemory<byte> body)
    {
        body = ReadOnlyMemory<byte>.Empty;
        bool found = false;
        for (int i = 0; i < BodyBuffers.Count; i++)
        {
            if (BodyBuffers[i].IsEmpty && Padding[i] == 0)
            {
                continue;
            }

            if (found || Padding[i] != 0)
            {
                body = ReadOnlyMemory<byte>.Empty;
                return false;
            }

            body = BodyBuffers[i];
            found = true;
        }

        return true;
    }

    /// <summary>Copies the body, padding zeroed, into <paramref name="destination"/> (at least <see cref="BodyLength"/> bytes).</summary>
    public void CopyBodyTo(Span<byte> destination)
    {
        int at = 0;
        for (int i = 0; i < BodyBuffers.Count; i++)
        {
            BodyBuffers[i].Span.CopyTo(destination[at..]);
            at += BodyBuffers[i].Length;
            destination.Slice(at, Padding[i]).Clear();
            at += Padding[i];
        }
    }

    /// <summary>Bytes of prefix + metadata: what File.fbs's Block.metaDataLength counts.</summary>
    public int MetadataBlockLength => 8 + Metadata.Length;

    /// <summary>Total bytes this message occupies in a stream.</summary>
    public long TotalLength => MetadataBlockLength + BodyLength;

    /// <summary>Writes prefix, metadata and body.</summary>
    public void WriteTo(Stream stream)
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(prefix, Continuation);
        BinaryPrimitives.WriteInt32LittleEndian(prefix[4..], Metadata.Length);
        stream.Write(prefix);
        stream.Write(Metadata);
        for (int i = 0; i < BodyBuffers.Count; i++)
        {
            stream.Write(BodyBuffers[i].Span);
            stream.Write(Zeros.AsSpan(0, Padding[i]));
        }
    }

    /// <summary>Copies prefix, metadata and body into <paramref name="destination"/> (at least <see cref="TotalLength"/> bytes).</summary>
    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Continuation);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], Metadata.Length);
        Metadata.CopyTo(destination[8..]);
        CopyBodyTo(destination[(8 + Metadata.Length)..]);
    }

    /// <summary>
    /// The 8-byte end-of-stream marker: the continuation (0xFFFFFFFF) then a zero metadata length.
    /// The one copy of it: writers that append it asynchronously write this memory.
    /// </summary>
    public static ReadOnlyMemory<byte> EndOfStream { get; } = new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0 };

    /// <summary>Writes the end-of-stream marker (<see cref="EndOfStream"/>).</summary>
    public static void WriteEndOfStream(Stream stream) => stream.Write(EndOfStream.Span);

    /// <summary>Whether <paramref name="bytes"/> begins with the end-of-stream marker.</summary>
    public static bool StartsWithEndOfStream(ReadOnlySpan<byte> bytes) => bytes.StartsWith(EndOfStream.Span);
}
