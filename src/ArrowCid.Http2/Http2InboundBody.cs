using System.Buffers;

namespace ArrowCid.Http2;

/// <summary>
/// The receiving half of a stream: DATA payloads the connection's read loop delivers, read by one
/// consumer. When the consumer is waiting with memory of its own, a payload is read from the
/// transport straight into that memory (one kernel copy); otherwise it is buffered in pooled
/// chunks, which flow control bounds. A read may ask for a minimum, so a consumer that wants a
/// whole 64 MiB message keeps one read pending and every DATA frame of it lands in place.
/// </summary>
internal sealed class Http2InboundBody
{
    private readonly object _gate = new();
    private readonly Queue<Chunk> _buffered = new();
    private readonly Action<int> _consumed;
    private PendingRead? _pending;
    private TaskCompletionSource? _dataWaiter;
    private bool _ended;
    private Exception? _failure;

    // Octets at the front of the buffer that a cancelled read had already reported to _consumed
    // (KeepLocked put them back). Reporting them again when they are re-read would reopen the
    // windows twice for the same octets, granting the peer credit the buffer does not have.
    private int _reported;

    /// <param name="consumed">Told how many octets the consumer has taken, so the window can be reopened.</param>
    public Http2InboundBody(Action<int> consumed) => _consumed = consumed;

    /// <summary>Whether END_STREAM (or a failure) has arrived.</summary>
    public bool IsEnded
    {
        get
        {
            lock (_gate)
            {
                return _ended || _failure is not null;
            }
        }
    }

    /// <summary>Octets buffered and not yet read.</summary>
    public int BufferedBytes { get; private set; }

    /// <summary>Reads one DATA payload of <paramref name="length"/> octets from <paramref name="reader"/> into the waiting consumer's memory or the buffer.</summary>
    public async ValueTask DeliverAsync(Http2FrameReader reader, int length, CancellationToken cancellationToken)
    {
        PendingRead? target;
        lock (_gate)
        {
            target = _buffered.Count == 0 && _pending is { Filling: false, Canceled: false } pending ? pending : null;
            if (target is not null)
            {
                target.Filling = true;
            }
        }

        int direct = 0;
        if (target is not null)
        {
            direct = Math.Min(length, target.Destination.Length - target.Filled);
            try
            {
                await reader.ReadPayloadAsync(target.Destination.Slice(target.Filled, direct), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                lock (_gate)
                {
                    // The connection failed mid-frame; its abort fails this read (no longer filling).
                    target.Filling = false;
                }

                throw;
            }

            _consumed(direct);
            Exception? failed = null;
            bool complete = false;
            lock (_gate)
            {
                target.Filling = false;
                target.Filled += direct;
                if (target.Canceled)
                {
                    // The consumer gave up while its memory was being filled: keep the octets for the next read.
                    _pending = null;
                    KeepLocked(target);
                }
                else if (_failure is { } failure)
                {
                    _pending = null;
                    failed = failure;
                }
                else if (target.Filled >= target.Minimum || target.Filled == target.Destination.Length)
                {
                    _pending = null;
                    complete = true;
                }
            }

            if (target.Canceled)
            {
                target.Completion.TrySetCanceled(target.CancellationToken);
            }
            else if (failed is not null)
            {
                target.Completion.TrySetException(failed);
            }
            else if (complete)
            {
                target.Complete();
            }
        }

        int rest = length - direct;
        if (rest > 0)
        {
            byte[] chunk = ArrayPool<byte>.Shared.Rent(rest);
            try
            {
                await reader.ReadPayloadAsync(chunk.AsMemory(0, rest), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(chunk);
                throw;
            }

            PendingRead? wake;
            TaskCompletionSource? dataWaiter = null;
            int taken;
            lock (_gate)
            {
                if (_failure is not null)
                {
                    // Failed or discarded: nobody will read these octets; the windows get them back at once.
                    wake = null;
                    taken = rest;
                    ArrayPool<byte>.Shared.Return(chunk);
                }
                else
                {
                    _buffered.Enqueue(new Chunk(chunk, 0, rest));
                    BufferedBytes += rest;
                    wake = TakeFromBufferLocked(out taken);
                    (dataWaiter, _dataWaiter) = (_dataWaiter, null);
                }
            }

            if (taken > 0)
            {
                _consumed(taken);
            }

            wake?.Complete();
            dataWaiter?.TrySetResult();
        }
    }

    /// <summary>END_STREAM arrived: a waiting read completes with what it has (0 = end of body).</summary>
    public void End()
    {
        PendingRead? wake;
        TaskCompletionSource? dataWaiter;
        lock (_gate)
        {
            _ended = true;
            wake = _pending is { Filling: false } pending ? pending : null;
            if (wake is not null)
            {
                _pending = null;
            }

            (dataWaiter, _dataWaiter) = (_dataWaiter, null);
        }

        wake?.Complete();
        dataWaiter?.TrySetResult();
    }

    /// <summary>
    /// The stream was reset or the connection lost before the body ended: reads fail with
    /// <paramref name="reason"/> at once (a body cut short must not look complete).
    /// </summary>
    public void Fail(Exception reason)
    {
        PendingRead? wake;
        TaskCompletionSource? dataWaiter;
        int dropped;
        lock (_gate)
        {
            if (_ended)
            {
                // Already complete: a late reset changes nothing, even for octets not read yet
                // (RFC 9113 §8.1: a server may reset a stream with NO_ERROR after a complete
                // response, and the client must not discard that response).
                return;
            }

            _failure ??= reason;
            wake = _pending is { Filling: false } pending ? pending : null;
            if (wake is not null)
            {
                _pending = null;
            }

            dropped = ReleaseBufferLocked();
            (dataWaiter, _dataWaiter) = (_dataWaiter, null);
        }

        // The dropped octets will never be read: the connection's window gets them back here, or
        // every reset stream with unread DATA shrinks it for good until the peer can send no more.
        if (dropped > 0)
        {
            _consumed(dropped);
        }

        wake?.Completion.TrySetException(reason);
        dataWaiter?.TrySetResult();
    }

    /// <summary>
    /// Nobody will read this body any more (the server's handler has returned): what is buffered
    /// is dropped and its octets are reported consumed, so the connection's window gets them back.
    /// </summary>
    public void Discard()
    {
        int dropped;
        lock (_gate)
        {
            _failure ??= new ObjectDisposedException(nameof(Http2InboundBody), "the request body was discarded after its handler returned");
            dropped = ReleaseBufferLocked();
        }

        if (dropped > 0)
        {
            _consumed(dropped);
        }
    }

    /// <summary>
    /// Waits, without taking anything, until octets are buffered or the body has ended or failed
    /// (the next read then answers at once). While nobody reads, the read loop buffers each DATA
    /// payload whole, so a consumer that waits here rather than with a read of its own finds a
    /// frame's payload in one piece for <see cref="TryTakeBuffered"/>.
    /// </summary>
    public async ValueTask WaitForDataAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_buffered.Count > 0 || _ended || _failure is not null)
            {
                return;
            }

            if (_pending is not null || _dataWaiter is not null)
            {
                throw new InvalidOperationException("a read of this HTTP/2 body is already in progress");
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _dataWaiter = waiter;
        }

        using (cancellationToken.UnsafeRegister(static state => ((Http2InboundBody)state!).CancelDataWaiter(), this))
        {
            await waiter.Task.ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    private void CancelDataWaiter()
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            (waiter, _dataWaiter) = (_dataWaiter, null);
        }

        // The waiter returns and its caller sees the token cancelled; nothing was taken.
        waiter?.TrySetResult();
    }

