using System.CommandLine;
using System.Globalization;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Compression;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Printing;

namespace ArrowCid.Cli.Commands;

/// <summary><c>arrowcid ipc …</c>: print, inspect and convert Arrow IPC files and streams.</summary>
internal static class IpcCommands
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("ipc", "Print, inspect and convert Arrow IPC files and streams");
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
        ArgumentNullException.ThrowIfNull(output);
        long batches = 0;
        using var writer = asFile
            ? new ArrowFileWriter(output.Stream, source.Schema, options, leaveOpen: true)
            : new ArrowStreamWriter(output.Stream, source.Schema, options, leaveOpen: true);
        while (source.ReadNext() is { } batch)
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

    private static Command Cat(CliConsole console)
    {
        var file = FileArgument("file", "Arrow IPC file or stream (- for stdin)");
        var limit = new Option<int?>("--limit", "-n") { Description = "Print at most N rows in all", HelpName = "N" };
        limit.Validators.Add(result =>
        {
            // A token that is not a number is already reported by the parser; judge only numbers.
            if (result.Tokens.Count == 1 && int.TryParse(result.Tokens[0].Value, CultureInfo.InvariantCulture, out int rows) && rows < 0)
            {
                result.AddError("--limit must be 0 or more");
            }
        });
        var command = new Command("cat", "Print the record batches of an Arrow IPC file or stream as tables") { file, limit };
        command.SetAction(parse => PrintBatches(console, parse.GetRequiredValue(file), parse.GetValue(limit)));
        return command;
    }

    private static int PrintBatches(CliConsole console, string path, int? limit)
    {
        using var source = IpcSource.Open(path, console);
        long printed = 0;
        int index = 0;
        // Stops reading at the limit: a stream may be far longer than what is shown.
        while ((limit is null || printed < limit) && source.ReadNext() is { } batch)
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
        var file = FileArgument("file", "Arrow IPC file or stream (- for stdin)");
        var command = new Command("schema", "Print the schema of an Arrow IPC file or stream, with field and schema metadata") { file };
        command.SetAction(parse =>
        {
            using var source = IpcSource.Open(parse.GetRequiredValue(file), console);
            console.Out.WriteLine(source.IsFileFormat ? $"Arrow IPC file, {source.BatchCount} record batches" : "Arrow IPC stream");
            console.Out.Write(source.Schema.ToString());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Convert(CliConsole console)
    {
        var input = FileArgument("input", "Arrow IPC file or stream to read (- for stdin)");
        var output = FileArgument("output", "Where to write (- for stdout)");
        var format = new Option<string>("--format") { Description = "Output format", DefaultValueFactory = _ => "file" };
        format.AcceptOnlyFromAmong("stream", "file");
        var compression = new Option<string>("--compression") { Description = "Body compression of the output", DefaultValueFactory = _ => "none" };
        compression.AcceptOnlyFromAmong("none", "lz4", "zstd");
        var command = new Command("convert", "Rewrite an Arrow IPC file or stream batch by batch, choosing format and compression") { input, output, format, compression };
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
            using var source = IpcSource.Open(parse.GetRequiredValue(input), console);
            using var target = OutputTarget.Create(parse.GetRequiredValue(output), console);
            CopyBatches(source, target, parse.GetRequiredValue(format) == "file", options);
            target.Commit();
            return ExitCodes.Ok;
        });
        return command;
    }
}
