using System.CommandLine;
using System.Globalization;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Compression;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Printing;
using ArrowCid.Arrow.Types;
using ArrowCid.Cli.Inputs;

namespace ArrowCid.Cli.Commands;

/// <summary>
/// <c>arrowcid ipc …</c>: print, inspect and convert Arrow IPC files and streams. They read CSV and
/// Parquet too, through the one input dispatch <c>put</c> uses (<see cref="BatchInput"/>): by
/// extension, else by the first bytes; Arrow IPC is read as written (a file's or a stream's exact
/// batches and dictionaries).
/// </summary>
internal static class IpcCommands
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("ipc", "Print, inspect and convert Arrow IPC files and streams (and CSV or Parquet, read as put reads them)");
        command.Subcommands.Add(Cat(console));
        command.Subcommands.Add(SchemaCommand(console));
        command.Subcommands.Add(Convert(console));
        return command;
    }

    /// <summary>Writes <paramref name="batch"/>; a batch the format cannot hold is reported against <paramref name="outputName"/>.</summary>
    public static void WriteBatch(ArrowStreamWriter writer, RecordBatch batch, string outputName)
    {
        ArgumentNullException.ThrowIfNull(writer);
        try
        {
            CliErrors.About(outputName, () =>
            {
                writer.Write(batch);
                return 0;
            });
        }
        catch (InvalidOperationException e)
        {
            // The file format cannot replace a dictionary that a stream replaced between batches.
            throw new CliException($"{outputName}: {e.Message}", e);
        }
    }

    /// <summary>Copies every batch of <paramref name="source"/> to <paramref name="output"/>, one at a time.</summary>
    public static long CopyBatches(IpcSource source, OutputTarget output, bool asFile, IpcWriteOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        return CopyBatches(source.Schema, source.ReadNext, output, asFile, options);
    }

    private static long CopyBatches(Schema schema, Func<RecordBatch?> next, OutputTarget output, bool asFile, IpcWriteOptions options)
    {
        ArgumentNullException.ThrowIfNull(output);
        long batches = 0;
        using var writer = asFile
            ? new ArrowFileWriter(output.Stream, schema, options, leaveOpen: true)
            : new ArrowStreamWriter(output.Stream, schema, options, leaveOpen: true);
        while (next() is { } batch)
        {
            using (batch)
            {
                WriteBatch(writer, batch, output.Name);
                batches++;
            }
        }

        CliErrors.About(output.Name, () =>
        {
            writer.Finish();
            return 0;
        });
        return batches;
    }

    private static Argument<string> FileArgument(string name, string description) =>
        new(name) { Description = description };

    // The one input dispatch: Arrow IPC through IpcSource (as written), CSV and Parquet through BatchInput.
    private static T WithInput<T>(string path, CliConsole console, InputSettings settings, Func<IpcSource, T> arrow, Func<BatchInput, T> other)
    {
        if (BatchInput.Resolve(path, settings.Format) == InputFormat.Arrow)
        {
            using var source = IpcSource.Open(path, console);
            return arrow(source);
        }

        using var input = BatchInput.Open(path, console, settings);
        return other(input);
    }

    private static Command Cat(CliConsole console)
    {
        var file = FileArgument("file", "Arrow IPC file or stream, Parquet or CSV (- for stdin: Arrow IPC)");
        var limit = RowLimitOption();
        var command = new Command("cat", "Print the record batches of an Arrow IPC file or stream (or a Parquet file's row groups, or CSV) as tables") { file, limit };
        var inputs = new InputOptions();
        inputs.AddTo(command);
        command.SetAction(parse => CatFile(console, parse.GetRequiredValue(file), inputs.Read(parse), parse.GetValue(limit)));
        return command;
    }

    /// <summary><c>--limit N</c> (<c>-n N</c>) of the commands that print rows: at most N rows in all.</summary>
    internal static Option<int?> RowLimitOption()
    {
        var limit = new Option<int?>("--limit", "-n") { Description = "Print at most N rows in all", HelpName = "N" };
        limit.Validators.Add(result =>
        {
            // A token that is not a number is already reported by the parser; judge only numbers.
            if (result.Tokens.Count == 1 && int.TryParse(result.Tokens[0].Value, CultureInfo.InvariantCulture, out int rows) && rows < 0)
            {
                result.AddError("--limit must be 0 or more");
            }
        });
        return limit;
    }

    /// <summary>Prints the batches of a file (Arrow IPC, Parquet or CSV, through the one input dispatch) as tables.</summary>
    internal static int CatFile(CliConsole console, string path, InputSettings settings, int? limit) =>
        WithInput(
            path,
            console,
            settings,
            source => PrintBatches(console, source.ReadNext, limit),
            input => PrintBatches(console, input.ReadNext, limit));

    /// <summary>Prints batches as tables, <c>batch N: R rows</c> before each, reading no further than <paramref name="limit"/> rows need.</summary>
    internal static int PrintBatches(CliConsole console, Func<RecordBatch?> next, int? limit)
    {
        long printed = 0;
        int index = 0;
        // Stops reading at the limit: a stream may be far longer than what is shown.
        while ((limit is null || printed < limit) && next() is { } batch)
        {
            using (batch)
            {
                int rows = limit is null ? batch.Length : (int)Math.Min(batch.Length, limit.Value - printed);
                console.Out.WriteLine($"batch {index}: {batch.Length} rows");
                console.Out.Write(ArrayPrinter.Format(batch, rows));
                printed += rows;
                index++;
            }
        }

        if (index == 0 && limit is not 0)
        {
            console.Out.WriteLine("(no record batches)");
        }
        else if (limit is not null && printed >= limit)
        {
            console.Out.WriteLine($"(stopped at --limit {limit})");
        }

        return ExitCodes.Ok;
    }

    private static Command SchemaCommand(CliConsole console)
    {
        var file = FileArgument("file", "Arrow IPC file or stream, Parquet or CSV (- for stdin: Arrow IPC)");
        var command = new Command("schema", "Print the schema of an Arrow IPC file or stream, with field and schema metadata (or the Arrow schema a Parquet or CSV file is read as)") { file };
        var inputs = new InputOptions();
        inputs.AddTo(command);
        command.SetAction(parse =>
        {
            string path = parse.GetRequiredValue(file);
            var settings = inputs.Read(parse);
            var format = BatchInput.Resolve(path, settings.Format);
            return WithInput(
                path,
                console,
                settings,
                source =>
                {
                    console.Out.WriteLine(source.IsFileFormat ? $"Arrow IPC file, {CliText.Count(source.BatchCount ?? 0, "record batch", "record batches")}" : "Arrow IPC stream");
                    console.Out.Write(source.Schema.ToString());
                    return ExitCodes.Ok;
                },
                input =>
                {
                    console.Out.WriteLine(format == InputFormat.Parquet ? "Parquet file, read as Arrow" : "CSV, types inferred as put infers them (docs/csv.md)");
                    console.Out.Write(input.Schema.ToString());
                    return ExitCodes.Ok;
                });
        });
        return command;
    }

    private static Command Convert(CliConsole console)
    {
        var input = FileArgument("input", "Arrow IPC file or stream, Parquet or CSV to read (- for stdin: Arrow IPC)");
        var output = FileArgument("output", "Where to write (- for stdout)");
        var format = new Option<string>("--format") { Description = "Output format", DefaultValueFactory = _ => "file" };
        format.AcceptOnlyFromAmong("stream", "file");
        var compression = new Option<string>("--compression") { Description = "Body compression of the output", DefaultValueFactory = _ => "none" };
        compression.AcceptOnlyFromAmong("none", "lz4", "zstd");
        var command = new Command("convert", "Rewrite an Arrow IPC file or stream batch by batch, choosing format and compression; Parquet and CSV are converted to Arrow IPC") { input, output, format, compression };
        command.SetAction(parse =>
        {
            var options = new IpcWriteOptions
            {
                Compression = parse.GetRequiredValue(compression) switch
                {
                    "lz4" => CompressionCodec.Lz4Frame,
                    "zstd" => CompressionCodec.Zstd,
                    _ => CompressionCodec.None,
                },
            };
            bool asFile = parse.GetRequiredValue(format) == "file";
            return WithInput(
                parse.GetRequiredValue(input),
                console,
                InputSettings.Default,
                source => Write(target => CopyBatches(source, target, asFile, options)),
                batches => Write(target => CopyBatches(batches.Schema, batches.ReadNext, target, asFile, options)));

            int Write(Func<OutputTarget, long> copy)
            {
                using var target = OutputTarget.Create(parse.GetRequiredValue(output), console);
                copy(target);
                target.Commit();
                return ExitCodes.Ok;
            }
        });
        return command;
    }
}
