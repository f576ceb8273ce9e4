using System.Buffers.Binary;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.FlatBuffers;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Ipc;

/// <summary>
/// Reads the Arrow IPC file format: magic, messages, footer (File.fbs) with the location of every
/// dictionary and record batch, footer length, magic. Random access by batch index; buffers are
/// slices of the file's memory (zero copy), which <see cref="Open"/> maps from disk.
/// </summary>
public sealed class ArrowFileReader : IDisposable
{
    /// <summary>"ARROW1": opens and closes every IPC file.</summary>
    public static ReadOnlySpan<byte> Magic => "ARROW1"u8;

    private readonly ReadOnlyMemory<byte> _data;
    private readonly IpcReadOptions _options;
    private readonly SharedLease? _lease;
    private readonly (long Offset, int MetadataLength, long BodyLength)[] _recordBatches;
    private readonly DictionaryMemo _dictionaries;
    private bool _disposed;

    /// <summary>Reads a file held in memory. <paramref name="lease"/>, if given, is shared by every batch and released by <see cref="Dispose"/>.</summary>
    public ArrowFileReader(ReadOnlyMemory<byte> data, IpcReadOptions? options = null, SharedLease? lease = null)
    {
        _data = data;
        _options = options ?? IpcReadOptions.Default;
        _lease = lease;
        var span = data.Span;
        if (span.Length < 6 + 2 + 4 + 6 || !span[..6].SequenceEqual(Magic) || !span[^6..].SequenceEqual(Magic))
        {
            throw new ArrowFormatException("file: not an Arrow IPC file (ARROW1 magic missing at the start or end, or file too short)");
        }

        int footerLength = BinaryPrimitives.ReadInt32LittleEndian(span[^10..]);
        if (footerLength <= 0 || footerLength > span.Length - 18)
        {
            throw new ArrowFormatException($"file: footer length {footerLength} does not fit in a {span.Length}-byte file");
        }

        var footer = FlatTable.GetRoot(span.Slice(span.Length - 10 - footerLength, footerLength));
        if (!footer.TryGetTable(FooterSlots.Schema, out FlatTable schemaTable))
        {
            throw new ArrowFormatException("file: footer has no schema");
        }

        Schema = SchemaReader.Read(schemaTable, out var layout);
        _dictionaries = new DictionaryMemo(layout, _options.Validation, _options.NewBudget());
        var dictionaryBlocks = ReadBlocks(footer, FooterSlots.Dictionaries, "dictionary");
        _recordBatches = ReadBlocks(footer, FooterSlots.RecordBatches, "record batch");

        foreach (var block in dictionaryBlocks)
        {
            var (message, body) = ReadMessage(block, "dictionary");
            if (message.Kind != MessageKind.DictionaryBatch)
            {
                throw new ArrowFormatException($"file: dictionary block at {block.Offset} holds a {message.Kind}");
            }

            _dictionaries.Apply(message, body, allowReplacement: false);
        }
    }

    /// <summary>Maps <paramref name="path"/> and reads it; batches stay valid until they and the reader are disposed.</summary>
    public static ArrowFileReader Open(string path, IpcReadOptions? options = null)
    {
        var mapping = MappedFileMemory.Open(path);
        var lease = new SharedLease(mapping);
        try
        {
            return new ArrowFileReader(mapping.Memory, options, lease);
        }
        catch
        {
            lease.Release();
            throw;
        }
    }

    /// <summary>The file's schema.</summary>
    public Schema Schema { get; }

    /// <summary>Number of record batches.</summary>
    public int RecordBatchCount => _recordBatches.Length;

    /// <summary>Reads record batch <paramref name="index"/>.</summary>
    public RecordBatch ReadRecordBatch(int index)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _recordBatches.Length);
        var (message, body) = ReadMessage(_recordBatches[index], "record batch");
        if (message.Kind != MessageKind.RecordBatch)
        {
            throw new ArrowFormatException($"file: record batch block {index} holds a {message.Kind}");
        }

        return BatchDecoder.Decode(Schema, message, body, _dictionaries, _options.Validation, _lease);
    }

    /// <summary>All record batches in order, read lazily.</summary>
    public IEnumerable<RecordBatch> ReadAll()
    {
        for (int i = 0; i < RecordBatchCount; i++)
        {
            yield return ReadRecordBatch(i);
        }
    }

    private (DecodedMessage Message, ReadOnlyMemory<byte> Body) ReadMessage((long Offset, int MetadataLength, long BodyLength) block, string what)
    {
        var (offset, metadataLength, bodyLength) = block;
        long end = _data.Length - 10; // messages end before the footer length and magic
        if (offset < 8 || metadataLength < 8 || bodyLength < 0 || offset > end || metadataLength > end - offset || bodyLength > end - offset - metadataLength)
        {
            throw new ArrowFormatException($"file: {what} block [{offset}, +{metadataLength}+{bodyLength}) lies outside the file");
        }

        var blockSpan = _data.Span.Slice((int)offset, metadataLength);
        int length = MessageReader.ParseLength(blockSpan, out int prefix);
        if (length == 0 || length > metadataLength - prefix)
        {
            throw new ArrowFormatException($"file: {what} block at {offset}: metadata length {length} does not fit the block's {metadataLength} bytes");
        }

        var message = MessageDecoder.Decode(blockSpan.Slice(prefix, length));
        if (message.BodyLength != bodyLength)
        {
            throw new ArrowFormatException($"file: {what} block at {offset} says body {bodyLength} bytes, its message {message.BodyLength}");
        }

        return (message, _data.Slice((int)(offset + metadataLength), (int)bodyLength));
    }

    private static (long Offset, int MetadataLength, long BodyLength)[] ReadBlocks(FlatTable footer, int slot, string what)
    {
        var vector = footer.GetVector(slot, 24);
        var blocks = new (long Offset, int MetadataLength, long BodyLength)[vector.Length];
        for (int i = 0; i < blocks.Length; i++)
        {
            var s = vector.GetStructBytes(i, 24);
            blocks[i] = (BinaryPrimitives.ReadInt64LittleEndian(s), BinaryPrimitives.ReadInt32LittleEndian(s[8..]), BinaryPrimitives.ReadInt64LittleEndian(s[16..]));
        }

        _ = what;
        return blocks;
    }

    /// <summary>Drops the reader's hold on the file memory; batches still in use keep it mapped until they are disposed.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _lease?.Release();
        }
    }
}
