using System.CommandLine;
using System.Globalization;

namespace ArrowCid.Samples;

/// <summary>
/// What the samples' command lines share, parsed with System.CommandLine as the <c>arrowcid</c>
/// command's: <c>--help</c> describes every option; a bad argument is one line on stderr and exit 2,
/// and nothing runs.
/// </summary>
internal static class SampleCommandLine
{
    /// <summary>Parses; on a bad argument prints one line and returns 2; else runs the command.</summary>
    public static int Invoke(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            Console.Error.WriteLine($"{root.Name}: {string.Join("; ", parse.Errors.Select(e => e.Message.TrimEnd('.')))} (see '{root.Name} --help')");
            return 2;
        }

        return parse.Invoke();
    }

    /// <summary><c>--tag KEY=VALUE</c>, repeatable.</summary>
    public static Option<string[]> TagOption(string description)
    {
        var option = new Option<string[]>("--tag") { Description = description, HelpName = "KEY=VALUE" };
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Where(t => !t.Value.Contains('=', StringComparison.Ordinal) || t.Value.StartsWith('=')))
            {
                result.AddError($"--tag {token.Value}: expected KEY=VALUE");
            }
        });
        return option;
    }

    /// <summary>The tags the option gave.</summary>
    public static Dictionary<string, string> Tags(string[]? tags) =>
        (tags ?? []).Select(t => t.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    /// <summary>Refuses a negative number.</summary>
    public static Option<T> NonNegative<T>(Option<T> option)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && long.TryParse(result.Tokens[0].Value, CultureInfo.InvariantCulture, out long n) && n < 0)
            {
                result.AddError($"{option.Name} must be 0 or more");
            }
        });
        return option;
    }
}
