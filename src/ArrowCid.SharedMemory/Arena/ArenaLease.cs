namespace ArrowCid.SharedMemory.Arena;

/// <summary>
/// What a batch attached from the arena keeps alive: this store's lease count on its slot (so no
/// process evicts or refills the slot) and a reference on the arena mapping (so it stays mapped
/// even after the store is disposed). Disposed by the batch's <see cref="Arrow.Memory.SharedLease"/>
/// when the last reference (batch or exported C struct) is released.
/// </summary>
internal sealed class ArenaLease : IDisposable
{
    private readonly ShmArena _arena;
    private readonly int _slot;
    private int _disposed;

    public ArenaLease(ShmArena arena, int slot)
    {
        _arena = arena;
        _slot = slot;
        ShmMetrics.Leased();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            ShmMetrics.LiveLeases.Add(-1);
            _arena.Release(_slot);
        }
    }
}
