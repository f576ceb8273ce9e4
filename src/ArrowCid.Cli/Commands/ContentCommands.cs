using System.CommandLine;
using System.Globalization;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Wire;
using ArrowCid.Arrow.Printing;
using ArrowCid.Cli.Inputs;
using ArrowCid.Content.Multiformats;
using ArrowCid.Node;
using ArrowCid.Registry;
using ArrowCid.Repository;

namespace ArrowCid.Cli.Commands;

/// <summary><c>arrowcid cid | put | get | cat</c>: name, store and read tables (chunked by content) and other blocks by content.</summary>
internal static class ContentCommands
{
    public static IEnumerable<Command> Create(CliConsole console, RepositoryOption repository)
    {
        yield return NameOrPut(console, repository, store: false);
        yield return NameOrPut(console, repository, store: true);
        yield return Get(console, repository);
        yield return Cat(console, repository);
    }

    /// <summary>The argument of every command that reads content: a CID, NAME or NAME@N.</summary>
    public static Argument<string> ContentArgument(string what = "A table") =>
        new("CID|NAME[@N]") { Description = $"{what}: its CID, a table NAME (its latest version) or NAME@N (version N)" };

    private static Argument<string[]> InputsArgument() =>
        new("files") { Description = "Arrow IPC files or streams, Parquet files or CSV files (- for stdin)", Arity = ArgumentArity.OneOrMore };

