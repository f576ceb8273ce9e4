using System.Globalization;

namespace ArrowCid.Cli;

/// <summary>Words the CLI prints with a number: "1 batch", "2 batches", never "1 batch(es)".</summary>
internal static class CliText
{
    /// <summary><paramref name="count"/> and the noun, singular for one, else <paramref name="plural"/> (the singular plus "s" when not given).</summary>
    public static string Count(long count, string singular, string? plural = null) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {(count == 1 ? singular : plural ?? singular + "s")}");
}
