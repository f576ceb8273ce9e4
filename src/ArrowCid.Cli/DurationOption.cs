using System.CommandLine;
using System.Globalization;

namespace ArrowCid.Cli;

/// <summary>
/// Options that take a length of time: a number with a unit (<c>500ms</c>, <c>30s</c>, <c>10m</c>,
/// <c>1h</c>), a bare number of seconds, or <c>0</c> for no limit (then the value is
/// <see cref="TimeSpan.Zero"/>).
/// </summary>
internal static class DurationOption
{
    /// <summary>An option named <paramref name="name"/> holding a duration (zero for no limit), <paramref name="defaultValue"/> when absent.</summary>
    public static Option<TimeSpan> Create(string name, string description, string defaultValue, bool recursive = false) => new(name)
    {
        Description = $"{description} (e.g. 500ms, 30s, 10m, 1h; 0 for none; default {defaultValue})",
        HelpName = "DURATION",
        Recursive = recursive,
        DefaultValueFactory = _ => Parse(defaultValue),
        CustomParser = result =>
        {
            string text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Empty;
            if (TryParse(text, out TimeSpan value))
            {
                return value;
            }

            result.AddError($"{name}: '{text}' is not a duration such as 500ms, 30s, 10m or 1h (0 for none)");
            return TimeSpan.Zero;
        },
    };

    /// <summary>Parses a duration; <c>0</c> (in any unit) gives <see cref="TimeSpan.Zero"/>, meaning no limit.</summary>
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        text = text.Trim();
        (string number, double unit) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1.0),
            _ when text.EndsWith('m') => (text[..^1], 60.0),
            _ when text.EndsWith('h') => (text[..^1], 3600.0),
            _ => (text, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double amount) || double.IsInfinity(amount) || amount * unit > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(amount * unit);
        return true;
    }

    private static TimeSpan Parse(string text) =>
        TryParse(text, out TimeSpan value) ? value : throw new ArgumentException($"bad default duration {text}", nameof(text));
}
