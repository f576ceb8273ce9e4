using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ArrowCid.Cli.Commands;

/// <summary>
/// Where each of <c>serve</c>'s settings comes from: the command line, else an <c>ARROWCID_…</c>
/// environment variable (the option's name in capitals, dashes as underscores: <c>--log-level</c> is
/// <c>ARROWCID_LOG_LEVEL</c>; a repeatable option's values separated by commas), else the JSON file
/// <c>--config</c> names (the option's name without its dashes as the key: <c>"log-level"</c>, an
/// array for a repeatable one), else the option's default. What the environment and the file give is
/// checked as the command line is, and a bad value names the variable or the file and key it came
/// from. docs/configuration.md lists every key.
/// </summary>
internal static class ServeConfiguration
{
    /// <summary>The prefix of the environment variables.</summary>
    public const string EnvironmentPrefix = "ARROWCID_";

    // The source of a setting typed on the command line.
    private const string CommandLine = "command line";

    // Options that say how to read the configuration, or that only the command line gives.
    private static readonly HashSet<string> NotLayered = new(StringComparer.Ordinal) { "--config", "--print-config", "--help", "--verbose" };

    /// <summary>Layers the environment and the file under the command line: a parse as if every setting had been typed, and each setting's source.</summary>
    public static (ParseResult Parse, IReadOnlyDictionary<string, string> Sources) Layer(ParseResult parse, Command command, string? configFile, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(command);
        var file = configFile is null ? [] : ReadFile(configFile, command);
        var extra = new List<string>();
        var sources = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var option in Layered(parse, command))
        {
            string key = KeyOf(option);
            if (parse.GetResult(option) is { Implicit: false })
            {
                sources[key] = CommandLine;
                continue;
            }

            string variable = EnvironmentPrefix + key.ToUpperInvariant().Replace('-', '_');
            (string[] Values, string From)? given = environment(variable) is { } text
                ? (IsRepeatable(option) ? text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [text], $"{variable} (environment)")
                : file.TryGetValue(key, out var element) ? (ValuesOf(element, key, configFile!), $"'{key}' in {configFile}") : null;
            if (given is not { } found)
            {
                sources[key] = "default";
                continue;
            }

            // Written --name=value, so a value that starts with a dash is never read as an option.
            string[] arguments = [.. found.Values.Select(v => $"{option.Name}={v}")];
            var alone = command.Parse(arguments);
            if (alone.Errors.Count > 0)
            {
                throw new CliUsageException($"{found.From}: {alone.Errors[0].Message}");
            }

            extra.AddRange(arguments);
            sources[key] = found.From;
        }

        var layered = parse.RootCommandResult.Command.Parse([.. parse.Tokens.Select(t => t.Value), .. extra]);
        return layered.Errors.Count > 0 ? throw new CliUsageException(layered.Errors[0].Message) : (layered, sources);
    }

    /// <summary>
    /// The effective configuration as JSON, secrets redacted (a token's value, a user's password):
    /// each setting's value under <c>settings</c>, where it came from under <c>sources</c>.
    /// </summary>
    public static string Describe(ParseResult parse, Command command, IReadOnlyDictionary<string, string> sources, IReadOnlySet<string> secretOptions)
    {
        var settings = new JsonObject();
        foreach (var option in Layered(parse, command))
        {
            string key = KeyOf(option);
            object? value = parse.GetResult(option)?.GetValueOrDefault<object?>();
            settings[key] = value switch
            {
                null => null,
                string[] values => new JsonArray([.. values.Select(v => (JsonNode?)(secretOptions.Contains(option.Name) ? Redact(v) : v))]),
                string text => secretOptions.Contains(option.Name) ? Redact(text) : text,
                bool flag => flag,
                double number => number,
                int number => number,
                _ => Convert.ToString(value, CultureInfo.InvariantCulture),
            };
        }

        var description = new JsonObject
        {
            ["settings"] = settings,
            ["sources"] = new JsonObject([.. sources.Select(s => new KeyValuePair<string, JsonNode?>(s.Key, s.Value))]),
        };
        return description.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>An option as an error names it: with where its value came from, unless it was typed.</summary>
    public static string Label(Option option, IReadOnlyDictionary<string, string> sources)
    {
        ArgumentNullException.ThrowIfNull(option);
        ArgumentNullException.ThrowIfNull(sources);
        return sources.TryGetValue(KeyOf(option), out string? source) && source != CommandLine ? $"{option.Name} (from {source})" : option.Name;
    }

    // TOKEN:ROLE keeps its role, USER:PASSWORD:ROLE its user and role; a file path or anything else is shown as it is.
    private static string Redact(string value)
    {
        string[] parts = value.Split(':');
        return parts.Length switch
        {
            2 => $"***:{parts[1]}",
            3 => $"{parts[0]}:***:{parts[2]}",
            _ => "***",
        };
    }

    private static IEnumerable<Option> Layered(ParseResult parse, Command command) =>
        command.Options.Concat(parse.RootCommandResult.Command.Options.Where(o => o.Recursive))
            .Where(o => !NotLayered.Contains(o.Name) && o.Name.StartsWith("--", StringComparison.Ordinal))
            .DistinctBy(o => o.Name);

    private static string KeyOf(Option option) => option.Name.TrimStart('-');

    private static bool IsRepeatable(Option option) => option.Arity.MaximumNumberOfValues > 1;

    private static Dictionary<string, JsonElement> ReadFile(string path, Command command)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException($"--config {path}: {e.Message}", e);
        }
        catch (JsonException e)
        {
            throw new CliUsageException($"--config {path}: not JSON ({e.Message})", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CliUsageException($"--config {path}: not a JSON object of settings");
            }

            var keys = command.Options.Select(KeyOf).Append("repo").ToHashSet(StringComparer.Ordinal);
            var settings = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!keys.Contains(property.Name) || NotLayered.Contains("--" + property.Name))
                {
                    throw new CliUsageException($"--config {path}: unknown setting '{property.Name}' (the settings are serve's options without their dashes; docs/configuration.md)");
                }

                settings[property.Name] = property.Value.Clone();
            }

            return settings;
        }
    }

    private static string[] ValuesOf(JsonElement element, string key, string path) => element.ValueKind switch
    {
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Number => [element.GetRawText()],
        JsonValueKind.True => ["true"],
        JsonValueKind.False => ["false"],
        JsonValueKind.Array => [.. element.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new CliUsageException($"'{key}' in {path}: every value of a list is a string"))],
        _ => throw new CliUsageException($"'{key}' in {path}: a string, a number, true, false or a list of strings, not {element.ValueKind}"),
    };
}
