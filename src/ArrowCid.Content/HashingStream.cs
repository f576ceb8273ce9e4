using System.Buffers;
using System.Security.Cryptography;

namespace ArrowCid.Content;

/// <summary>
/// A write-only stream that feeds SHA-256 and counts bytes, so the CID of an encoding is computed
/// while it is written, without holding the bytes; optionally it also passes every write on to an
/// inner stream (a block file), so content is hashed and stored in one pass. Towards an inner
/// stream, small writes (IPC framing, metadata, padding, small buffers) are gathered in a pooled
/// staging buffer, hashed while it is still in cache and written with one call, so a block of up
/// to <see cref="StagingSize"/> bytes costs one hash pass and one write; large buffers go straight
/// from where they lie.
/// </summary>
/// <param name="inner">Where the bytes go as well, or null to hash and count only.</param>
public sealed class HashingStream(Stream? inner = null) : Stream
{
    /// <summary>Writes smaller than this are gathered; a 1 MiB block (the usual size) is one write.</summary>
    public const int StagingSize = 1 << 20;

    // Below this, starting a second thread costs more than it saves.
    private const int ParallelThreshold = 4 << 20;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[]? _staging;
    private int _staged;
    private long _length;

    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => true;

    /// <summary>Bytes written so far.</summary>
    public override long Length => _length;

    /// <summary>Bytes written so far; it cannot be set.</summary>
    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException("a hashing stream only appends");
    }

    /// <summary>The SHA-256 of everything written (staged bytes are passed on first); the stream cannot be written to afterwards.</summary>
    public byte[] FinishHash()
    {
        Flush();
        return _hash.GetHashAndReset();
    }

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _length += buffer.Length;
        if (inner is null)
        {
            _hash.AppendData(buffer);
            return;
        }

        if (buffer.Length < StagingSize)
        {
            if (buffer.Length > StagingSize - _staged)
            {
                Flush();
            }

            _staging ??= ArrayPool<byte>.Shared.Rent(StagingSize);
            buffer.CopyTo(_staging.AsSpan(_staged));
            _staged += buffer.Length;
            return;
        }

        Flush();
        if (buffer.Length >= ParallelThreshold && Environment.ProcessorCount > 1)
        {
            HashAndWriteInParallel(buffer);
        }
        else
        {
            _hash.AppendData(buffer);
            inner.Write(buffer);
        }
    }

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

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Hashes and passes on what is staged; the inner stream is not flushed (its owner decides about durability).</summary>
    public override void Flush()
    {
        if (_staged > 0)
        {
            var staged = _staging.AsSpan(0, _staged);
            _hash.AppendData(staged);
            inner!.Write(staged);
            _staged = 0;
        }
    }

    /// <summary>Not supported: the stream is write-only.</summary>
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("a hashing stream is write-only");

    /// <summary>Not supported: the stream only appends.</summary>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("a hashing stream only appends");

    /// <summary>Not supported: the stream only appends.</summary>
    public override void SetLength(long value) => throw new NotSupportedException("a hashing stream only appends");

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (_staging is not null)
            {
                ArrayPool<byte>.Shared.Return(_staging);
                _staging = null;
            }
        }

        base.Dispose(disposing);
    }
}
