namespace ArrowCid.SharedMemory;

/// <summary>
/// A block's bytes in place in the store's arena, under a lease: until disposed, no process evicts
/// or refills the slot, and the arena stays mapped even after the store is disposed. Read
/// <see cref="Memory"/> only before disposal.
/// </summary>
public sealed class ShmLeasedBytes : IDisposable
{
    private readonly IDisposable _lease;

    internal ShmLeasedBytes(ReadOnlyMemory<byte> memory, string location, IDisposable lease)
    {
        Memory = memory;
        Location = location;
        _lease = lease;
    }

    /// <summary>The bytes, pointing into the shared mapping (no copy).</summary>
    public ReadOnlyMemory<byte> Memory { get; }

    /// <summary>Where they are (the arena file and offset), for messages.</summary>
    public string Location { get; }

    /// <summary>Drops the lease; the slot may be evicted afterwards.</summary>
    public void Dispose() => _lease.Dispose();
}
