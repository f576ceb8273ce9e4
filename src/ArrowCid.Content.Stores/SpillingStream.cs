using System.Buffers;

namespace ArrowCid.Content.Stores;

/// <summary>
/// A write-only stream that keeps up to a limit in a pooled buffer and, once more is written,
/// moves what it holds to a file (made on demand) and writes the rest there: a block store learns
/// whether content is small (packed) or large (a file of its own) without knowing its length first.
/// </summary>
internal sealed class SpillingStream(int limit, Func<FileStream> createFile) : Stream
{
    private byte[]? _buffer;
    private int _buffered;

    /// <summary>The file, once the content outgrew the limit; the caller owns it from then on (it is not disposed here).</summary>
    public FileStream? File { get; private set; }

    /// <summary>The content, while it fits the limit.</summary>
    public ReadOnlySpan<byte> Buffered => _buffer.AsSpan(0, _buffered);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => File?.Length ?? _buffered;

    public override long Position
    {
        get => Length;
        set => throw new NotSupportedException("a spilling stream only appends");
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (File is { } file)
        {
            Arrow.IO.FileFaults.Check(Arrow.IO.FileOperation.Write, file.Name);
            file.Write(buffer);
            return;
        }

        if (_buffered + buffer.Length > limit)
        {
            file = createFile();
            File = file;
            Arrow.IO.FileFaults.Check(Arrow.IO.FileOperation.Write, file.Name);
            file.Write(Buffered);
            file.Write(buffer);
            ReturnBuffer();
            return;
        }

        if (_buffer is null || _buffer.Length < _buffered + buffer.Length)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffered + buffer.Length, Math.Min(limit, 4096)));
            Buffered.CopyTo(larger);
            ReturnBuffer();
            _buffer = larger;
        }

        buffer.CopyTo(_buffer.AsSpan(_buffered));
        _buffered += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value) => Write([value]);

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ReturnBuffer();
        }

        base.Dispose(disposing);
    }

    private void ReturnBuffer()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }

        _buffered = 0;
    }
}
