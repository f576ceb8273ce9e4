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
}
