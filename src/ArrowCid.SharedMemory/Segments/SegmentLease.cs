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
internal sealed class SegmentLease(MappedFileMemory mapping, LockedFile lockedSegment) : IDisposable
{
    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Unmap first, then drop the lock: nothing may point into a segment that could be unlinked.
        ((IDisposable)mapping).Dispose();
        lockedSegment.Dispose();
    }
}
