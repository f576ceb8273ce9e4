using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Ingest.Csv;
using ArrowCid.Parquet;
using ArrowCid.Parquet.Reading;

namespace ArrowCid.Cli.Inputs;

/// <summary>The formats a data input on the command line may have.</summary>
internal enum InputFormat
{
    /// <summary>By extension: .parquet/.parq/.pq Parquet, .csv/.tsv CSV, anything else (and stdin) Arrow IPC.</summary>
    Auto,

    /// <summary>Arrow IPC, file or stream format.</summary>
    Arrow,

    /// <summary>Parquet: one batch per row group.</summary>
    Parquet,

    /// <summary>CSV with type inference (docs/csv.md).</summary>
    Csv,
}

/// <summary>
/// A data input named on the command line, read as record batches one at a time: Arrow IPC (through
/// <see cref="IpcSource"/>), Parquet (each row group one batch, the <c>ARROW:schema</c> restoring
/// exact types) or CSV. Bad input in any format fails with one line naming the input.
/// </summary>
internal sealed class BatchInput : IDisposable
{
    private readonly IpcSource? _ipc;
    private readonly ParquetReader? _parquet;
    private readonly CsvBatchReader? _csv;
    private IEnumerator<RecordBatch>? _parquetBatches;

    private BatchInput(string name, IpcSource? ipc, ParquetReader? parquet, CsvBatchReader? csv)
    {
        Name = name;
        _ipc = ipc;
        _parquet = parquet;
        _csv = csv;
    }

    /// <summary>The path, or "stdin".</summary>
    public string Name { get; }

    /// <summary>The schema of every batch.</summary>
    public Schema Schema => _ipc?.Schema ?? _parquet?.Schema ?? _csv!.Schema;

    /// <summary>What progress counts, when known up front: the rows of a Parquet file, the batches of an IPC file.</summary>
    public double? ProgressTotal => _parquet is not null ? _parquet.File.Metadata.NumRows : _ipc?.BatchCount;

    /// <summary>How far <paramref name="batch"/> advances <see cref="ProgressTotal"/>.</summary>
    public double ProgressOf(RecordBatch batch) => _parquet is not null ? batch.Length : 1;

    /// <summary>The format <paramref name="path"/> is read in.</summary>
    public static InputFormat Resolve(string path, InputFormat format)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (format != InputFormat.Auto || path == IpcSource.StandardStream)
        {
            return format == InputFormat.Auto ? InputFormat.Arrow : format;
        }

        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".parquet" or ".parq" or ".pq" => InputFormat.Parquet,
            ".csv" or ".tsv" => InputFormat.Csv,
            _ => InputFormat.Arrow,
        };
    }

    /// <summary>Opens <paramref name="path"/> (or stdin for <c>-</c>) in the format <paramref name="settings"/> choose.</summary>
    public static BatchInput Open(string path, CliConsole console, InputSettings settings)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(settings);
        bool stdin = path == IpcSource.StandardStream;
        string name = stdin ? "stdin" : path;
        switch (Resolve(path, settings.Format))
        {
            case InputFormat.Parquet:
                return About(name, () => new BatchInput(name, null, stdin ? ParquetReader.Open(ReadWhole(console.Input)) : ParquetReader.Open(path), null));
            case InputFormat.Csv:
                var options = settings.CsvFor(path);
                return About(name, () => new BatchInput(name, null, null,
                    stdin ? CsvBatchReader.Open(console.Input, options, leaveOpen: true) : CsvBatchReader.Open(path, options)));
            default:
                return new BatchInput(name, IpcSource.Open(path, console), null, null);
        }
    }

    /// <summary>The next record batch (the caller disposes it), or null after the last.</summary>
    public RecordBatch? ReadNext()
    {
        if (_ipc is not null)
        {
            return _ipc.ReadNext();
        }

        if (_parquet is not null)
        {
            _parquetBatches ??= _parquet.ReadAll().GetEnumerator();
            return About(Name, () => _parquetBatches.MoveNext() ? _parquetBatches.Current : null);
        }

        return About(Name, _csv!.ReadNext);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _ipc?.Dispose();
        _parquetBatches?.Dispose();
        _parquet?.Dispose();
        _csv?.Dispose();
    }

    /// <summary>Parquet is read through its footer, at the end: stdin is held whole.</summary>
    private static ReadOnlyMemory<byte> ReadWhole(Stream input)
    {
        using var whole = new MemoryStream();
        input.CopyTo(whole);
        return whole.GetBuffer().AsMemory(0, (int)whole.Length);
    }

    /// <summary>Runs <paramref name="action"/>; a format error (or an expected I/O failure) becomes one line naming <paramref name="name"/>.</summary>
    private static T About<T>(string name, Func<T> action)
    {
        try
        {
            return CliErrors.About(name, action);
        }
        catch (Exception e) when (e is ParquetFormatException or CsvFormatException)
        {
            throw new CliException($"{name}: {e.Message}", e);
        }
    }
}
