using System.Security.Cryptography;

namespace ArrowCid.Content;

/// <summary>
/// A write-only stream that feeds SHA-256 and counts bytes, so the CID of an encoding is computed
/// while it is written, without holding the bytes; optionally it also passes every write on to an
/// inner stream (a block file), so content is hashed and stored in one pass.
/// </summary>
internal sealed class HashingStream(Stream? inner = null) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _length;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _length;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException("a hashing stream only appends");
    }

    /// <summary>The SHA-256 of everything written; the stream cannot be written to afterwards.</summary>
    public byte[] FinishHash() => _hash.GetHashAndReset();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (inner is not null && buffer.Length >= ParallelThreshold && Environment.ProcessorCount > 1)
        {
            HashAndWriteInParallel(buffer);
        }
        else
        {
            _hash.AppendData(buffer);
            inner?.Write(buffer);
        }

        _length += buffer.Length;
    }

    // Below this, starting a second thread costs more than it saves.
    private const int ParallelThreshold = 4 << 20;

    /// <summary>
    /// Hashing and writing are each about as costly as the other (SHA-256 vs. a copy into the page
    /// cache), so large buffers do both at once on two cores. The span's memory belongs to the
    /// caller and stays valid for the whole call; the pointer handed to the writer task never
    /// outlives it because the task is awaited before returning.
    /// </summary>
    private unsafe void HashAndWriteInParallel(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* pointer = buffer)
        {
            byte* start = pointer;
            int length = buffer.Length;
            var target = inner!;
            var write = Task.Run(() => target.Write(new ReadOnlySpan<byte>(start, length)));
            _hash.AppendData(buffer);
            write.GetAwaiter().GetResult();
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value) => Write([value]);

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("a hashing stream is write-only");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("a hashing stream only appends");

    public override void SetLength(long value) => throw new NotSupportedException("a hashing stream only appends");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }
}
