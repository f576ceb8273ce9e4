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

    /// <summary>What progress counts: rows of a Parquet file, batches of an IPC file, else bytes read.</summary>
    public ProgressUnit ProgressUnit => _input.ProgressUnit == TableInputProgressUnit.Bytes ? ProgressUnit.Bytes : ProgressUnit.Items;

    /// <summary>The whole of <see cref="ProgressUnit"/>, when known up front (stdin: null).</summary>
    public double? ProgressTotal => _input.ProgressTotal;

    /// <summary>How much of <see cref="ProgressUnit"/> the batches read so far took.</summary>
    public double ProgressDone => _input.ProgressDone;

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
            _ => SniffArrowOrParquet(path),
        };
    }

    // A file named neither .parquet nor .csv/.tsv is told apart by its first bytes: Arrow IPC (a
    // file's magic, a stream's continuation marker or a pre-1.0 stream's message length) or Parquet's
    // magic; anything else is refused here, saying what was expected, instead of failing deep in a decoder.
    private static InputFormat SniffArrowOrParquet(string path)
    {
        Span<byte> head = stackalloc byte[8];
        int read;
        try
        {
            using var file = File.OpenRead(path);
            read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Opening again reports it, naming the file.
            return InputFormat.Arrow;
        }

        head = head[..read];
        if (head.StartsWith("PAR1"u8))
        {
            return InputFormat.Parquet;
        }

        bool arrow = head.StartsWith("ARROW1"u8)
            || head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFF, 0xFF, 0xFF])
            || (read >= 4 && System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(head) is > 0 and < (1 << 24))
            || read == 0;
        return arrow
            ? InputFormat.Arrow
            : throw new CliException($"{path}: not Arrow IPC (a stream or a file) nor Parquet, by its first bytes; CSV is read from a .csv or .tsv name, or with --format csv");
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
