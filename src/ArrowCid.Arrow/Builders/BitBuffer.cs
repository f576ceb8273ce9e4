using ArrowCid.Arrow.Memory;

namespace ArrowCid.Arrow.Builders;

/// <summary>Appends bits LSB-first (validity bitmaps and boolean values), counting the cleared ones.</summary>
internal sealed class BitBuffer
{
    private readonly GrowableBuffer _bytes = new();

    /// <summary>Bits appended.</summary>
    public int Length { get; private set; }

    /// <summary>How many appended bits are 0 (for validity: the null count).</summary>
    public int ZeroCount { get; private set; }

    public void Append(bool bit)
    {
        ZeroCount += bit ? 0 : 1;
        AppendUncounted(bit);
    }

    /// <summary>Appends <paramref name="count"/> equal bits, whole bytes at a time.</summary>
    public void AppendMany(bool bit, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ZeroCount += bit ? 0 : count;
        while (count > 0 && (Length & 7) != 0)
        {
            AppendUncounted(bit);
            count--;
        }

        int wholeBytes = count >> 3;
        _bytes.Append(wholeBytes).Fill(bit ? (byte)0xFF : (byte)0);
        Length += wholeBytes * 8;
        for (int i = wholeBytes * 8; i < count; i++)
        {
            AppendUncounted(bit);
        }
    }

    private void AppendUncounted(bool bit)
    {
        if ((Length & 7) == 0)
        {
            _bytes.Append(1)[0] = 0;
        }

        if (bit)
        {
            BitUtil.SetBit(_bytes.Written, Length, true);
        }

        Length++;
    }

    /// <summary>The bits, padded to 8 bytes; bits past the length are zero.</summary>
    public ReadOnlyMemory<byte> Build()
    {
        Length = 0;
        ZeroCount = 0;
        return _bytes.Build();
    }

    /// <summary>A validity bitmap, or empty when every slot is valid (the tidy form).</summary>
    public ReadOnlyMemory<byte> BuildValidity()
    {
        bool allValid = ZeroCount == 0;
        var bits = Build();
        return allValid ? ReadOnlyMemory<byte>.Empty : bits;
    }
}
