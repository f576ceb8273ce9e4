using ArrowCid.Arrow.Memory;
using ArrowCid.SharedMemory.Native;

namespace ArrowCid.SharedMemory.Segments;

/// <summary>
/// What an attached batch keeps alive: the read-only mapping its buffers point into and the
/// segment descriptor holding flock(LOCK_SH), the cross-process lease. Eviction needs
/// LOCK_EX, so the segment cannot be unlinked while this exists; when the process dies the kernel
/// closes the descriptor and the lease is gone with it. Disposed by the batch's
/// <see cref="SharedLease"/> when the last reference (batch or exported C struct) is released.
/// </summary>
internal sealed class SegmentLease : IDisposable
{
    private readonly MappedFileMemory _mapping;
    private readonly LockedFile _lockedSegment;
    private int _disposed;

    public SegmentLease(MappedFileMemory mapping, LockedFile lockedSegment)
    {
        _mapping = mapping;
        _lockedSegment = lockedSegment;
        ShmMetrics.Leased();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        ShmMetrics.LiveLeases.Add(-1);

        // Unmap first, then drop the lock: nothing may point into a segment that could be unlinked.
        ((IDisposable)_mapping).Dispose();
        _lockedSegment.Dispose();
    }
}
