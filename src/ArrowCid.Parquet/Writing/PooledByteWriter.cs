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
    private readonly PooledArray<byte> _bytes = new(4096, $"a page or column chunk larger than {Array.MaxLength} bytes");

    public int WrittenCount => _bytes.Count;

    public ReadOnlySpan<byte> WrittenSpan => _bytes.Span;

    /// <summary>The written bytes, writable (to patch a reserved prefix).</summary>
    public Span<byte> WrittenBytes => _bytes.Span;

    public void ResetWrittenCount() => _bytes.Clear();

    public void Advance(int count) => _bytes.Advance(count);

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _bytes.FreeMemory;
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _bytes.Free;
    }

    /// <summary>Appends <paramref name="count"/> bytes and returns them to be filled.</summary>
    public Span<byte> Append(int count)
    {
        Reserve(count);
        return _bytes.Append(count);
    }

    public void Write(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Append(bytes.Length));

    /// <summary>Makes room for <paramref name="count"/> more bytes (at least one).</summary>
    public void Reserve(int count) => _bytes.Reserve(Math.Max(count, 1));

    public void Dispose() => _bytes.Dispose();
}
