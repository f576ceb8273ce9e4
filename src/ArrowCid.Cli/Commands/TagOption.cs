using System.CommandLine;

namespace ArrowCid.Cli.Commands;

/// <summary>The repeatable <c>--tag k=v</c> option; a value without '=' or with an empty key is a usage error.</summary>
internal static class TagOption
{
    public static Option<string[]> Create(string description)
    {
        var option = new Option<string[]>("--tag")
        {
            Description = description,
            HelpName = "KEY=VALUE",
            AllowMultipleArgumentsPerToken = false,
            Arity = ArgumentArity.ZeroOrMore,
        };
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                if (token.Value.IndexOf('=', StringComparison.Ordinal) <= 0)
                {
                    result.AddError($"--tag '{token.Value}' is not KEY=VALUE");
                }
            }
        });
        return option;
    }

    public static Dictionary<string, string> Parse(string[]? tags)
    {
        var parsed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string tag in tags ?? [])
        {
            int at = tag.IndexOf('=', StringComparison.Ordinal);
            parsed[tag[..at]] = tag[(at + 1)..];
        }

        return parsed;
    }
}
