namespace ArrowCid.Ingest;

/// <summary>What a <see cref="TableInput"/> counts its progress in.</summary>
public enum TableInputProgressUnit
{
    /// <summary>Bytes read from the source (CSV, an Arrow stream).</summary>
    Bytes,

    /// <summary>Rows (Parquet: the footer gives their number).</summary>
    Rows,

    /// <summary>Record batches (an Arrow IPC file: the footer gives their number).</summary>
    Batches,
}

/// <summary>
/// A view of a stream that tells how far it has been read: the position of one that seeks (a
/// file), else the bytes read through it (stdin, a request body), and, when given
/// <paramref name="onBytes"/>, each read's or write's length as it happens (a progress bar).
/// Seeking, length and position are the inner stream's, so a reader's checks against the file's
/// end still work.
/// </summary>
/// <param name="inner">The stream read or written.</param>
/// <param name="leaveOpen">Whether disposing this leaves <paramref name="inner"/> open.</param>
/// <param name="onBytes">Told the length of every read and write.</param>
public sealed class CountingStream(Stream inner, bool leaveOpen, Action<int>? onBytes = null) : Stream
{
    private long _read;

    /// <summary>Bytes read so far (a seekable source: its position).</summary>
    public long BytesRead => inner.CanSeek ? inner.Position : _read;

    /// <summary>The source's length when it has one (a file), else null.</summary>
    public long? Total => inner.CanSeek ? inner.Length : null;

    /// <inheritdoc/>
    public override bool CanRead => inner.CanRead;

    /// <inheritdoc/>
    public override bool CanSeek => inner.CanSeek;

    /// <inheritdoc/>
    public override bool CanWrite => inner.CanWrite;

    /// <inheritdoc/>
    public override long Length => inner.Length;

    /// <inheritdoc/>
    public override long Position { get => inner.Position; set => inner.Position = value; }

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        int read = inner.Read(buffer);
        _read += read;
        onBytes?.Invoke(read);
        return read;
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc/>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        _read += read;
        onBytes?.Invoke(read);
        return read;
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    /// <inheritdoc/>
    public override void Flush() => inner.Flush();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        onBytes?.Invoke(buffer.Length);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !leaveOpen)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
