using System.Buffers;
using System.Buffers.Binary;

namespace ArrowCid.Arrow.Ipc;

/// <summary>
/// An encapsulated IPC stream received asynchronously and handed to an <see cref="ArrowStreamReader"/>
/// only as whole messages already here: <see cref="FillAsync"/> awaits the messages up to and
/// including the next record batch (or the end of the stream), and the reader's synchronous reads
/// are served from them and never wait on the source. So a server reads an upload from a slow
/// client without a thread blocked on it (issue 65), through the one stream reader and its checks.
/// </summary>
/// <remarks>
/// Only the framing is read here (prefix, metadata length, the metadata's body length); everything
/// else, a stream cut short included, is the reader's to find and report. Dictionary messages
/// before a batch are held together, at most <see cref="MaxHeldBytes"/> of them.
/// </remarks>
public sealed class ReceivedIpcStream : Stream
{
    /// <summary>The most bytes of messages held before a record batch arrives (its dictionaries), beyond the message being received.</summary>
    public const int MaxHeldBytes = 256 << 20;

    private const int ReadStep = 64 << 10;

    private readonly Stream _source;
    private byte[] _buffer = [];
    private int _start;
    private int _end;
    private bool _sourceEnded;
    private long _position;

    /// <summary>Reads from <paramref name="source"/>, which stays open and is the caller's.</summary>
    /// <param name="source">The stream received, e.g. an HTTP request body.</param>
    public ReceivedIpcStream(Stream source) => _source = source ?? throw new ArgumentNullException(nameof(source));

    /// <summary>
    /// Receives the messages up to and including the next record batch, or to the end of the
    /// stream (its end-of-stream marker, or the source's end); what the reader has not read yet is kept.
    /// </summary>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <exception cref="ArrowFormatException">A metadata length out of range, metadata that is no Message, or more than <see cref="MaxHeldBytes"/> of messages before a batch.</exception>
    public async ValueTask FillAsync(CancellationToken cancellationToken = default)
    {
        Compact();
        while (!_sourceEnded)
        {
            int messageStart = _end;
            if (messageStart - _start > MaxHeldBytes)
            {
                throw new ArrowFormatException($"stream: more than {MaxHeldBytes} bytes of messages before a record batch") { Offset = _position + (messageStart - _start) };
            }

            if (!await ReceiveAsync(4, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            int prefixLength = 4;
            if (BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(messageStart)) == EncodedMessage.Continuation)
            {
                if (!await ReceiveAsync(4, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                prefixLength = 8;
            }

            int metadataLength = MessageReader.ParseLength(_buffer.AsSpan(messageStart, prefixLength), out _);
            if (metadataLength == 0)
            {
                // The end-of-stream marker: the reader reads it and stops there.
                _sourceEnded = true;
                return;
            }

            if (!await ReceiveAsync(metadataLength, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            var message = MessageDecoder.Decode(_buffer.AsSpan(messageStart + prefixLength, metadataLength));
            if (message.BodyLength > int.MaxValue)
            {
                // The reader refuses it with its own message.
                _sourceEnded = true;
                return;
            }

            if (!await ReceiveAsync((int)message.BodyLength, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            if (message.Kind == MessageKind.RecordBatch)
            {
                return;
            }
        }
    }

    /// <summary>Appends <paramref name="count"/> more bytes from the source, growing as they arrive; false (and the source ended) when it ends first.</summary>
    private async ValueTask<bool> ReceiveAsync(int count, CancellationToken cancellationToken)
    {
        long target = (long)_end + count;
        while (_end < target)
        {
            if (_end == _buffer.Length)
            {
                // Grown with what arrives, never to a length the sender only claims.
                Grow((int)Math.Min(target, Math.Max((long)_buffer.Length * 2, _end + ReadStep)));
            }

            int n = await _source.ReadAsync(_buffer.AsMemory(_end, (int)Math.Min(_buffer.Length, target) - _end), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                _sourceEnded = true;
                return false;
            }

            _end += n;
        }

        return true;
    }

    private void Grow(int length)
    {
        byte[] grown = ArrayPool<byte>.Shared.Rent(length);
        _buffer.AsSpan(_start, _end - _start).CopyTo(grown.AsSpan(_start));
        ReturnBuffer();
        _buffer = grown;
    }

    /// <summary>Moves what the reader has not read to the front, or lets the buffer go when all of it is read.</summary>
    private void Compact()
    {
        if (_start == _end)
        {
            ReturnBuffer();
            _buffer = [];
            _start = _end = 0;
        }
        else if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
    }

    private void ReturnBuffer()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">Nothing is held and the stream has not ended: <see cref="FillAsync"/> must come first.</exception>
    public override int Read(Span<byte> buffer)
    {
        int held = _end - _start;
        if (held == 0)
        {
            return _sourceEnded || buffer.IsEmpty
                ? 0
                : throw new InvalidOperationException("ReceivedIpcStream: the reader asked for bytes not yet received; await FillAsync before reading");
        }

        int n = Math.Min(held, buffer.Length);
        _buffer.AsSpan(_start, n).CopyTo(buffer);
        _start += n;
        _position += n;
        return n;
    }

    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ReturnBuffer();
            _buffer = [];
            _start = _end = 0;
        }

        base.Dispose(disposing);
    }
}
