namespace ArrowCid.Grpc.Tests;

/// <summary>
/// The pool large messages are read into: a returned array serves the next request of up to its
/// size (but not one under half of it), from any thread; a miss is allocated at the size asked for
/// rounded to 64 KiB; what it keeps is bounded, and arrays nobody rented for a while are dropped.
/// </summary>
public sealed class LargeArrayPoolTests
{
    /// <summary>A clock the test moves by hand; its timer only remembers how it was set.</summary>
    private sealed class ManualClock : TimeProvider
    {
        public long Now { get; set; } = 1_000;

        public TimeSpan? TimerPeriod { get; private set; }

        public override long TimestampFrequency => 1_000;

        public override long GetTimestamp() => Now;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new ManualTimer(this);

        private sealed class ManualTimer(ManualClock clock) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                clock.TimerPeriod = period == Timeout.InfiniteTimeSpan ? null : period;
                return true;
            }

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    [Fact]
    public void A_miss_is_allocated_at_the_size_asked_for_rounded_to_64_KiB()
    {
        var pool = new LargeArrayPool(new ManualClock());
        Assert.Equal(64 * 1024, pool.Rent(1).Length);
        Assert.Equal(64L << 20, pool.Rent(64 << 20).Length);
        Assert.Equal((64L << 20) + (64 * 1024), pool.Rent((64 << 20) + 145).Length);
        Assert.Empty(pool.Rent(0));
    }

    [Fact]
    public async Task A_returned_array_serves_the_next_request_it_fits_from_any_thread()
    {
        var pool = new LargeArrayPool(new ManualClock());
        byte[] array = pool.Rent(10 << 20);
        pool.Return(array);

        byte[] again = await Task.Run(() => pool.Rent(6 << 20));
        Assert.Same(array, again);
        pool.Return(again);

        // Larger than the array, or under half of it: not that array.
        Assert.NotSame(array, pool.Rent((10 << 20) + 1));
        Assert.NotSame(array, pool.Rent(4 << 20));
        Assert.Same(array, pool.Rent(10 << 20));
    }

    [Fact]
    public void The_smallest_array_that_fits_is_taken()
    {
        var pool = new LargeArrayPool(new ManualClock());
        byte[] big = pool.Rent(12 << 20);
        byte[] small = pool.Rent(8 << 20);
        pool.Return(big);
        pool.Return(small);
        Assert.Same(small, pool.Rent(7 << 20));
        Assert.Same(big, pool.Rent(7 << 20));
    }

    [Fact]
    public void What_is_kept_is_bounded_and_the_oldest_goes_first()
    {
        var pool = new LargeArrayPool(new ManualClock());
        byte[][] arrays = [.. Enumerable.Range(0, LargeArrayPool.MaxArrays + 2).Select(_ => pool.Rent(1 << 20))];
        foreach (byte[] array in arrays)
        {
            pool.Return(array);
        }

        Assert.Equal(LargeArrayPool.MaxArrays, pool.FreeCount);
        var kept = new HashSet<byte[]>(Enumerable.Range(0, LargeArrayPool.MaxArrays).Select(_ => pool.Rent(1 << 20)), ReferenceEqualityComparer.Instance);
        Assert.DoesNotContain(arrays[0], kept);
        Assert.DoesNotContain(arrays[1], kept);
        Assert.Contains(arrays[^1], kept);

        // Bytes are bounded too: two arrays of over half the limit are never kept together.
        byte[] half = pool.Rent((int)(LargeArrayPool.MaxBytes / 2) + 1);
        byte[] other = pool.Rent((int)(LargeArrayPool.MaxBytes / 2) + 1);
        pool.Return(half);
        pool.Return(other);
        Assert.Equal(1, pool.FreeCount);
    }

    [Fact]
    public void Arrays_nobody_rented_for_the_idle_time_are_dropped_and_the_timer_stops()
    {
        var clock = new ManualClock();
        var pool = new LargeArrayPool(clock);
        Assert.Null(clock.TimerPeriod);
        byte[] old = pool.Rent(1 << 20);
        byte[] recent = pool.Rent(1 << 20);
        pool.Return(old);
        Assert.Equal(LargeArrayPool.IdleTime, clock.TimerPeriod);

        long half = (long)(LargeArrayPool.IdleTime.TotalMilliseconds / 2);
        clock.Now += half;
        pool.Return(recent);
        clock.Now += half;
        pool.Trim();

        // Only the array returned an idle time ago went; the timer runs on while one is kept.
        Assert.Equal(1, pool.FreeCount);
        Assert.Equal(LargeArrayPool.IdleTime, clock.TimerPeriod);
        Assert.Same(recent, pool.Rent(1 << 20));
        pool.Return(recent);

        clock.Now += 2 * half;
        pool.Trim();
        Assert.Equal(0, pool.FreeCount);
        Assert.Null(clock.TimerPeriod);
    }

    [Fact]
    public void Returning_with_clear_zeroes_the_array()
    {
        var pool = new LargeArrayPool(new ManualClock());
        byte[] array = pool.Rent(1 << 20);
        array.AsSpan().Fill(7);
        pool.Return(array, clearArray: true);
        Assert.All(pool.Rent(1 << 20), b => Assert.Equal(0, b));
    }
}
