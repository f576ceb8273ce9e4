using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Types;
using ArrowCid.Arrow.Validation;

namespace ArrowCid.Arrow.Ipc;

/// <summary>How IPC input is read.</summary>
public sealed record IpcReadOptions
{
    /// <summary>Default options: structural validation.</summary>
    public static IpcReadOptions Default { get; } = new();

    /// <summary>How thoroughly each batch is checked before it is returned (never less than structural).</summary>
    public ValidationLevel Validation { get; init; } = ValidationLevel.Structural;

    /// <summary>
    /// The most bytes the compressed buffers of one message (a record or dictionary batch) may
    /// decompress to: a buffer's claimed size is checked before anything is allocated, so a small
    /// message that claims gigabytes (a decompression bomb) is refused. Default 2 GiB.
    /// </summary>
    public long MaxDecompressedBytesPerMessage { get; init; } = int.MaxValue;

    /// <summary>The most bytes all messages one reader decodes may decompress to. Default: no limit.</summary>
    public long MaxDecompressedBytesPerReader { get; init; } = long.MaxValue;

    internal DecompressionBudget NewBudget() => new(MaxDecompressedBytesPerMessage, MaxDecompressedBytesPerReader);
}

/// <summary>
/// Reads an Arrow IPC stream one batch at a time, so streams of any length are processed without
/// loading them whole. Over <see cref="ReadOnlyMemory{T}"/> (a mapping, a shared-memory segment, a
/// canonical block) the batches' buffers are slices of that memory: nothing is copied. Over a
/// <see cref="Stream"/> each message body is read into memory of its own.
/// </summary>
public sealed class ArrowStreamReader : IDisposable
{
    private readonly MessageReader _messages;
    private readonly IpcReadOptions _options;
    private readonly DictionaryMemo _dictionaries;
    private readonly Stream? _ownedStream;
    private readonly SharedLease? _lease;
    private bool _ended;

    /// <summary>Reads from memory without copying; <paramref name="lease"/> (optional) is shared by every batch read.</summary>
    public ArrowStreamReader(ReadOnlyMemory<byte> data, IpcReadOptions? options = null, SharedLease? lease = null)
        : this(MessageReader.FromMemory(data), options, null)
    {
        _lease = lease;
    }

    /// <summary>Reads from a stream; it is disposed with the reader unless <paramref name="leaveOpen"/>.</summary>
    public ArrowStreamReader(Stream stream, IpcReadOptions? options = null, bool leaveOpen = false)
        : this(MessageReader.FromStream(stream ?? throw new ArgumentNullException(nameof(stream))), options, leaveOpen ? null : stream)
    {
    }

    private ArrowStreamReader(MessageReader messages, IpcReadOptions? options, Stream? owned)
    {
        _messages = messages;
        _options = options ?? IpcReadOptions.Default;
        _ownedStream = owned;
        var first = _messages.Next() ?? throw new ArrowFormatException("stream: empty, no schema message");
        if (first.Message.Kind != MessageKind.Schema)
        {
            throw new ArrowFormatException($"stream: the first message is a {first.Message.Kind}, not a schema");
        }

        Schema = first.Message.Schema!;
        _dictionaries = new DictionaryMemo(first.Message.Dictionaries!, _options.Validation, _options.NewBudget());
    }

    /// <summary>The stream's schema.</summary>
    public Schema Schema { get; }

    /// <summary>Bytes consumed so far (after the last message read).</summary>
    public long Position => _messages.Position;

    /// <summary>The next record batch, or null at the end of the stream.</summary>
    public RecordBatch? ReadNext()
    {
        while (!_ended)
        {
            var framed = _messages.Next();
            if (framed is null)
            {
                _ended = true;
                break;
            }

            var (message, body) = framed.Value;
            switch (message.Kind)
            {
                case MessageKind.DictionaryBatch:
                    _dictionaries.Apply(message, body, allowReplacement: true);
                    break;
                case MessageKind.RecordBatch:
                    return BatchDecoder.Decode(Schema, message, body, _dictionaries, _options.Validation, _lease);
                default:
                    throw new ArrowFormatException("stream: a second schema message in the middle of the stream");
            }
        }

        return null;
    }

    /// <summary>All remaining batches, read lazily.</summary>
    public IEnumerable<RecordBatch> ReadAll()
    {
        while (ReadNext() is { } batch)
        {
            yield return batch;
        }
    }

    /// <summary>Disposes the stream if the reader owns it.</summary>
    public void Dispose() => _ownedStream?.Dispose();
}

/// <summary>Turns a decoded RecordBatch message and its body into a validated batch.</summary>
internal static class BatchDecoder
{
    public static RecordBatch Decode(Schema schema, DecodedMessage message, ReadOnlyMemory<byte> body, DictionaryMemo dictionaries, ValidationLevel validation, SharedLease? owner)
    {
        dictionaries.Budget.StartMessage();
        var loader = new ArrayLoader(message.Batch!, body, message.Version, dictionaries.TopLevelIds, dictionaries.Get, dictionaries.Budget);
        var columns = loader.LoadAll(schema.Fields, "record batch");
        var unchecked_ = new RecordBatch(schema, (int)message.Batch!.Length, columns);
        ArrayValidator.Validate(unchecked_, validation);
        // Only a batch that passed validation takes a reference on the memory.
        return owner is null ? unchecked_ : new RecordBatch(schema, unchecked_.Length, columns, owner);
    }
}
