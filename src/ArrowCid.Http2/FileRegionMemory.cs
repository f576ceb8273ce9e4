using System.Buffers;

namespace ArrowCid.Http2;

/// <summary>
/// Bytes that lie in a file, as memory a response body can be given (wrap <see cref="MemoryManager{T}.Memory"/>,
/// or a slice of it, in the message to send). An HTTP/2 connection of ours over a plain socket sends
/// such a piece with <c>sendfile(2)</c>, from the file to the socket with no copy in user space
/// (<see cref="IHttpResponseFileRegionFeature"/> tells whether a response goes that way); anything else that
/// reads the memory (a TLS connection, a small piece copied next to others) gets the bytes read into
/// a pooled buffer on first use, once.
/// </summary>
/// <remarks>
/// The file is the caller's: it must stay open, and its bytes in the region unchanged, until the
/// memory is no longer used (the write that sends it has completed); then dispose this, which returns
/// the buffer if one was read. Not thread-safe: one writer sends it.
/// </remarks>
public sealed class FileRegionMemory : MemoryManager<byte>
{
    private byte[]? _read;

    /// <summary>The region <paramref name="offset"/>..+<paramref name="length"/> of <paramref name="file"/>.</summary>
    /// <param name="file">An open file (not owned), opened with <see cref="FileOptions.Asynchronous"/> as a socket requires of a file it sends; it is read at explicit offsets, so its position does not matter.</param>
    /// <param name="offset">Where the region starts in the file.</param>
    /// <param name="length">The region's length.</param>
    public FileRegionMemory(FileStream file, long offset, int length)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (!file.IsAsync)
        {
            throw new ArgumentException("the file must be opened with FileOptions.Asynchronous for a socket to send from it", nameof(file));
        }

        File = file;
        Offset = offset;
        Length = length;
    }

    /// <summary>The file the bytes lie in.</summary>
    public FileStream File { get; }

    /// <summary>Where the region starts in <see cref="File"/>.</summary>
    public long Offset { get; }

    /// <summary>The region's length in bytes.</summary>
    public int Length { get; }

    /// <inheritdoc />
    /// <remarks>Made without reading the file (the base property asks for the span, which reads it).</remarks>
    public override Memory<byte> Memory => CreateMemory(Length);

    /// <inheritdoc />
    public override Span<byte> GetSpan() => ReadOnce().AsSpan(0, Length);

    /// <inheritdoc />
    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, Length);

        // The bytes read pinned through the array's own memory; they stay until this is disposed.
        return ReadOnce().AsMemory(elementIndex, Length - elementIndex).Pin();
    }

    /// <inheritdoc />
    public override void Unpin()
    {
        // Pin hands out the array's own handle, which unpins itself.
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _read, null) is { } bytes)
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private byte[] ReadOnce()
    {
        if (_read is { } bytes)
        {
            return bytes;
        }

        bytes = ArrayPool<byte>.Shared.Rent(Math.Max(Length, 1));
        int filled = 0;
        while (filled < Length)
        {
            int read = RandomAccess.Read(File.SafeFileHandle, bytes.AsSpan(filled, Length - filled), Offset + filled);
            if (read == 0)
            {
                ArrayPool<byte>.Shared.Return(bytes);
                throw new IOException($"{File.Name}: ends before its region {Offset}+{Length} (read {filled} bytes)");
            }

            filled += read;
        }

        _read = bytes;
        return bytes;
    }
}
