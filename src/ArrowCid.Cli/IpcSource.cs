using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Cli;

/// <summary>
/// An Arrow IPC input named on the command line: a path or <c>-</c> for stdin, in the file format
/// (detected by the ARROW1 magic) or the stream format. Files on disk are memory-mapped; streams
/// are read one message at a time, so inputs of any size pass through without being loaded whole.
/// Every failure names the input.
/// </summary>
internal sealed class IpcSource : IDisposable
{
    /// <summary>The argument that means stdin (or stdout for outputs).</summary>
    public const string StandardStream = "-";

    private readonly ArrowFileReader? _file;
    private readonly ArrowStreamReader? _stream;
    private int _nextFileBatch;

    private IpcSource(string name, ArrowFileReader? file, ArrowStreamReader? stream)
    {
        Name = name;
        _file = file;
        _stream = stream;
    }

    /// <summary>The path, or "stdin".</summary>
    public string Name { get; }

    /// <summary>Whether the input is in the IPC file format (else the stream format).</summary>
    public bool IsFileFormat => _file is not null;

    /// <summary>The number of record batches, known up front only for the file format.</summary>
    public int? BatchCount => _file?.RecordBatchCount;

    /// <summary>The input's schema.</summary>
    public Schema Schema => _file?.Schema ?? _stream!.Schema;

    /// <summary>Opens <paramref name="path"/> (or stdin for <c>-</c>) and reads its schema.</summary>
    public static IpcSource Open(string path, CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(console);
        return path == StandardStream
            ? CliErrors.About("stdin", () => OpenStandardInput(console.Input))
            : CliErrors.About(path, () => OpenPath(path));
    }

    /// <summary>The next record batch (the caller disposes it), or null after the last.</summary>
    public RecordBatch? ReadNext() => CliErrors.About(Name, () =>
    {
        if (_file is null)
        {
            return _stream!.ReadNext();
        }

        return _nextFileBatch < _file.RecordBatchCount ? _file.ReadRecordBatch(_nextFileBatch++) : null;
    });

    /// <inheritdoc/>
    public void Dispose()
    {
        _file?.Dispose();
        _stream?.Dispose();
    }

    private static IpcSource OpenPath(string path)
    {
        var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        try
        {
            byte[] head = ReadHead(input);
            if (IsFileMagic(head))
            {
                input.Dispose();
                return new IpcSource(path, ArrowFileReader.Open(path), null);
            }

            // Replaying the peeked bytes (instead of seeking back) also serves pipes and FIFOs.
            return new IpcSource(path, null, new ArrowStreamReader(new PrefixedStream(head, input)));
        }
        catch
        {
            input.Dispose();
            throw;
        }
    }

    private static IpcSource OpenStandardInput(Stream stdin)
    {
        var input = new BufferedStream(stdin, 1 << 16);
        byte[] head = ReadHead(input);
        if (IsFileMagic(head))
        {
            // The file format is read through its footer, at the end: stdin has to be held whole.
            using var whole = new MemoryStream();
            whole.Write(head);
            input.CopyTo(whole);
            return new IpcSource("stdin", new ArrowFileReader(whole.GetBuffer().AsMemory(0, (int)whole.Length)), null);
        }

        return new IpcSource("stdin", null, new ArrowStreamReader(new PrefixedStream(head, input)));
    }

    private static bool IsFileMagic(ReadOnlySpan<byte> head) => head.SequenceEqual(ArrowFileReader.Magic);

    private static byte[] ReadHead(Stream input)
    {
        var head = new byte[ArrowFileReader.Magic.Length];
        int read = input.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return head[..read];
    }

    /// <summary>A read-only stream that yields some already-read bytes, then the rest of another stream.</summary>
    private sealed class PrefixedStream(byte[] prefix, Stream rest) : Stream
    {
        private int _prefixPosition;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(Span<byte> buffer)
        {
            if (_prefixPosition < prefix.Length)
            {
                int count = Math.Min(buffer.Length, prefix.Length - _prefixPosition);
                prefix.AsSpan(_prefixPosition, count).CopyTo(buffer);
                _prefixPosition += count;
                return count;
            }

            return rest.Read(buffer);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                rest.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
