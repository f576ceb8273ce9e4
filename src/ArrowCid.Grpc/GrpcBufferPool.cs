using System.Buffers;

namespace ArrowCid.Grpc;

/// <summary>
/// Where large message memory comes from: the arrays <see cref="IAsyncStreamReader{T}"/> reads
/// messages over 64 KiB into (given back by <see cref="IAsyncStreamReader{T}.ReleaseCurrent"/>), and
/// arrays a caller assembles a large message in and lends with it
/// (<see cref="IClientStreamWriter{T}.WriteAsync(T, IDisposable, CancellationToken)"/>).
/// </summary>
/// <remarks>
/// Not <see cref="ArrayPool{T}.Shared"/>: it keeps a returned array in the returning thread's cache
/// first, where the next read of an async stream, resuming on another thread, rarely finds it; it
/// rounds every size up to a power of two (a 64 MiB body plus its message header takes a 128 MiB
/// array); and <see cref="ArrayPool{T}.Create()"/>'s pools zero every new array. This one is shared
/// by every thread, allocates a miss uninitialised at the size asked for (rounded up to 64 KiB), and
/// keeps what comes back up to <see cref="LargeArrayPool.MaxArrays"/> arrays and
/// <see cref="LargeArrayPool.MaxBytes"/> bytes, dropping arrays nobody rented for
/// <see cref="LargeArrayPool.IdleTime"/>.
/// </remarks>
public static class GrpcBufferPool
{
    /// <summary>The pool.</summary>
    public static ArrayPool<byte> Large { get; } = new LargeArrayPool(TimeProvider.System);
}

/// <summary>The pool behind <see cref="GrpcBufferPool.Large"/> (see there); the clock is injectable for tests.</summary>
internal sealed class LargeArrayPool : ArrayPool<byte>
{
    /// <summary>Arrays kept at most.</summary>
    public const int MaxArrays = 4;

    /// <summary>Bytes kept at most.</summary>
    public const long MaxBytes = 256L << 20;

    /// <summary>Sizes are rounded up to a multiple of this, so messages of nearly one size share arrays.</summary>
    public const int Granularity = 64 * 1024;

    /// <summary>An array kept this long without being rented is dropped.</summary>
    public static readonly TimeSpan IdleTime = TimeSpan.FromSeconds(30);

    private readonly object _gate = new();
    private readonly List<(byte[] Array, long ReturnedAt)> _free = [];
    private readonly TimeProvider _clock;
    private readonly ITimer _trimmer;
    private long _freeBytes;

    public LargeArrayPool(TimeProvider clock)
    {
        _clock = clock;
        // A weak hold on the pool: the timer must not keep a dropped pool alive.
        var self = new WeakReference<LargeArrayPool>(this);
        _trimmer = clock.CreateTimer(static s => (((WeakReference<LargeArrayPool>)s!).TryGetTarget(out var pool) ? pool : null)?.Trim(), self, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Arrays kept now.</summary>
    public int FreeCount
    {
        get
        {
            lock (_gate)
            {
                return _free.Count;
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>The array is not cleared; at least <paramref name="minimumLength"/> long and at most twice that.</remarks>
    public override byte[] Rent(int minimumLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumLength);
        if (minimumLength == 0)
        {
            return [];
        }

        lock (_gate)
        {
            int best = -1;
            for (int i = 0; i < _free.Count; i++)
            {
                int length = _free[i].Array.Length;
                if (length >= minimumLength && length / 2 <= minimumLength && (best < 0 || length < _free[best].Array.Length))
                {
                    best = i;
                }
            }

            if (best >= 0)
            {
                byte[] array = _free[best].Array;
                _free.RemoveAt(best);
                _freeBytes -= array.Length;
                return array;
            }
        }

        long rounded = (minimumLength + (long)Granularity - 1) / Granularity * Granularity;
        return GC.AllocateUninitializedArray<byte>((int)Math.Min(rounded, Array.MaxLength));
    }

    /// <inheritdoc />
    public override void Return(byte[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length == 0 || array.Length > MaxBytes)
        {
            return;
        }

        if (clearArray)
        {
            Array.Clear(array);
        }

        bool first;
        lock (_gate)
        {
            while (_free.Count > 0 && (_free.Count >= MaxArrays || _freeBytes + array.Length > MaxBytes))
            {
                // Room is made by dropping the arrays that came back longest ago.
                _freeBytes -= _free[0].Array.Length;
                _free.RemoveAt(0);
            }

            first = _free.Count == 0;
            _free.Add((array, _clock.GetTimestamp()));
            _freeBytes += array.Length;
        }

        if (first)
        {
            _trimmer.Change(IdleTime, IdleTime);
        }
    }

    /// <summary>Drops the arrays nobody rented for <see cref="IdleTime"/>; stops the timer once none is kept.</summary>
    public void Trim()
    {
        bool empty;
        lock (_gate)
        {
            long now = _clock.GetTimestamp();
            for (int i = _free.Count - 1; i >= 0; i--)
            {
                if (_clock.GetElapsedTime(_free[i].ReturnedAt, now) >= IdleTime)
                {
                    _freeBytes -= _free[i].Array.Length;
                    _free.RemoveAt(i);
                }
            }

            empty = _free.Count == 0;
        }

        if (empty)
        {
            _trimmer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }
}
