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
    private readonly List<ArrowFileBlock> _dictionaries = [];
    private readonly List<ArrowFileBlock> _batches = [];

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
            (isRecordBatch ? _batches : _dictionaries).Add(new ArrowFileBlock(offset, message.MetadataBlockLength, message.BodyLength));
        }
    }

    /// <inheritdoc/>
    protected override void WriteEnd(Stream stream)
    {
        // The stream's end marker stays in the file, so the message area reads as a stream too.
        base.WriteEnd(stream);
        byte[] footer = EncodeFooter(Schema, _dictionaries, _batches, Options.SortMetadata);
        stream.Write(footer);
        CountBytes(footer.Length);
    }

    /// <summary>
    /// The end of an IPC file after its messages: the Footer flatbuffer (schema and where each
    /// dictionary and record batch message lies), its int32 length and "ARROW1". Its length depends
    /// only on the schema and the numbers of blocks, so a file's size is known before its blocks are.
    /// </summary>
    /// <param name="schema">The file's schema.</param>
    /// <param name="dictionaries">The dictionary batch messages, in order.</param>
    /// <param name="recordBatches">The record batch messages, in order.</param>
    /// <param name="sortMetadata">Write the schema's custom metadata sorted by key (as its Schema message has it).</param>
    /// <returns>The bytes that end the file.</returns>
    public static byte[] EncodeFooter(Schema schema, IReadOnlyList<ArrowFileBlock> dictionaries, IReadOnlyList<ArrowFileBlock> recordBatches, bool sortMetadata)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(dictionaries);
        ArgumentNullException.ThrowIfNull(recordBatches);
        var b = new FlatBufferBuilder();
        int schemaOffset = MetadataWriter.WriteSchema(b, schema, sortMetadata);
        int dictionaryVector = b.CreateStructVector(Blocks(dictionaries), 24, 8);
        int batchVector = b.CreateStructVector(Blocks(recordBatches), 24, 8);
        b.StartTable(FooterSlots.Count);
        b.AddScalarForced(FooterSlots.Version, (short)MetadataVersion.V5);
        b.AddOffset(FooterSlots.Schema, schemaOffset);
        b.AddOffset(FooterSlots.Dictionaries, dictionaryVector);
        b.AddOffset(FooterSlots.RecordBatches, batchVector);
        var footer = b.Finish(b.EndTable(), 8);
        var end = new byte[footer.Length + 10];
        footer.CopyTo(end);
        BinaryPrimitives.WriteInt32LittleEndian(end.AsSpan(footer.Length), footer.Length);
        "ARROW1"u8.CopyTo(end.AsSpan(footer.Length + 4));
        return end;
    }

    private static byte[] Blocks(IReadOnlyList<ArrowFileBlock> blocks)
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

/// <summary>Where one message lies in an IPC file (Footer's Block struct).</summary>
/// <param name="Offset">Bytes from the start of the file to the message's continuation marker.</param>
/// <param name="MetadataLength">The prefix and the padded Message flatbuffer, in bytes.</param>
/// <param name="BodyLength">The message body, in bytes.</param>
public readonly record struct ArrowFileBlock(long Offset, int MetadataLength, long BodyLength);
