using System.CommandLine;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// An option no command knows is a usage error (exit 2, naming it) everywhere, including commands
/// whose arguments take file names, where the parser would otherwise read it as a file.
/// </summary>
public sealed class UnknownOptionTests
{
    public static TheoryData<string> Commands() => [.. CommandPaths()];

    /// <summary>Every command of the tree, as the words that reach it, groups included.</summary>
    private static List<string> CommandPaths()
    {
        using var output = new StringWriter();
        RootCommand root = Program.CreateRootCommand(new CliConsole(output, output, Stream.Null, Stream.Null));
        var paths = new List<string>();
        void Walk(Command command, string path)
        {
            foreach (Command sub in command.Subcommands)
            {
                string words = path.Length == 0 ? sub.Name : $"{path} {sub.Name}";
                paths.Add(words);
                Walk(sub, words);
            }
        }

        Walk(root, string.Empty);
        return paths;
    }

    [Fact]
    public void The_walk_sees_the_commands_that_take_files()
    {
        var commands = CommandPaths();
        Assert.Contains("put", commands);
        Assert.Contains("shm publish", commands);
        Assert.Contains("export parquet", commands);
        Assert.True(commands.Count > 30, $"only {commands.Count} commands");
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void An_unknown_option_is_a_usage_error_naming_it(string command)
    {
        var result = CliRun.Run([.. command.Split(' '), "--bogus"]);

        Assert.True(result.ExitCode == 2, $"'{command} --bogus' exited {result.ExitCode}: {result.Error}{result.Out}");
        Assert.Contains("--bogus", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("put", "--bogus", "data.csv")]
    [InlineData("cid", "data.csv", "--bogus")]
    [InlineData("shm", "publish", "--bogus=1", "a.arrows")]
    [InlineData("export", "car", "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "-x")]
    public void An_unknown_option_among_file_names_is_not_read_as_a_file(params string[] args)
    {
        var result = CliRun.Run(args);

        string option = args.First(a => a.StartsWith('-'));
        Assert.Equal(2, result.ExitCode);
        string line = Assert.Single(result.ErrorLines);
        Assert.Contains($"unknown option '{option}'", line, StringComparison.Ordinal);
        Assert.DoesNotContain("no such file", line, StringComparison.Ordinal);
    }

    [Fact]
    public void After_a_double_dash_a_file_named_like_an_option_is_a_file()
    {
        // A relative name that starts with "--", in the current directory, removed afterwards.
        string name = $"--weird-{Guid.NewGuid():N}.arrows";
        File.Copy(Golden.Stream("1.0.0-littleendian/generated_primitive"), name);
        try
        {
            var taken = CliRun.Run("cid", "--", name);
            Assert.True(taken.ExitCode == 0, taken.Error);
            Assert.Contains("table ", taken.Out, StringComparison.Ordinal);

            var refused = CliRun.Run("cid", name);
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains($"unknown option '{name}'", refused.Error, StringComparison.Ordinal);

            // A lone "-" (stdin) and a negative number are values, not options.
            var stdin = CliRun.RunWithInput(File.ReadAllBytes(name), "cid", "-");
            Assert.True(stdin.ExitCode == 0, stdin.Error);
            Assert.Equal(taken.Out, stdin.Out);
        }
        finally
        {
            File.Delete(name);
        }
    }
}
