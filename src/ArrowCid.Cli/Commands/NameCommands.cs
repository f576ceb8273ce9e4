using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using ArrowCid.Content.Stores;
using ArrowCid.Registry;
using ArrowCid.Repository;

namespace ArrowCid.Cli.Commands;

/// <summary><c>arrowcid names | log</c>: dataset names and the history of their versions.</summary>
internal static class NameCommands
{
    public static IEnumerable<Command> Create(CliConsole console, RepositoryOption repository)
    {
        yield return Names(console, repository);
        yield return Log(console, repository);
    }

    private static Command Names(CliConsole console, RepositoryOption repository)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON array" };
        var command = new Command("names", "List dataset names, each with its latest version: NAME VERSION CID CREATED") { json };
        command.SetAction(parse =>
        {
            using var content = repository.Open(parse);
            var names = content.Repository.Registry.ListNames();
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(new JsonArray(names.Select(v => (JsonNode)new JsonObject
                {
                    ["name"] = v.Name,
                    ["version"] = v.Version,
                    ["cid"] = v.Cid.ToString(),
                    ["created"] = ContentOutput.Time(v.Created),
                }).ToArray()).ToJsonString(ContentOutput.Indented));
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
        var name = new Argument<string>("name") { Description = "A dataset name", HelpName = "NAME" };
        var json = new Option<bool>("--json") { Description = "Print one JSON array" };
        var command = new Command("log", "List the versions of a dataset name, newest first: VERSION CID ROWS BYTES CREATED TAGS") { name, json };
        command.SetAction(parse =>
        {
            using var content = repository.Open(parse);
            string text = parse.GetRequiredValue(name);
            var versions = content.Repository.Registry.ListVersions(text);
            if (versions.Count == 0)
            {
                throw new DatasetNotFoundException(new DatasetReference(text, null), 0);
            }

            var entries = versions.Select(v => Describe(content, v)).ToList();
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(new JsonArray(entries.Select(e => (JsonNode)Json(e)).ToArray()).ToJsonString(ContentOutput.Indented));
                return ExitCodes.Ok;
            }

            foreach (var e in entries)
            {
                console.Out.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{e.Version.Version} {e.Version.Cid} {Number(e.Rows)} {Number(e.Bytes)} {e.Version.Created:yyyy-MM-ddTHH:mm:ssZ}{ContentOutput.TagsText(e.Record?.Tags ?? new Dictionary<string, string>())}"));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>A version with what the registry knows of its content: rows, and bytes of data (a dataset's batches, not its manifest).</summary>
    private static LogEntry Describe(ContentRepository content, NamedVersion version)
    {
        var record = content.Repository.GetRecord(version.Cid);
        long? bytes = record?.Bytes;
        if (record?.Kind == BlockKind.Dataset)
        {
            try
            {
                bytes = content.GetDataset(version.Cid).Bytes;
            }
            catch (BlockNotFoundException)
            {
                bytes = null;
            }
        }

        return new LogEntry(version, record, record?.Rows, bytes);
    }

    private static JsonObject Json(LogEntry e) => new()
    {
        ["name"] = e.Version.Name,
        ["version"] = e.Version.Version,
        ["cid"] = e.Version.Cid.ToString(),
        ["kind"] = e.Record is null ? null : ContentOutput.KindName(e.Record.Kind),
        ["rows"] = e.Rows,
        ["bytes"] = e.Bytes,
        ["created"] = ContentOutput.Time(e.Version.Created),
        ["tags"] = ContentOutput.Tags(e.Record?.Tags ?? new Dictionary<string, string>()),
    };

    private static string Number(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private sealed record LogEntry(NamedVersion Version, BlockRecord? Record, long? Rows, long? Bytes);
}
