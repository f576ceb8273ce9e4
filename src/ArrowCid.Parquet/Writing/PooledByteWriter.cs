using System.Buffers;

namespace ArrowCid.Parquet.Writing;

/// <summary>
/// A growable byte buffer on arrays rented from <see cref="ArrayPool{T}.Shared"/>, reused from
/// page to page and chunk to chunk: the writer's page, level and chunk buffers are around a
/// megabyte each, and allocating them fresh per page put most of the writer's time into page
/// faults and large-object collections. Unlike <see cref="ArrayBufferWriter{T}"/> its written
/// bytes stay writable, so a length prefix can be reserved and filled in afterwards.
/// </summary>
internal sealed class PooledByteWriter : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer = [];
    private int _written;

    public int WrittenCount => _written;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    /// <summary>The written bytes, writable (to patch a reserved prefix).</summary>
    public Span<byte> WrittenBytes => _buffer.AsSpan(0, _written);

    public void ResetWrittenCount() => _written = 0;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _buffer.Length - _written)
        {
            throw new InvalidOperationException("advanced past the requested buffer");
        }
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Appends <paramref name="count"/> bytes and returns them to be filled.</summary>
    public Span<byte> Append(int count)
    {
        Span<byte> span = GetSpan(count)[..count];
        _written += count;
        return span;
    }

    public void Write(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Append(bytes.Length));

    /// <summary>Makes room for <paramref name="count"/> more bytes (at least one).</summary>
    public void Reserve(int count)
    {
        long needed = (long)_written + Math.Max(count, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }
        if (needed > Array.MaxLength)
        {
            throw new InvalidOperationException($"a page or column chunk larger than {Array.MaxLength} bytes");
        }
        byte[] next = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max(needed, Math.Max(4096L, _buffer.Length * 2L))));
        _buffer.AsSpan(0, _written).CopyTo(next);
        ReturnBuffer();
        _buffer = next;
    }

    public void Dispose()
    {
        ReturnBuffer();
        _buffer = [];
        _written = 0;
    }

    private void ReturnBuffer()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
    }
}
