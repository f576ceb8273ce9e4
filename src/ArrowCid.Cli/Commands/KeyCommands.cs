using System.CommandLine;
using System.Security.Cryptography;
using ArrowCid.Names;
using ArrowCid.Repository;
using ArrowCid.Wire;

namespace ArrowCid.Cli.Commands;

/// <summary>
/// <c>arrowcid key gen|list|export|import|rm</c>: the keys that sign names (issue 68), as Kubo's
/// <c>ipfs key</c> keeps them: 0600 files of libp2p protobuf private keys in the repository's
/// <c>keys/</c>, the node's identity as <c>self</c>.
/// </summary>
internal static class KeyCommands
{
    public static Command Create(CliConsole console, RepositoryOption repository)
    {
        var command = new Command("key", "The keys that sign names: each an Ed25519 key kept 0600 in the repository, named by its IPNS name (k51…); 'self' is the node's identity");
        command.Subcommands.Add(Generate(console, repository));
        command.Subcommands.Add(List(console, repository));
        command.Subcommands.Add(Export(console, repository));
        command.Subcommands.Add(Import(console, repository));
        command.Subcommands.Add(Remove(console, repository));
        return command;
    }

    private static Command Generate(CliConsole console, RepositoryOption repository)
    {
        var name = NameArgument();
        var json = JsonOption();
        var command = new Command("gen", "Make a key") { name, json };
        command.SetAction(parse =>
        {
            string key = parse.GetRequiredValue(name);
            var made = Keys(parse, repository, store => store.Generate(key));
            Print(console, parse.GetValue(json), [new KeyReport(key, made.ToString())]);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List(CliConsole console, RepositoryOption repository)
    {
        var json = JsonOption();
        var command = new Command("list", "Every key with its IPNS name, 'self' first") { json };
        command.SetAction(parse =>
        {
            var keys = Keys(parse, repository, store => store.List());
            Print(console, parse.GetValue(json), [.. keys.Select(k => new KeyReport(k.Name, k.IpnsName.ToString()))]);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Export(CliConsole console, RepositoryOption repository)
    {
        var name = NameArgument();
        var output = new Option<string>("--output", "-o") { Description = "The file to write (0600): the key's libp2p protobuf private key, as Kubo's 'key import' reads it", HelpName = "FILE", Required = true };
        var command = new Command("export", "Write a key to a file, for another repository or Kubo") { name, output };
        command.SetAction(parse =>
        {
            string path = parse.GetRequiredValue(output);
            byte[] key = Keys(parse, repository, store => store.Export(parse.GetRequiredValue(name)));
            try
            {
                CliErrors.About(path, () =>
                {
                    var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                    if (!OperatingSystem.IsWindows())
                    {
                        options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                    }

                    using var file = new FileStream(path, options);
                    file.Write(key);
                    return 0;
                });
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }

            console.Out.WriteLine($"wrote key {parse.GetRequiredValue(name)} to {path}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Import(CliConsole console, RepositoryOption repository)
    {
        var name = NameArgument();
        var file = new Argument<string>("FILE") { Description = "A libp2p protobuf private key (what 'key export' and Kubo's 'key export' write)" };
        var json = JsonOption();
        var command = new Command("import", "Keep a key from a file under a name") { name, file, json };
        command.SetAction(parse =>
        {
            string path = parse.GetRequiredValue(file);
            byte[] bytes = CliErrors.About(path, () => File.ReadAllBytes(path));
            try
            {
                string key = parse.GetRequiredValue(name);
                var imported = Keys(parse, repository, store => store.Import(key, bytes));
                Print(console, parse.GetValue(json), [new KeyReport(key, imported.ToString())]);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(bytes);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Remove(CliConsole console, RepositoryOption repository)
    {
        var name = NameArgument();
        var command = new Command("rm", "Remove a key (never 'self')") { name };
        command.SetAction(parse =>
        {
            string key = parse.GetRequiredValue(name);
            Keys(parse, repository, store =>
            {
                store.Remove(key);
                return 0;
            });
            console.Out.WriteLine($"removed key {key}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Argument<string> NameArgument() => new("NAME") { Description = "The key's name: 1 to 64 letters, digits, '.', '_' or '-'" };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON: [{\"name\", \"ipns_name\"}]" };

    // The repository's keys; what is wrong with a name or a key file is the command's one-line error.
    private static T Keys<T>(ParseResult parse, RepositoryOption repository, Func<NameKeyStore, T> use)
    {
        string folder = LocalRepository.ResolvePath(parse.GetValue(repository.Option));
        using (repository.Open(parse))
        {
            // Opened first: the folder is a repository (made if new), as every command's is.
        }

        try
        {
            return use(new NameKeyStore(folder));
        }
        catch (Exception e) when (e is ArgumentException or KeyNotFoundException or FormatException)
        {
            throw new CliException($"key: {e.Message}");
        }
    }

    private static void Print(CliConsole console, bool json, IReadOnlyList<KeyReport> keys)
    {
        if (json)
        {
            console.Out.WriteLine(WireJson.ToIndentedText(keys, WireJsonContext.Default.IReadOnlyListKeyReport));
            return;
        }

        foreach (var key in keys)
        {
            console.Out.WriteLine($"{key.IpnsName} {key.Name}");
        }
    }
}
