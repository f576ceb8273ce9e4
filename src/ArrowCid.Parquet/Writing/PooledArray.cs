using System.Buffers;

namespace ArrowCid.Parquet.Writing;

/// <summary>
/// An append-only array rented from <see cref="ArrayPool{T}.Shared"/>, doubling as it grows and
/// returned by <see cref="Dispose"/>: the writer's level, value and page buffers are megabytes and
/// are needed again for the next page or row group, so they are reused instead of allocated.
/// </summary>
internal sealed class PooledArray<T> : IDisposable where T : unmanaged
{
    private readonly int _minimumCapacity;
    private readonly string _overflowMessage;
    private T[] _items = [];
    private int _count;

    /// <param name="minimumCapacity">Elements of the first array rented.</param>
    /// <param name="overflowMessage">The <see cref="InvalidOperationException"/> message when more than <see cref="Array.MaxLength"/> elements are asked for.</param>
    public PooledArray(int minimumCapacity, string overflowMessage)
    {
        _minimumCapacity = minimumCapacity;
        _overflowMessage = overflowMessage;
    }

    public int Count => _count;

    /// <summary>Elements appended so far (writable, so a reserved prefix can be filled in later).</summary>
    public Span<T> Span => _items.AsSpan(0, _count);

    /// <summary>The room after <see cref="Count"/> (at least what <see cref="Reserve"/> asked for).</summary>
    public Span<T> Free => _items.AsSpan(_count);

    /// <summary>The room after <see cref="Count"/> as memory.</summary>
    public Memory<T> FreeMemory => _items.AsMemory(_count);

    /// <summary>Makes room for <paramref name="count"/> more elements.</summary>
    public void Reserve(int count)
    {
        long needed = (long)_count + count;
        if (needed <= _items.Length)
        {
            return;
        }
        if (needed > Array.MaxLength)
        {
            throw new InvalidOperationException(_overflowMessage);
        }
        T[] next = ArrayPool<T>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max(needed, Math.Max(_minimumCapacity, _items.Length * 2L))));
        _items.AsSpan(0, _count).CopyTo(next);
        Return();
        _items = next;
    }

    /// <summary>Appends <paramref name="count"/> elements and returns them to be filled.</summary>
    public Span<T> Append(int count)
    {
        Reserve(count);
        Span<T> slots = _items.AsSpan(_count, count);
        _count += count;
        return slots;
    }

    /// <summary>Counts <paramref name="count"/> elements of <see cref="Free"/> as appended.</summary>
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _items.Length - _count)
        {
            throw new InvalidOperationException("advanced past the requested buffer");
        }
        _count += count;
    }

    /// <summary>Gives back the last <paramref name="count"/> elements.</summary>
    public void Trim(int count) => _count -= count;

    /// <summary>Empties the array, keeping its storage.</summary>
    public void Clear() => _count = 0;

    public void Dispose()
    {
        Return();
        _items = [];
        _count = 0;
    }

    private void Return()
    {
        if (_items.Length > 0)
        {
            ArrayPool<T>.Shared.Return(_items);
        }
    }
}
