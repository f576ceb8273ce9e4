using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace ArrowCid.Cli;

/// <summary>
/// Finds option-like tokens that System.CommandLine gave to a command's argument. A token that
/// names no option is an argument value to the parser, so a command taking files read
/// <c>put --bogus data.csv</c> as the file "--bogus". Checked once on the parse result, this covers
/// every command, present and future; after <c>--</c> every token is a value, as usual.
/// </summary>
internal static class UnknownOptions
{
    /// <summary>One usage message per option-like token bound to a command argument before any <c>--</c>.</summary>
    public static IEnumerable<string> Find(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        // The parser hands the same Token instances to the argument results, so identity tells
        // tokens before "--" from equal-looking ones after it.
        var beforeDoubleDash = new HashSet<object>(parse.Tokens.TakeWhile(t => t.Type != TokenType.DoubleDash), ReferenceEqualityComparer.Instance);
        for (SymbolResult? result = parse.CommandResult; result is not null; result = result.Parent)
        {
            if (result is not CommandResult command)
            {
                continue;
            }

            foreach (var argument in command.Children.OfType<ArgumentResult>())
            {
                foreach (var token in argument.Tokens)
                {
                    if (beforeDoubleDash.Contains(token) && LooksLikeOption(token.Value))
                    {
                        yield return $"unknown option '{token.Value}' for '{CommandPath(command)}' (put '--' before a value that starts with '-')";
                    }
                }
            }
        }
    }

    /// <summary>A dash and more, except a lone "-" (stdin/stdout) and negative numbers.</summary>
    private static bool LooksLikeOption(string value) =>
        value.Length > 1 && value[0] == '-' && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static string CommandPath(CommandResult command)
    {
        var names = new Stack<string>();
        for (SymbolResult? result = command; result is CommandResult c; result = result.Parent)
        {
            names.Push(c.Parent is null ? "arrowcid" : c.Command.Name);
        }

        return string.Join(' ', names);
    }
}
