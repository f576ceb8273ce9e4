using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Ingest.Csv;
using ArrowCid.Parquet.Reading;

namespace ArrowCid.Ingest;

/// <summary>The formats a table may come in.</summary>
public enum TableInputFormat
{
    /// <summary>Arrow IPC, the file format (told by its ARROW1 magic) or the stream format.</summary>
    Arrow,

    /// <summary>The Arrow IPC stream format only, read as it arrives (an upload: never held whole).</summary>
    ArrowStream,

    /// <summary>Parquet: batches of its row groups, the <c>ARROW:schema</c> restoring exact types.</summary>
    Parquet,

    /// <summary>CSV with type inference (docs/csv.md).</summary>
    Csv,
}

/// <summary>How a <see cref="TableInput"/> reads each format: a server passes its limits here.</summary>
public sealed record TableInputOptions
{
    /// <summary>Defaults for every format.</summary>
    public static TableInputOptions Default { get; } = new();

    /// <summary>For Arrow IPC (limits on an untrusted input).</summary>
    public IpcReadOptions? Ipc { get; init; }

    /// <summary>For CSV.</summary>
    public CsvReadOptions? Csv { get; init; }

    /// <summary>For Parquet.</summary>
    public ParquetReadOptions? Parquet { get; init; }
}

/// <summary>
/// The one way a table comes in, whatever its format: <c>arrowcid put</c> (a path or stdin) and
/// the gateway's upload (a request body) both open a <see cref="TableInput"/> and read record
/// batches from it one at a time. Arrow streams and CSV are read as they arrive; an Arrow IPC file
/// is mapped (a path) or held whole (a stream), and Parquet is read through its footer, so a
/// stream that cannot seek is held whole (a server spools it to a file first). What is malformed
/// throws the format's own exception: <see cref="Arrow.ArrowFormatException"/>,
/// <see cref="CsvFormatException"/>, <see cref="Parquet.ParquetFormatException"/>.
/// </summary>
public sealed class TableInput : IDisposable
{
    private readonly ArrowFileReader? _file;
    private readonly ArrowStreamReader? _stream;
    private readonly ParquetReader? _parquet;
    private readonly CsvBatchReader? _csv;
    private readonly CountingStream? _source;
    private IEnumerator<RecordBatch>? _parquetBatches;
    private int _nextFileBatch;
    private long _parquetRows;

    private TableInput(TableInputFormat format, ArrowFileReader? file = null, ArrowStreamReader? stream = null, ParquetReader? parquet = null, CsvBatchReader? csv = null, CountingStream? source = null)
    {
        Format = format;
        _file = file;
        _stream = stream;
        _parquet = parquet;
        _csv = csv;
        _source = source;
    }

    /// <summary>The format read (an Arrow input says which of its two it is).</summary>
    public TableInputFormat Format { get; }

    /// <summary>The schema of every batch.</summary>
    public Schema Schema => _file?.Schema ?? _stream?.Schema ?? _parquet?.Schema ?? _csv!.Schema;

    /// <summary>
    /// What progress counts: the rows of a Parquet file, the record batches of an IPC file (both
    /// known from their footers), else the bytes read of a CSV or Arrow stream input.
    /// </summary>
    public TableInputProgressUnit ProgressUnit => _parquet is not null ? TableInputProgressUnit.Rows : _file is not null ? TableInputProgressUnit.Batches : TableInputProgressUnit.Bytes;

    /// <summary>The whole of <see cref="ProgressUnit"/>, when known up front (a stream of unknown length: null).</summary>
    public double? ProgressTotal => _parquet is not null ? _parquet.File.Metadata.NumRows
        : _file is not null ? _file.RecordBatchCount
        : _source?.Total;

    /// <summary>How much of <see cref="ProgressUnit"/> the batches read so far took: rows, batches, or bytes read from the source.</summary>
    public double ProgressDone => _parquet is not null ? _parquetRows : _file is not null ? _nextFileBatch : _source?.BytesRead ?? 0;

