namespace ArrowCid.Parquet.Reading;

/// <summary>
/// An append-only buffer that grows (doubling) only as values are appended, so the memory it
/// takes follows the data actually decoded, not what a header claims.
/// </summary>
internal sealed class GrowableBuffer<T> where T : unmanaged
{
    private T[] _items = [];
    private int _count;

    public int Count => _count;

    public ReadOnlySpan<T> Span => _items.AsSpan(0, _count);

    /// <summary>Appends <paramref name="count"/> slots and returns them to be filled.</summary>
    public Span<T> Append(int count)
    {
        long needed = (long)_count + count;
        if (needed > Array.MaxLength)
        {
            throw new ParquetFormatException($"column chunk: more than {Array.MaxLength} entries");
        }
        if (needed > _items.Length)
        {
            long capacity = Math.Max(needed, Math.Max(16L, _items.Length * 2L));
            Array.Resize(ref _items, (int)Math.Min(capacity, Array.MaxLength));
        }
        Span<T> slots = _items.AsSpan(_count, count);
        _count = (int)needed;
        return slots;
    }

    public T[] ToArray() => _items.AsSpan(0, _count).ToArray();
}