    /// <summary>
    /// Takes the next <paramref name="count"/> octets without copying them when one buffered
    /// payload holds them all: the caller gets that payload's pooled array (the octets it keeps
    /// after the <paramref name="count"/> are copied into a new buffer for the next read). Null
    /// when the octets are not buffered in one piece; nothing is taken then.
    /// </summary>
    public IMemoryOwner<byte>? TryTakeBuffered(int count)
    {
        if (count <= 0)
        {
            return null;
        }

        IMemoryOwner<byte> taken;
        int unreported;
        lock (_gate)
        {
            if (_pending is not null || _dataWaiter is not null)
            {
                throw new InvalidOperationException("a read of this HTTP/2 body is already in progress");
            }

            if (_failure is not null || !_buffered.TryPeek(out Chunk? front) || front.Count < count)
            {
                return null;
            }

            taken = new PooledPayload(front.Array, front.Offset, count);
            int left = front.Count - count;
            if (left == 0)
            {
                _buffered.Dequeue();
            }
            else
            {
                // Rare (a peer that packs several messages in one frame): the rest moves to an array of its own.
                byte[] rest = ArrayPool<byte>.Shared.Rent(left);
                front.Array.AsSpan(front.Offset + count, left).CopyTo(rest);
                front.Array = rest;
                front.Offset = 0;
                front.Count = left;
            }

            BufferedBytes -= count;
            unreported = UnreportedLocked(count);
        }

        if (unreported > 0)
        {
            _consumed(unreported);
        }

        return taken;
    }

    /// <summary>
    /// Reads at least <paramref name="minimum"/> octets (fewer only at the end of the body) into
    /// <paramref name="destination"/>; 0 means the body ended.
    /// </summary>
    public async ValueTask<int> ReadAsync(Memory<byte> destination, int minimum, CancellationToken cancellationToken)
    {
        if (destination.IsEmpty)
        {
            return 0;
        }

        // Before anything is taken from the buffer: a cancelled read must not consume octets.
        cancellationToken.ThrowIfCancellationRequested();
        minimum = Math.Clamp(minimum, 1, destination.Length);
        PendingRead pending;
        int copied;
        int unreported;
        lock (_gate)
        {
            if (_pending is not null || _dataWaiter is not null)
            {
                throw new InvalidOperationException("a read of this HTTP/2 body is already in progress");
            }

            copied = CopyFromBufferLocked(destination.Span);
            unreported = UnreportedLocked(copied);
            if (_failure is { } failure && copied == 0)
            {
                throw failure as IOException ?? new IOException(failure.Message, failure);
            }

            if (copied >= minimum || _ended || _failure is not null)
            {
                pending = null!;
            }
            else
            {
                // If the token is cancelled from here on, CancelPending puts what was copied back.
                pending = new PendingRead(destination, minimum, copied, cancellationToken);
                _pending = pending;
            }
        }

        if (unreported > 0)
        {
            _consumed(unreported);
        }

        if (pending is null)
        {
            return copied;
        }

        using (cancellationToken.UnsafeRegister(static state => ((Http2InboundBody)state!).CancelPending(), this))
        {
            return await pending.Completion.Task.ConfigureAwait(false);
        }
    }