    /// <summary>The format a file's extension names: .parquet/.parq/.pq Parquet, .csv/.tsv CSV, anything else Arrow IPC.</summary>
    /// <param name="path">A file name.</param>
    /// <returns>Its format.</returns>
    public static TableInputFormat FormatOfPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".parquet" or ".parq" or ".pq" => TableInputFormat.Parquet,
            ".csv" or ".tsv" => TableInputFormat.Csv,
            _ => TableInputFormat.Arrow,
        };
    }

    /// <summary>The format a media type names (parameters ignored), or null for one not taken.</summary>
    /// <param name="mediaType">E.g. <c>application/vnd.apache.arrow.stream</c>.</param>
    /// <returns>Its format, or null.</returns>
    public static TableInputFormat? FormatOfMediaType(string? mediaType) => mediaType?.ToLowerInvariant() switch
    {
        "application/vnd.apache.arrow.stream" => TableInputFormat.ArrowStream,
        "application/vnd.apache.arrow.file" => TableInputFormat.Arrow,
        "application/vnd.apache.parquet" => TableInputFormat.Parquet,
        "text/csv" => TableInputFormat.Csv,
        _ => null,
    };

    /// <summary>Opens a file in <paramref name="format"/>: an Arrow IPC file is mapped, a stream read as it goes.</summary>
    /// <param name="path">The file.</param>
    /// <param name="format">Its format.</param>
    /// <param name="options">How to read it; defaults when null.</param>
    /// <returns>The input, its schema read.</returns>
    public static TableInput OpenFile(string path, TableInputFormat format, TableInputOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= TableInputOptions.Default;
        switch (format)
        {
            case TableInputFormat.Parquet:
                return new TableInput(format, parquet: ParquetReader.Open(path, options.Parquet));
            case TableInputFormat.Csv:
                var text = new CountingStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1), leaveOpen: false);
                try
                {
                    return new TableInput(format, csv: CsvBatchReader.Open(text, options.Csv), source: text);
                }
                catch
                {
                    text.Dispose();
                    throw;
                }

            default:
                var input = new CountingStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16), leaveOpen: false);
                try
                {
                    byte[] head = ReadHead(input);
                    if (format == TableInputFormat.Arrow && IsFileMagic(head))
                    {
                        input.Dispose();
                        return new TableInput(TableInputFormat.Arrow, file: ArrowFileReader.Open(path, options.Ipc));
                    }

                    // Replaying the peeked bytes (instead of seeking back) also serves pipes and FIFOs.
                    return new TableInput(TableInputFormat.ArrowStream, stream: new ArrowStreamReader(new PrefixedStream(head, input, leaveOpen: false), options.Ipc), source: input);
                }
                catch
                {
                    input.Dispose();
                    throw;
                }
        }
    }

    /// <summary>Opens a stream in <paramref name="format"/> (left open): Arrow streams and CSV are read as they arrive.</summary>
    /// <param name="input">The bytes: stdin, a request body, a spooled file.</param>
    /// <param name="format">Their format.</param>
    /// <param name="options">How to read them; defaults when null.</param>
    /// <returns>The input, its schema read.</returns>
    public static TableInput Open(Stream input, TableInputFormat format, TableInputOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        options ??= TableInputOptions.Default;
        switch (format)
        {
            case TableInputFormat.Parquet:
                // Read through its footer, at the end: a stream that cannot seek is held whole.
                return new TableInput(format, parquet: input.CanSeek ? ParquetReader.Open(input, options.Parquet, leaveOpen: true) : ParquetReader.Open(ReadWhole(input, []), options.Parquet));
            case TableInputFormat.Csv:
                var text = new CountingStream(input, leaveOpen: true);
                return new TableInput(format, csv: CsvBatchReader.Open(text, options.Csv), source: text);
            case TableInputFormat.ArrowStream:
                var arrow = new CountingStream(input, leaveOpen: true);
                return new TableInput(format, stream: new ArrowStreamReader(arrow, options.Ipc), source: arrow);
            default:
                var counted = new CountingStream(input, leaveOpen: true);
                byte[] head = ReadHead(counted);
                if (IsFileMagic(head))
                {
                    // The file format is read through its footer, at the end: the stream is held whole.
                    return new TableInput(TableInputFormat.Arrow, file: new ArrowFileReader(ReadWhole(counted, head), options.Ipc));
                }

                return new TableInput(TableInputFormat.ArrowStream, stream: new ArrowStreamReader(new PrefixedStream(head, counted, leaveOpen: false), options.Ipc), source: counted);
        }
    }

    /// <summary>The next record batch (the caller disposes it), or null after the last.</summary>
    /// <returns>The batch, or null.</returns>
    public RecordBatch? ReadNext()
    {
        if (_stream is not null)
        {
            return _stream.ReadNext();
        }

        if (_file is not null)
        {
            return _nextFileBatch < _file.RecordBatchCount ? _file.ReadRecordBatch(_nextFileBatch++) : null;
        }

        if (_parquet is not null)
        {
            _parquetBatches ??= _parquet.ReadAll().GetEnumerator();
            if (!_parquetBatches.MoveNext())
            {
                return null;
            }

            _parquetRows += _parquetBatches.Current.Length;
            return _parquetBatches.Current;
        }

        return _csv!.ReadNext();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _file?.Dispose();
        _stream?.Dispose();
        _parquetBatches?.Dispose();
        _parquet?.Dispose();
        _csv?.Dispose();
        _source?.Dispose();
    }

    private static bool IsFileMagic(ReadOnlySpan<byte> head) => head.SequenceEqual(ArrowFileReader.Magic);

    private static byte[] ReadHead(Stream input)
    {
        var head = new byte[ArrowFileReader.Magic.Length];
        int read = input.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return head[..read];
    }

    private static ReadOnlyMemory<byte> ReadWhole(Stream input, byte[] head)
    {
        using var whole = new MemoryStream();
        whole.Write(head);
        input.CopyTo(whole);
        return whole.GetBuffer().AsMemory(0, (int)whole.Length);
    }

    /// <summary>A read-only stream that yields some already-read bytes, then the rest of another stream.</summary>
    private sealed class PrefixedStream(byte[] prefix, Stream rest, bool leaveOpen) : Stream
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
            if (disposing && !leaveOpen)
            {
                rest.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