    private static Command NameOrPut(CliConsole console, RepositoryOption repository, bool store)
    {
        var files = InputsArgument();
        var json = new Option<bool>("--json") { Description = "Print one JSON array instead of lines" };
        var tags = TagOption.Create("Label every stored block KEY=VALUE (repeatable)");
        var noPin = new Option<bool>("--no-pin") { Description = "Do not pin the tables (the next gc removes them, unless they are named)" };
        var name = NameOption.Create("Record each input's table as the next version of NAME (in the order given); a table the name's latest version already names adds no version");
        var forceVersion = NameOption.ForceVersion();
        var command = store
            ? new Command("put", "Store Arrow IPC, Parquet or CSV data in the repository as one table per input, cut into content-defined chunks (a block each, at most 1 MiB) under a manifest tree; prints each table's CID. On the folder of a node with a shared registry or a bucket, the put is published as the node publishes its own: blocks to the bucket first, then records, pin and name to the shared registry") { files, json, tags, noPin, name, forceVersion, repository.Blocks }
            : new Command("cid", "Print the table CIDs 'put' would give, without storing anything") { files, json };
        var inputs = new InputOptions();
        inputs.AddTo(command);
        command.SetAction(parse =>
        {
            var options = new PutOptions
            {
                Tags = TagOption.Parse(parse.GetValue(tags)),
                Pin = !parse.GetValue(noPin),
                Producer = "arrowcid put",
                Name = store ? parse.GetValue(name) : null,
                ForceVersion = parse.GetValue(forceVersion),
            };
            var settings = inputs.Read(parse);
            using var node = store ? repository.OpenNode(parse) : null;
            var results = new List<PutReport>();
            foreach (string path in parse.GetRequiredValue(files))
            {
                var result = NameOrPutOne(console, path, node, options, settings);
                if (parse.GetValue(json))
                {
                    results.Add(result.ToReport(path));
                    continue;
                }

                console.Out.WriteLine(ContentOutput.TableLine(result));
                if (result.Version is { } version)
                {
                    console.Out.WriteLine(NameOption.VersionLine(version.Name, version.Version, result.VersionAdded));
                }
            }

            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText<IReadOnlyList<PutReport>>(results, WireJsonContext.Default.IReadOnlyListPutReport));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    // node: the folder to store in (null: only name); its node's shared registry and bucket, when
    // it has them, take the put as the node's own puts go there.
    private static PutStreamResult NameOrPutOne(CliConsole console, string path, NodeFolder? node, PutOptions options, InputSettings settings)
    {
        using var source = BatchInput.Open(path, console, settings);
        var named = options with { Provenance = path == IpcSource.StandardStream ? "stdin" : Path.GetFullPath(path) };
        string verb = node is null ? "naming" : "storing";
        return CliProgress.Run(console, $"{verb} {source.Name}", source.ProgressTotal, source.ProgressUnit, advance =>
        {
            try
            {
                var batches = ReadAll(source, advance);
                if (node is null)
                {
                    return ContentRepository.ComputeCids(source.Schema, batches);
                }

                using var publication = RepositoryOption.OpenPublication(node);
                return RepositoryOption.Publishing(source.Name, () => node.Content.PutStream(source.Schema, batches, named, publication));
            }
            catch (ArgumentException e)
            {
                throw new CliException($"{source.Name}: {e.Message}", e);
            }
        });
    }


    /// <summary>The input's batches, each disposed once the consumer moves on, progress told after each (what reading it took).</summary>
    internal static IEnumerable<RecordBatch> ReadAll(BatchInput source, Action<double> advance)
    {
        double told = 0;
        while (source.ReadNext() is { } batch)
        {
            double done = source.ProgressDone;
            using (batch)
            {
                yield return batch;
            }

            advance(done - told);
            told = done;
        }
    }

    private static Command Get(CliConsole console, RepositoryOption repository)
    {
        var cid = ContentArgument("A table or any other stored block");
        var output = new Option<string?>("--output", "-o") { Description = "Where to write the Arrow IPC stream or block (- for stdout; the default when stdout is not a terminal)", HelpName = "OUT" };
        var command = new Command("get", "Write a table as one Arrow IPC stream (a one-chunk table: its exact canonical bytes), or any other stored block byte for byte, to stdout or -o FILE; every block is re-hashed") { cid, output, repository.Blocks };
        command.SetAction(parse =>
        {
            // As ipfs cat and curl: to stdout, unless that is a terminal, where binary would garble the screen.
            string path = parse.GetValue(output) ?? (console.IsOutputTerminal
                ? throw new CliException("get: stdout is a terminal, and an Arrow IPC stream is binary: give -o FILE, or pipe it (arrowcid get NAME | …)")
                : IpcSource.StandardStream);
            using var node = repository.OpenNode(parse);
            var content = node.Content;
            var id = CliCids.Resolve(parse.GetRequiredValue(cid), node);
            repository.FetchMissing(parse, content, id);
            using var target = OutputTarget.Create(path, console);
            CliProgress.Run(console, $"writing {id}", null, _ => content.WriteTable(id, target.Stream));
            target.Commit();
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Cat(CliConsole console, RepositoryOption repository)
    {
        // The usage line shows an argument's name: it says what the argument accepts.
        var cid = new Argument<string>("CID|NAME[@N]|FILE")
        {
            Description = "A table or an arrow-stream block: its CID, a table NAME (its latest version) or NAME@N (version N); or a file (Arrow IPC, Parquet or CSV) when no name matches",
        };
        var limit = IpcCommands.RowLimitOption();
        var command = new Command("cat", "Print a table chunk by chunk (or every batch of an arrow-stream block), or a file as 'ipc cat' does") { cid, limit, repository.Blocks };
        var inputs = new InputOptions();
        inputs.AddTo(command);
        command.SetAction(parse =>
        {
            string argument = parse.GetRequiredValue(cid);
            using var node = repository.OpenNode(parse);
            var content = node.Content;
            // A CID, then a name in the repository, then a file: what users of cat and ipfs cat expect.
            if (!Cid.TryParse(argument, out _) && File.Exists(argument) && !IsName(argument, node.Registry))
            {
                return IpcCommands.CatFile(console, argument, inputs.Read(parse), parse.GetValue(limit));
            }

            var id = CliCids.Resolve(argument, node);
            repository.FetchMissing(parse, content, id);
            using var batches = content.ReadBatches(id).GetEnumerator();
            return IpcCommands.PrintBatches(console, () => batches.MoveNext() ? batches.Current : null, parse.GetValue(limit));
        });
        return command;
    }

    private static bool IsName(string text, IRegistry registry) =>
        DatasetName.Problem(text) is null && registry.FindVersion(DatasetName.Normalize(text)) is not null;
}
