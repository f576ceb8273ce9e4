using ArrowCid.Arrow.IO;

namespace ArrowCid.Cli;

/// <summary>
/// Where a command writes its result: a path, or stdout for <c>-</c>. A regular file is written to
/// a temporary file beside it and renamed over it on <see cref="Commit"/>, so a failed command never
/// leaves a half-written file under the name the user asked for; a device, a FIFO or an open
/// descriptor (/dev/null, /dev/stdout) is written into and left as it is.
/// </summary>
internal sealed class OutputTarget : IDisposable
{
    private readonly string? _path;
    private readonly string? _temporaryPath;
    private bool _committed;

    private OutputTarget(string name, Stream stream, string? path, string? temporaryPath)
    {
        Name = name;
        Stream = stream;
        _path = path;
        _temporaryPath = temporaryPath;
    }

    /// <summary>The path, or "stdout".</summary>
    public string Name { get; }

    /// <summary>The stream to write to.</summary>
    public Stream Stream { get; }

    /// <summary>Opens <paramref name="path"/> for writing (stdout for <c>-</c>).</summary>
    public static OutputTarget Create(string path, CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(console);
        if (path == IpcSource.StandardStream)
        {
            // Text already written must come out before the binary output.
            console.Out.Flush();
            // Writers emit many small pieces (prefixes, metadata, padding): batch them into fewer writes.
            return new OutputTarget("stdout", new BufferedStream(new NonClosingStream(console.Output), 1 << 16), null, null);
        }

        if (DurableFile.IsWrittenInPlace(path))
        {
            // A device, a FIFO or an open descriptor (/dev/null, /dev/stdout): written into and
            // left as it is; only a regular file is replaced by an atomic rename.
            return new OutputTarget(path, CliErrors.About(path, () => DurableFile.OpenInPlace(path)), null, null);
        }

        string temporary = DurableFile.TemporaryPathFor(path);
        var stream = CliErrors.About(path, () => new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16));
        return new OutputTarget(path, stream, path, temporary);
    }

    /// <summary>Flushes the output and, for a path, moves it into place.</summary>
    public void Commit()
    {
        CliErrors.About(Name, () =>
        {
            if (Stream is FileStream file && _temporaryPath is not null)
            {
                file.Flush(flushToDisk: true);
                file.Dispose();
                DurableFile.Publish(_temporaryPath!, _path!);
            }
            else
            {
                Stream.Flush();
            }

            return 0;
        });
        _committed = true;
    }

    /// <summary>Closes the output; an uncommitted temporary file is deleted.</summary>
    public void Dispose()
    {
        Stream.Dispose();
        if (!_committed && _temporaryPath is not null && File.Exists(_temporaryPath))
        {
            File.Delete(_temporaryPath);
        }
    }

    /// <summary>Stdout belongs to the process: writers that close their stream must not close it.</summary>
    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Flush();
            }

            base.Dispose(disposing);
        }
    }
}
