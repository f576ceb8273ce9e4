using System.CommandLine;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Integration;
using ArrowCid.Arrow.Ipc;

namespace ArrowCid.Cli.Commands;

/// <summary>
/// <c>arrowcid integration …</c>: the entry points Arrow's cross-implementation integration harness
/// (archery) drives each implementation through: validate, json-to-arrow, arrow-to-json,
/// stream-to-file and file-to-stream.
/// </summary>
internal static class IntegrationCommands
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("integration", "Arrow integration-test entry points (the shape archery drives)");
        command.Subcommands.Add(Validate(console));
        command.Subcommands.Add(JsonToArrow(console));
        command.Subcommands.Add(ArrowToJson(console));
        command.Subcommands.Add(StreamToFile(console));
        command.Subcommands.Add(FileToStream(console));
        return command;
    }

    private static Option<string> JsonOption() =>
        new("--json") { Description = "Integration JSON file (.json or .json.gz)", Required = true, HelpName = "J" };

    private static Option<string> ArrowOption(string description) =>
        new("--arrow") { Description = description, Required = true, HelpName = "A" };

    private static Argument<string> InputArgument(string description) =>
        new("input") { Description = description, DefaultValueFactory = _ => IpcSource.StandardStream };

    private static Command Validate(CliConsole console)
    {
        var json = JsonOption();
        var arrow = ArrowOption("Arrow IPC file (or stream) that should hold the same data");
        var command = new Command("validate", "Exit 0 when the IPC data in --arrow equal the integration JSON --json; else print the first difference and exit 1") { json, arrow };
        command.SetAction(parse =>
        {
            string jsonPath = parse.GetRequiredValue(json);
            string arrowPath = parse.GetRequiredValue(arrow);
            var expected = CliErrors.About(jsonPath, () => IntegrationJson.Read(jsonPath));
            var actual = CliErrors.About(arrowPath, () => IntegrationValidator.ReadIpc(File.ReadAllBytes(arrowPath)));
            if (IntegrationValidator.Compare(expected, actual) is { } difference)
            {
                CliErrors.Report(console.Error, $"{arrowPath} does not match {jsonPath}: {difference}");
                return ExitCodes.Failure;
            }

            console.Out.WriteLine($"{arrowPath} matches {jsonPath} ({CliText.Count(actual.Batches.Count, "record batch", "record batches")}, {CliText.Count(actual.Batches.Sum(b => (long)b.Length), "row")})");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command JsonToArrow(CliConsole console)
    {
        var json = JsonOption();
        var arrow = ArrowOption("Arrow IPC file to write");
        var command = new Command("json-to-arrow", "Write the data of an integration JSON file as an Arrow IPC file") { json, arrow };
        command.SetAction(parse =>
        {
            string jsonPath = parse.GetRequiredValue(json);
            var data = CliErrors.About(jsonPath, () => IntegrationJson.Read(jsonPath));
            using var output = OutputTarget.Create(parse.GetRequiredValue(arrow), console);
            using (var writer = new ArrowFileWriter(output.Stream, data.Schema, leaveOpen: true))
            {
                foreach (var batch in data.Batches)
                {
                    IpcCommands.WriteBatch(writer, batch, output.Name);
                }

                writer.Finish();
            }

            output.Commit();
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command ArrowToJson(CliConsole console)
    {
        var arrow = ArrowOption("Arrow IPC file or stream to read");
        var json = new Option<string>("--json") { Description = "Integration JSON file to write", Required = true, HelpName = "J" };
        var command = new Command("arrow-to-json", "Write the data of an Arrow IPC file or stream as integration JSON") { arrow, json };
        command.SetAction(parse =>
        {
            var data = ReadAll(IpcSource.Open(parse.GetRequiredValue(arrow), console));
            try
            {
                using var output = OutputTarget.Create(parse.GetRequiredValue(json), console);
                try
                {
                    IntegrationJson.Write(data, output.Stream);
                }
                catch (ArgumentException e)
                {
                    // The JSON format holds one dictionary per id: a stream that replaced one cannot be written.
                    throw new CliException($"{output.Name}: {e.Message}", e);
                }

                output.Commit();
                return ExitCodes.Ok;
            }
            finally
            {
                // Batches of a mapped file hold the mapping until they are disposed.
                foreach (var batch in data.Batches)
                {
                    batch.Dispose();
                }
            }
        });
        return command;
    }

    private static Command StreamToFile(CliConsole console)
    {
        var input = InputArgument("Arrow IPC stream to read (- for stdin)");
        var command = new Command("stream-to-file", "Copy an Arrow IPC stream (stdin) to the IPC file format (stdout)") { input };
        command.SetAction(parse => Copy(console, parse.GetRequiredValue(input), asFile: true));
        return command;
    }

    private static Command FileToStream(CliConsole console)
    {
        var input = InputArgument("Arrow IPC file to read (- for stdin)");
        var command = new Command("file-to-stream", "Copy an Arrow IPC file (stdin) to the IPC stream format (stdout)") { input };
        command.SetAction(parse => Copy(console, parse.GetRequiredValue(input), asFile: false));
        return command;
    }

    private static int Copy(CliConsole console, string inputPath, bool asFile)
    {
        using var source = IpcSource.Open(inputPath, console);
        using var output = OutputTarget.Create(IpcSource.StandardStream, console);
        IpcCommands.CopyBatches(source, output, asFile, IpcWriteOptions.Default);
        output.Commit();
        return ExitCodes.Ok;
    }

    private static IntegrationFile ReadAll(IpcSource source)
    {
        using (source)
        {
            var batches = new List<RecordBatch>();
            while (source.ReadNext() is { } batch)
            {
                batches.Add(batch);
            }

            return new IntegrationFile(source.Schema, batches);
        }
    }
}
