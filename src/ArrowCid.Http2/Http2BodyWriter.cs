using System.Buffers;
using System.IO.Pipelines;

namespace ArrowCid.Http2;

/// <summary>
/// The body a stream sends, as a <see cref="PipeWriter"/>: a server's response body, a client's
/// request body. Small writes
/// (<see cref="GetMemory"/>/<see cref="Advance"/>) collect in one pooled buffer and go out as one
/// DATA frame per flush; <see cref="WriteAsync"/> of a large piece sends it from where it lies (a
/// mapped block goes from the mapping to the socket with no copy of ours).
/// </summary>
internal sealed class Http2BodyWriter : PipeWriter
{
    /// <summary>A written piece up to this size is copied next to what is buffered, so both go as one frame.</summary>
    internal const int CopyLimit = 16 * 1024;

    private readonly Http2Stream _stream;
    private readonly Func<CancellationToken, ValueTask<ReadOnlyMemory<byte>>>? _beforeFirstSend;
    private readonly Func<bool>? _peerGone;
    private byte[] _buffer = [];
    private int _buffered;
    private CancellationTokenSource? _flushCancellation;
    private bool _completed;

    /// <param name="stream">The stream the body goes on.</param>
    /// <param name="beforeFirstSend">
    /// Run before DATA is sent: a server starts its response then, and returns the header block to
    /// send ahead of the DATA (in the same write when both are small), or nothing once it was sent.
    /// </param>
    /// <param name="peerGone">
    /// When true, a flush reports completion instead of failing, as Kestrel's does for a client that
    /// went away; null lets the failure surface.
    /// </param>
    public Http2BodyWriter(Http2Stream stream, Func<CancellationToken, ValueTask<ReadOnlyMemory<byte>>>? beforeFirstSend = null, Func<bool>? peerGone = null)
    {
        _stream = stream;
        _beforeFirstSend = beforeFirstSend;
        _peerGone = peerGone;
    }

    /// <summary>Octets written but not flushed.</summary>
    public int Buffered => _buffered;

    /// <inheritdoc />
    public override bool CanGetUnflushedBytes => true;

    /// <inheritdoc />
    public override long UnflushedBytes => _buffered;

    /// <inheritdoc />
    public override void Advance(int bytes)
    {
        if ((uint)bytes > (uint)(_buffer.Length - _buffered))
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), "advanced past the memory handed out");
        }

        _buffered += bytes;
    }

    /// <inheritdoc />
    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_buffered);
    }

    /// <inheritdoc />
    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_buffered);
    }

    /// <inheritdoc />
    public override void CancelPendingFlush() => _flushCancellation?.Cancel();

    /// <inheritdoc />
    public override void Complete(Exception? exception = null) => _completed = true;

    /// <inheritdoc />
    public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) =>
        await SendAsync(ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public override async ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        if (source.Length <= CopyLimit)
        {
            Append(source.Span);
            source = ReadOnlyMemory<byte>.Empty;
        }

        return await SendAsync(source, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends the body: what is still buffered goes in the DATA frame that carries END_STREAM (one frame,
    /// not the last message's frame and then an empty one), or an empty END_STREAM DATA when nothing is.
    /// </summary>
    public async ValueTask EndAsync(CancellationToken cancellationToken)
    {
        if (_completed)
        {
            throw new InvalidOperationException("the body writer was completed");
        }

        await _stream.WriteDataAsync(_buffer.AsMemory(0, _buffered), ReadOnlyMemory<byte>.Empty, endStream: true, cancellationToken).ConfigureAwait(false);
        _buffered = 0;
    }

    /// <summary>
    /// Ends the body with trailers: what is still buffered (a response's last message) goes in one
    /// write with the trailer block, which ends the stream (and with the headers, when not sent yet).
    /// </summary>
    public async ValueTask EndWithTrailersAsync(ReadOnlyMemory<byte> trailerBlock, CancellationToken cancellationToken)
    {
        if (_completed)
        {
            throw new InvalidOperationException("the body writer was completed");
        }

        ReadOnlyMemory<byte> headers = _beforeFirstSend is null ? default : await _beforeFirstSend(cancellationToken).ConfigureAwait(false);
        await _stream.WriteDataAsync(_buffer.AsMemory(0, _buffered), ReadOnlyMemory<byte>.Empty, endStream: true, cancellationToken, headers, trailerBlock).ConfigureAwait(false);
        _buffered = 0;
    }

    /// <summary>Sends what is buffered, then <paramref name="direct"/>; returns completed when the client has gone.</summary>
    private async ValueTask<FlushResult> SendAsync(ReadOnlyMemory<byte> direct, CancellationToken cancellationToken)
    {
        if (_completed)
        {
            throw new InvalidOperationException("the response body writer was completed");
        }

        if (_peerGone?.Invoke() == true)
        {
            return new FlushResult(isCanceled: false, isCompleted: true);
        }

        _flushCancellation ??= new CancellationTokenSource();
        using CancellationTokenRegistration link = cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), _flushCancellation);
        try
        {
            ReadOnlyMemory<byte> headers = _beforeFirstSend is null ? default : await _beforeFirstSend(_flushCancellation.Token).ConfigureAwait(false);
            if (_buffered > 0 || !direct.IsEmpty)
            {
                // What is buffered (a message's prefix and small fields) goes at the front of the frame carrying the direct piece.
                await _stream.WriteDataAsync(_buffer.AsMemory(0, _buffered), direct, endStream: false, _flushCancellation.Token, headers).ConfigureAwait(false);
                _buffered = 0;
            }
            else if (!headers.IsEmpty)
            {
                await _stream.WriteHeaderBlockAsync(headers, endStream: false, _flushCancellation.Token).ConfigureAwait(false);
            }

            return new FlushResult(isCanceled: false, isCompleted: false);
        }
        catch (OperationCanceledException) when (_flushCancellation.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            _flushCancellation.Dispose();
            _flushCancellation = null;
            return new FlushResult(isCanceled: true, isCompleted: false);
        }
        catch (IOException) when (_peerGone?.Invoke() == true)
        {
            return new FlushResult(isCanceled: false, isCompleted: true);
        }
    }

    /// <summary>Appends <paramref name="source"/> to what is buffered without sending it.</summary>
    public void Append(ReadOnlySpan<byte> source)
    {
        source.CopyTo(GetSpan(source.Length));
        _buffered += source.Length;
    }

    /// <summary>Returns the pooled buffer (the stream has ended).</summary>
    public void Release()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        _buffered = 0;
        _flushCancellation?.Dispose();
        _flushCancellation = null;
    }

    private void Reserve(int sizeHint)
    {
        int wanted = _buffered + Math.Max(sizeHint, 1);
        if (wanted <= _buffer.Length)
        {
            return;
        }

        byte[] grown = ArrayPool<byte>.Shared.Rent(Math.Max(wanted, Math.Max(4096, _buffer.Length * 2)));
        _buffer.AsSpan(0, _buffered).CopyTo(grown);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = grown;
    }
}