    private void CancelPending()
    {
        PendingRead? canceled;
        lock (_gate)
        {
            canceled = _pending;
            if (canceled is null)
            {
                return;
            }

            canceled.Canceled = true;
            if (canceled.Filling)
            {
                // DeliverAsync finishes its copy, keeps the octets and completes the read as canceled.
                return;
            }

            _pending = null;
            KeepLocked(canceled);
        }

        canceled.Completion.TrySetCanceled(canceled.CancellationToken);
    }

    /// <summary>After buffering: a waiting read takes what it can (<paramref name="taken"/>: the octets of it not yet reported to the window); returns it when it is satisfied.</summary>
    private PendingRead? TakeFromBufferLocked(out int taken)
    {
        taken = 0;
        if (_pending is not { Filling: false } pending)
        {
            return null;
        }

        int copied = CopyFromBufferLocked(pending.Destination.Span[pending.Filled..]);
        pending.Filled += copied;
        taken = UnreportedLocked(copied);

        if (pending.Filled >= pending.Minimum || pending.Filled == pending.Destination.Length)
        {
            _pending = null;
            return pending;
        }

        return null;
    }

    /// <summary>
    /// Puts what a cancelled read had received back in the buffer, so the next read gets it. The
    /// buffer is empty then: a read waits only once the buffer is drained, and while it waits new
    /// octets go to it, not the buffer.
    /// </summary>
    private void KeepLocked(PendingRead canceled)
    {
        if (canceled.Filled == 0)
        {
            return;
        }

        byte[] kept = ArrayPool<byte>.Shared.Rent(canceled.Filled);
        canceled.Destination.Span[..canceled.Filled].CopyTo(kept);
        _buffered.Enqueue(new Chunk(kept, 0, canceled.Filled));
        BufferedBytes += canceled.Filled;

        // Every octet the read had was already reported (from the buffer or delivered directly).
        _reported += canceled.Filled;
    }

    /// <summary>Of <paramref name="copied"/> octets just taken from the front of the buffer, those not yet reported to the window.</summary>
    private int UnreportedLocked(int copied)
    {
        int already = Math.Min(copied, _reported);
        _reported -= already;
        return copied - already;
    }

    private int CopyFromBufferLocked(Span<byte> destination)
    {
        int copied = 0;
        while (!destination.IsEmpty && _buffered.TryPeek(out Chunk? chunk))
        {
            int take = Math.Min(chunk.Count, destination.Length);
            chunk.Array.AsSpan(chunk.Offset, take).CopyTo(destination);
            destination = destination[take..];
            copied += take;
            if (take == chunk.Count)
            {
                _buffered.Dequeue();
                ArrayPool<byte>.Shared.Return(chunk.Array);
            }
            else
            {
                chunk.Offset += take;
                chunk.Count -= take;
            }
        }

        BufferedBytes -= copied;
        return copied;
    }

    /// <summary>Returns the buffered chunks to the pool; the count of dropped octets not yet reported to the consumed callback.</summary>
    private int ReleaseBufferLocked()
    {
        while (_buffered.TryDequeue(out Chunk? chunk))
        {
            ArrayPool<byte>.Shared.Return(chunk.Array);
        }

        int unreported = BufferedBytes - _reported;
        BufferedBytes = 0;
        _reported = 0;
        return unreported;
    }

    private sealed class Chunk(byte[] array, int offset, int count)
    {
        public byte[] Array { get; set; } = array;

        public int Offset { get; set; } = offset;

        public int Count { get; set; } = count;
    }

    private sealed class PendingRead(Memory<byte> destination, int minimum, int filled, CancellationToken cancellationToken)
    {
        public Memory<byte> Destination { get; } = destination;

        public int Minimum { get; } = minimum;

        public int Filled { get; set; } = filled;

        public bool Filling { get; set; }

        public bool Canceled { get; set; }

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource<int> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Complete() => Completion.TrySetResult(Filled);
    }

    /// <summary>A buffered payload handed to the consumer; disposing it returns the array to the pool it came from.</summary>
    private sealed class PooledPayload(byte[] array, int offset, int count) : IMemoryOwner<byte>
    {
        private byte[]? _array = array;

        public Memory<byte> Memory => _array is { } live
            ? live.AsMemory(offset, count)
            : throw new ObjectDisposedException(nameof(PooledPayload));

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } returned)
            {
                ArrayPool<byte>.Shared.Return(returned);
            }
        }
    }
}
