using System.CommandLine;
using ArrowCid.Node;
using ArrowCid.Registry;
using ArrowCid.Repository;

namespace ArrowCid.Cli.Commands;

/// <summary>The global <c>--repo DIR</c> option and the opening of the repository it names.</summary>
internal sealed class RepositoryOption
{
    public Option<string?> Option { get; } = new("--repo")
    {
        Description = $"Repository folder (default: ${LocalRepository.EnvironmentVariable}, else ~/.arrowcid)",
        HelpName = "DIR",
        Recursive = true,
    };

    /// <summary>Opens (creating if needed) the repository the command line names; failures name the folder.</summary>
    public ContentRepository Open(ParseResult parse)
    {
        string path = LocalRepository.ResolvePath(parse.GetValue(Option));
        return CliErrors.About(path, () => ContentRepository.Open(path));
    }

    /// <summary>Opens the repository with the registry its node shares, when it remembers one (<see cref="NodeFolder"/>).</summary>
    public NodeFolder OpenNode(ParseResult parse) => NodeFolder.Open(Open(parse));
}
