namespace ArrowCid.Content.Canonical;

/// <summary>
/// A canonical buffer being written over a candidate: the input's bytes at the same positions
/// (a slice of its buffer, not a copy). Writes that agree with the candidate cost nothing; the
/// first write that differs copies the candidate once and goes on in the copy. With no candidate
/// the draft starts as a zeroed array. Callers write every byte whose canonical value may differ
/// from the candidate's, so the result is canonical either way, and is the input's own memory when
/// it already was.
/// </summary>
internal sealed class BufferDraft
{
    private readonly ReadOnlyMemory<byte> _candidate;
    private byte[]? _copy;

    private BufferDraft(ReadOnlyMemory<byte> candidate, byte[]? copy)
    {
        _candidate = candidate;
        _copy = copy;
    }

    /// <summary>A draft over the input's bytes already at the right positions.</summary>
    public static BufferDraft Over(ReadOnlyMemory<byte> candidate) => new(candidate, null);

    /// <summary>A fresh zeroed draft of <paramref name="length"/> bytes.</summary>
    public static BufferDraft Fresh(int length) => new(default, new byte[length]);

    /// <summary>The candidate when the input's length is exactly <paramref name="length"/> bytes from <paramref name="start"/>, else a fresh draft.</summary>
    public static BufferDraft OverIfInRange(ReadOnlyMemory<byte> buffer, long start, int length) =>
        start >= 0 && start + length <= buffer.Length ? Over(buffer.Slice((int)start, length)) : Fresh(length);

    /// <summary>Length in bytes.</summary>
    public int Length => _copy?.Length ?? _candidate.Length;

    /// <summary>Whether the result is still the candidate (nothing differed so far).</summary>
    public bool IsCandidate => _copy is null;

    /// <summary>The current bytes (read-only view).</summary>
    public ReadOnlySpan<byte> Span => _copy is not null ? _copy : _candidate.Span;

    /// <summary>The finished buffer.</summary>
    public ReadOnlyMemory<byte> Result => _copy is not null ? _copy : _candidate;

    /// <summary>Sets the bytes at <paramref name="offset"/>.</summary>
    public void Write(int offset, ReadOnlySpan<byte> value)
    {
        if (_copy is null)
        {
            if (_candidate.Span.Slice(offset, value.Length).SequenceEqual(value))
            {
                return;
            }

            _copy = _candidate.ToArray();
        }

        value.CopyTo(_copy.AsSpan(offset));
    }

    /// <summary>Sets one byte.</summary>
    public void Write(int offset, byte value)
    {
        if (_copy is null)
        {
            if (_candidate.Span[offset] == value)
            {
                return;
            }

            _copy = _candidate.ToArray();
        }

        _copy[offset] = value;
    }

    /// <summary>Zeroes <paramref name="length"/> bytes at <paramref name="offset"/>.</summary>
    public void Clear(int offset, int length)
    {
        if (_copy is null)
        {
            if (!_candidate.Span.Slice(offset, length).ContainsAnyExcept((byte)0))
            {
                return;
            }

            _copy = _candidate.ToArray();
        }

        _copy.AsSpan(offset, length).Clear();
    }
}
