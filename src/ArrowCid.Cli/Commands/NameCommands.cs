using System.CommandLine;
using System.Globalization;
using ArrowCid.Content;
using ArrowCid.Wire;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.Registry;
using ArrowCid.Node;
using ArrowCid.Repository;

namespace ArrowCid.Cli.Commands;

/// <summary><c>arrowcid names | log | diff</c>: dataset names, the history of their versions, and what two versions (any two tables) share.</summary>
internal static class NameCommands
{
    public static IEnumerable<Command> Create(CliConsole console, RepositoryOption repository)
    {
        yield return Names(console, repository);
        yield return Log(console, repository);
        yield return Diff(console, repository);
    }

    private static Command Names(CliConsole console, RepositoryOption repository)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON array" };
        var command = new Command("names", "List table names, each with its latest version: NAME VERSION CID CREATED") { json };
        command.SetAction(parse =>
        {
            using var node = repository.OpenNode(parse);
            // Walked a page at a time and written as read: memory stays flat at any number of names.
            var names = node.Registry.WalkNames();
            if (parse.GetValue(json))
            {
                using var array = new JsonArrayOutput(console.Out);
                foreach (var v in names)
                {
                    array.Add(WireJson.ToIndentedText(new NameVersionEntry(v.Name, v.Version, v.Cid.ToString(), v.Created, null, v.Node?.ToString(), node.Names.SignerOf(v)?.ToString()), WireJsonContext.Default.NameVersionEntry));
                }

                return ExitCodes.Ok;
            }

            foreach (var v in names)
            {
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{v.Name} {v.Version} {v.Cid} {v.Created:yyyy-MM-ddTHH:mm:ssZ}"));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Log(CliConsole console, RepositoryOption repository)
    {
        var name = new Argument<string>("name") { Description = "A table name", HelpName = "NAME" };
        var json = new Option<bool>("--json") { Description = "Print one JSON array" };
        var command = new Command("log", "List the versions of a table name, newest first: VERSION CID ROWS BYTES NEW CREATED TAGS (NEW: bytes of chunks the previous version lacks)") { name, json };
        command.SetAction(parse =>
        {
            using var node = repository.OpenNode(parse);
            var content = node.Content;
            string text = parse.GetRequiredValue(name);
            // Walked a page at a time and written as described: a name of millions of versions is never held.
            using var entries = NameHistory.Describe(content, node.Registry.WalkVersions(text)).GetEnumerator();
            if (!entries.MoveNext())
            {
                throw new DatasetNotFoundException(new DatasetReference(text, null), 0);
            }

            using var array = parse.GetValue(json) ? new JsonArrayOutput(console.Out) : null;
            do
            {
                var e = entries.Current;
                if (array is not null)
                {
                    array.Add(WireJson.ToIndentedText(e, WireJsonContext.Default.VersionLogEntry));
                    continue;
                }

                console.Out.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{e.Version} {e.Cid} {Number(e.Rows)} {Number(e.Bytes)} {Number(e.NewBytes)} {e.Created:yyyy-MM-ddTHH:mm:ssZ}{ContentOutput.TagsText(e.Tags)}"));
            }
            while (entries.MoveNext());

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Diff(CliConsole console, RepositoryOption repository)
    {
        var from = new Argument<string>("A") { Description = "The first table (the base): a CID, NAME or NAME@N" };
        var to = new Argument<string>("B") { Description = "The second table: a CID, NAME or NAME@N" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("diff", "Compare two tables' blocks (a CID, NAME or NAME@N each): blocks and bytes both share, new in B, removed from A") { from, to, json, repository.Blocks };
        command.SetAction(parse =>
        {
            using var node = repository.OpenNode(parse);
            var content = node.Content;
            // Manifests the folder lacks are read from the node's bucket, not copied: diff reads no chunk.
            var a = RepositoryOption.FromBucket(() => TableBlocks.Read(content, CliCids.Resolve(parse.GetRequiredValue(from), node.Registry), node.ReadFromBucket));
            var b = RepositoryOption.FromBucket(() => TableBlocks.Read(content, CliCids.Resolve(parse.GetRequiredValue(to), node.Registry), node.ReadFromBucket));
            var difference = TableDifference.Between(a, b);
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText(Diff(difference), WireJsonContext.Default.TableDiff));
                return ExitCodes.Ok;
            }

            foreach (var line in DiffLines(difference))
            {
                console.Out.WriteLine(line);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static IEnumerable<string> DiffLines(TableDifference d)
    {
        yield return string.Create(CultureInfo.InvariantCulture, $"a {d.From!.Root} {d.From.Blocks.Count} blocks {d.From.Bytes} bytes");
        yield return string.Create(CultureInfo.InvariantCulture, $"b {d.To.Root} {d.To.Blocks.Count} blocks {d.To.Bytes} bytes");
        yield return string.Create(CultureInfo.InvariantCulture, $"shared {d.SharedBlocks.Count} blocks {d.SharedBytes} bytes");
        yield return string.Create(CultureInfo.InvariantCulture, $"new {d.NewBlocks.Count} blocks {d.NewBytes} bytes");
        yield return string.Create(CultureInfo.InvariantCulture, $"removed {d.RemovedBlocks.Count} blocks {d.RemovedBytes} bytes");
        foreach (var block in d.NewBlocks)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"+ {block.Cid} {block.Bytes}");
        }

        foreach (var block in d.RemovedBlocks)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"- {block.Cid} {block.Bytes}");
        }
    }

    private static TableDiff Diff(TableDifference d) => new(
        Totals(d.From!),
        Totals(d.To),
        d.SharedBlocks.Count,
        d.SharedBytes,
        d.NewBlocks.Count,
        d.NewBytes,
        d.RemovedBlocks.Count,
        d.RemovedBytes,
        Entries(d.NewBlocks),
        Entries(d.RemovedBlocks));

    private static TableBlockTotals Totals(TableBlocks table) => new(table.Root.ToString(), table.Blocks.Count, table.Bytes);

    private static List<BlockEntry> Entries(IEnumerable<TableBlock> blocks) => [.. blocks.Select(b => new BlockEntry(b.Cid.ToString(), b.Bytes))];

    private static string Number(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";
}
