using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Ingest;
using ArrowCid.Ingest.Csv;
using ArrowCid.Parquet;

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
/// A data input named on the command line, read as record batches one at a time through the one
/// input dispatch (<see cref="TableInput"/>, as the gateway's uploads): Arrow IPC, Parquet (each
/// row group one batch, the <c>ARROW:schema</c> restoring exact types) or CSV. Bad input in any
/// format fails with one line naming the input.
/// </summary>
internal sealed class BatchInput : IDisposable
{
    private readonly TableInput _input;

    private BatchInput(string name, TableInput input)
    {
        Name = name;
        _input = input;
    }

    /// <summary>The path, or "stdin".</summary>
    public string Name { get; }

    /// <summary>The schema of every batch.</summary>
    public Schema Schema => _input.Schema;

    /// <summary>What progress counts, when known up front: the rows of a Parquet file, the batches of an IPC file.</summary>
    public double? ProgressTotal => _input.ProgressTotal;

    /// <summary>How far <paramref name="batch"/> advances <see cref="ProgressTotal"/>.</summary>
    public double ProgressOf(RecordBatch batch) => _input.ProgressOf(batch);

    /// <summary>The format <paramref name="path"/> is read in.</summary>
    public static InputFormat Resolve(string path, InputFormat format)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (format != InputFormat.Auto || path == IpcSource.StandardStream)
        {
            return format == InputFormat.Auto ? InputFormat.Arrow : format;
        }

        return TableInput.FormatOfPath(path) switch
        {
            TableInputFormat.Parquet => InputFormat.Parquet,
            TableInputFormat.Csv => InputFormat.Csv,
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
        var format = Resolve(path, settings.Format) switch
        {
            InputFormat.Parquet => TableInputFormat.Parquet,
            InputFormat.Csv => TableInputFormat.Csv,
            _ => TableInputFormat.Arrow,
        };
        var options = new TableInputOptions { Csv = format == TableInputFormat.Csv ? settings.CsvFor(path) : null };
        return About(name, () => new BatchInput(name, OpenTableInput(path, console, format, options)));
    }

    /// <summary>The one opening of a command line's input: stdin for <c>-</c> (buffered), else the file.</summary>
    internal static TableInput OpenTableInput(string path, CliConsole console, TableInputFormat format, TableInputOptions? options = null) =>
        path == IpcSource.StandardStream
            ? TableInput.Open(new BufferedStream(console.Input, 1 << 16), format, options)
            : TableInput.OpenFile(path, format, options);

    /// <summary>The next record batch (the caller disposes it), or null after the last.</summary>
    public RecordBatch? ReadNext() => About(Name, _input.ReadNext);

    /// <inheritdoc/>
    public void Dispose() => _input.Dispose();

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
