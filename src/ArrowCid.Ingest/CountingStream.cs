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
/// A read-only view of a stream that tells how far it has been read: the position of one that
/// seeks (a file), else the bytes read through it (stdin, a request body). Seeking, length and
/// position are the inner stream's, so a reader's checks against the file's end still work.
/// </summary>
internal sealed class CountingStream(Stream inner, bool leaveOpen) : Stream
{
    private long _read;

    /// <summary>Bytes read so far (a seekable source: its position).</summary>
    public long BytesRead => inner.CanSeek ? inner.Position : _read;

    /// <summary>The source's length when it has one (a file), else null.</summary>
    public long? Total => inner.CanSeek ? inner.Length : null;

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => inner.CanSeek;

    public override bool CanWrite => false;

    public override long Length => inner.Length;

    public override long Position { get => inner.Position; set => inner.Position = value; }

    public override int Read(Span<byte> buffer)
    {
        int read = inner.Read(buffer);
        _read += read;
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        _read += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !leaveOpen)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
