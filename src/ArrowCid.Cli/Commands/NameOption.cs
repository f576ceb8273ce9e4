using System.CommandLine;
using ArrowCid.Registry;

namespace ArrowCid.Cli.Commands;

/// <summary>The <c>--name NAME</c> option of the commands that put a dataset; a name that breaks the rules is a usage error.</summary>
internal static class NameOption
{
    public static Option<string?> Create(string description)
    {
        var option = new Option<string?>("--name") { Description = description, HelpName = "NAME" };
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && !DatasetName.IsValid(result.Tokens[0].Value))
            {
                result.AddError($"--name: {DatasetName.Problem(result.Tokens[0].Value)}");
            }
        });
        return option;
    }

    /// <summary><c>--force-version</c>: with <c>--name</c>, a version even for the table the name's latest already names.</summary>
    public static Option<bool> ForceVersion() =>
        new("--force-version") { Description = "With --name: add a version even when the table is the name's latest version already" };

    /// <summary>The line a put under a name prints: the version, and whether it was added or the content was unchanged.</summary>
    /// <param name="name">The name.</param>
    /// <param name="version">The version it names the table as.</param>
    /// <param name="added">Whether the put added it; false when the name's latest version already named the table; null when unknown (an older node).</param>
    public static string VersionLine(string name, long? version, bool? added) =>
        added == false
            ? $"version {DatasetReference.Format(name, version)} (unchanged: already this table; --force-version adds one)"
            : $"version {DatasetReference.Format(name, version)}";
}
