using System.Buffers;
using System.Runtime.InteropServices;

namespace ArrowCid.Arrow.Memory;

/// <summary>
/// A buffer of native memory for data that lives for one step (a page being decompressed and
/// decoded), given back to the operating system when disposed. Large managed arrays would wait
/// for a full collection before their memory is reused, so a burst of them (one per page of a
/// wide file) shows up as process memory long after it is garbage; native memory of this size
/// is mapped and unmapped by the allocator, so what the process holds follows what is live.
/// </summary>
public sealed unsafe class NativeScratch : MemoryManager<byte>
{
    private byte* _pointer;
    private readonly int _length;

    /// <summary>Allocates <paramref name="length"/> bytes, not zeroed.</summary>
    public NativeScratch(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _length = length;
        _pointer = (byte*)NativeMemory.Alloc((nuint)Math.Max(1, length));
    }

    /// <inheritdoc/>
    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_pointer is null, this);
        return new Span<byte>(_pointer, _length);
    }

    /// <inheritdoc/>
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(_pointer is null, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)elementIndex, (uint)_length, nameof(elementIndex));
        return new MemoryHandle(_pointer + elementIndex);
    }

    /// <inheritdoc/>
    public override void Unpin()
    {
        // Native memory never moves.
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (_pointer is not null)
        {
            NativeMemory.Free(_pointer);
            _pointer = null;
        }
    }
}
