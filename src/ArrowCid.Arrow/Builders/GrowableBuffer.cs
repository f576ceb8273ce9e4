using System.Buffers;
using ArrowCid.Arrow.Memory;

namespace ArrowCid.Arrow.Builders;

/// <summary>
/// A byte buffer that grows in pooled arrays while a builder appends, and is copied once into an
/// exactly sized (multiple of 8 bytes), zero-padded array when the array is built.
/// </summary>
internal sealed class GrowableBuffer
{
    private byte[] _bytes = [];

    /// <summary>Bytes written so far.</summary>
    public int Length { get; private set; }

    /// <summary>The bytes written so far (valid until the next append).</summary>
    public Span<byte> Written => _bytes.AsSpan(0, Length);

    /// <summary>Reserves <paramref name="count"/> bytes at the end and returns them; the caller must write all of them (pooled memory is not zeroed).</summary>
    public Span<byte> Append(int count)
    {
        Ensure(checked(Length + count));
        var span = _bytes.AsSpan(Length, count);
        Length += count;
        return span;
    }

    /// <summary>Appends <paramref name="count"/> zero bytes.</summary>
    public void AppendZeros(int count) => Append(count).Clear();

    /// <summary>Appends a copy of <paramref name="bytes"/>.</summary>
    public void Append(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Append(bytes.Length));

    /// <summary>Drops bytes past <paramref name="length"/> (undoes a failed append).</summary>
    public void Truncate(int length) => Length = Math.Clamp(length, 0, Length);

    /// <summary>Copies the content into a zero-padded array of a multiple of 8 bytes and empties this buffer.</summary>
    public ReadOnlyMemory<byte> Build()
    {
        var result = Length == 0 ? [] : new byte[BitUtil.RoundUp(Length, 8)];
        Written.CopyTo(result);
        Reset();
        return result;
    }

    /// <summary>Returns the pooled array and starts over.</summary>
    public void Reset()
    {
        if (_bytes.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_bytes);
        }

        _bytes = [];
        Length = 0;
    }

    private void Ensure(int needed)
    {
        if (needed <= _bytes.Length)
        {
            return;
        }

        int size = (int)Math.Min(Array.MaxLength, Math.Max(needed, Math.Max(64L, _bytes.Length * 2L)));
        var grown = ArrayPool<byte>.Shared.Rent(size);
        Written.CopyTo(grown);
        if (_bytes.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_bytes);
        }

        _bytes = grown;
    }
}
