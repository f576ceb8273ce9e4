using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Memory;

namespace ArrowCid.Arrow.CData;

/// <summary>
/// The resource behind the <see cref="SharedLease"/> of an import: the moved <c>ArrowArray</c>
/// structure. Disposing it (when the last lease reference goes) calls the producer's release
/// callback exactly once and frees the structure.
/// </summary>
internal sealed unsafe class ImportedArrayOwner : IDisposable
{
    private nint _array;

    public ImportedArrayOwner(CArrowArray* moved) => _array = (nint)moved;

    public void Dispose()
    {
        ReleaseOnce();
        GC.SuppressFinalize(this);
    }

    // Safety net for a batch that was dropped without Dispose: the owner becomes unreachable only
    // when no buffer manager (hence no array over the memory) is reachable any more.
    ~ImportedArrayOwner() => ReleaseOnce();

    private void ReleaseOnce()
    {
        var array = (CArrowArray*)Interlocked.Exchange(ref _array, 0);
        if (array == null)
        {
            return;
        }

        if (array->Release != null)
        {
            array->Release(array);
        }

        NativeMemory.Free(array);
    }
}

/// <summary>
/// Exposes <paramref name="length"/> bytes of foreign memory at <paramref name="pointer"/> as
/// <see cref="Memory{T}"/> without copying. Holds the import's lease so the memory cannot be
/// released while this manager (and so any array over it) is reachable; pinning it (e.g. to export
/// it again) takes a lease reference that the matching unpin drops.
/// </summary>
internal sealed unsafe class NativeBufferManager(byte* pointer, int length, SharedLease lease) : MemoryManager<byte>
{
    private readonly ConcurrentStack<IDisposable> _pins = new();

    public override Span<byte> GetSpan() => new(pointer, length);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        if ((uint)elementIndex > (uint)length)
        {
            throw new ArgumentOutOfRangeException(nameof(elementIndex));
        }

        _pins.Push(lease.Acquire());
        return new MemoryHandle(pointer + elementIndex, default, this);
    }

    public override void Unpin()
    {
        if (_pins.TryPop(out var reference))
        {
            reference.Dispose();
        }
    }

    protected override void Dispose(bool disposing)
    {
        // The memory belongs to the producer and is released through the lease, not here.
    }
}
