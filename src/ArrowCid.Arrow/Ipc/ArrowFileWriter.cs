using System.Buffers.Binary;
using ArrowCid.Arrow.FlatBuffers;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Ipc;

/// <summary>
/// Writes the Arrow IPC file format: "ARROW1" and two padding bytes, the stream messages, then a
/// footer locating every dictionary and record batch, the footer's length and "ARROW1" again.
/// </summary>
public sealed class ArrowFileWriter : ArrowStreamWriter
{
    private readonly List<(long Offset, int MetadataLength, long BodyLength)> _dictionaries = [];
    private readonly List<(long Offset, int MetadataLength, long BodyLength)> _batches = [];

    /// <summary>Creates a file writer.</summary>
    public ArrowFileWriter(Stream stream, Schema schema, IpcWriteOptions? options = null, bool leaveOpen = false)
        : base(stream, schema, options, leaveOpen)
    {
    }

    /// <inheritdoc/>
    protected override bool AllowDictionaryReplacement => false;

    /// <inheritdoc/>
    protected override void WritePreamble(Stream stream)
    {
        stream.Write("ARROW1\0\0"u8);
        CountBytes(8);
    }

    private protected override void OnMessage(long offset, EncodedMessage message, bool isRecordBatch, bool isSchema)
    {
        if (!isSchema)
        {
            (isRecordBatch ? _batches : _dictionaries).Add((offset, message.MetadataBlockLength, message.BodyLength));
        }
    }

    /// <inheritdoc/>
    protected override void WriteEnd(Stream stream)
    {
        // The stream's end marker stays in the file, so the message area reads as a stream too.
        base.WriteEnd(stream);
        var b = new FlatBufferBuilder();
        int schema = MetadataWriter.WriteSchema(b, Schema, Options.SortMetadata);
        int dictionaries = b.CreateStructVector(Blocks(_dictionaries), 24, 8);
        int batches = b.CreateStructVector(Blocks(_batches), 24, 8);
        b.StartTable(FooterSlots.Count);
        b.AddScalarForced(FooterSlots.Version, (short)MetadataVersion.V5);
        b.AddOffset(FooterSlots.Schema, schema);
        b.AddOffset(FooterSlots.Dictionaries, dictionaries);
        b.AddOffset(FooterSlots.RecordBatches, batches);
        var footer = b.Finish(b.EndTable(), 8);
        stream.Write(footer);
        Span<byte> tail = stackalloc byte[10];
        BinaryPrimitives.WriteInt32LittleEndian(tail, footer.Length);
        "ARROW1"u8.CopyTo(tail[4..]);
        stream.Write(tail);
        CountBytes(footer.Length + 10);
    }

    private static byte[] Blocks(List<(long Offset, int MetadataLength, long BodyLength)> blocks)
    {
        var bytes = new byte[blocks.Count * 24];
        for (int i = 0; i < blocks.Count; i++)
        {
            var s = bytes.AsSpan(i * 24, 24);
            BinaryPrimitives.WriteInt64LittleEndian(s, blocks[i].Offset);
            BinaryPrimitives.WriteInt32LittleEndian(s[8..], blocks[i].MetadataLength);
            BinaryPrimitives.WriteInt64LittleEndian(s[16..], blocks[i].BodyLength);
        }

        return bytes;
    }
}
