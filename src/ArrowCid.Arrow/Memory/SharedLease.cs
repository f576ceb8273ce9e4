namespace ArrowCid.Arrow.Memory;

/// <summary>
/// Reference-counted ownership of memory that arrays point into (a mapping, a segment, imported
/// C memory). The owner starts with one reference held by its creator; every batch built over the
/// memory takes another through <see cref="Acquire"/>; the resource is released when the count
/// reaches zero, so nothing is unmapped while any batch still uses it.
/// </summary>
public sealed class SharedLease
{
    private readonly IDisposable _resource;
    private int _count = 1;

    /// <summary>Wraps <paramref name="resource"/>; the caller holds the first reference.</summary>
    public SharedLease(IDisposable resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        _resource = resource;
    }

    /// <summary>Current number of references (for tests and diagnostics).</summary>
    public int References => Volatile.Read(ref _count);

    /// <summary>Takes another reference; dispose the returned handle to drop it.</summary>
    public IDisposable Acquire()
    {
        while (true)
        {
            int current = Volatile.Read(ref _count);
            if (current == 0)
            {
                throw new ObjectDisposedException(nameof(SharedLease), "the memory has already been released");
            }

            if (Interlocked.CompareExchange(ref _count, current + 1, current) == current)
            {
                return new Handle(this);
            }
        }
    }

    /// <summary>Drops the creator's reference.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _count) == 0)
        {
            _resource.Dispose();
        }
    }

    private sealed class Handle(SharedLease owner) : IDisposable
    {
        private SharedLease? _owner = owner;

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Release();
    }
}
