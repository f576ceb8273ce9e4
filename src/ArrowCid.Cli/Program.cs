using System.CommandLine;
using ArrowCid.Cli.Commands;

namespace ArrowCid.Cli;

/// <summary>The <c>arrowcid</c> command: parses the command line and maps failures to exit codes.</summary>
internal static class Program
{
    private static int Main(string[] args) => Run(args, CliConsole.System());

    /// <summary>
    /// Runs one command line against <paramref name="console"/>: 0 on success, 1 when the command
    /// fails (a one-line message on stderr), 2 when the command line is wrong, 3 when something
    /// failed that no input should cause (one line too; the trace only under <c>--verbose</c>).
    /// </summary>
    public static int Run(string[] args, CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(console);
        var parse = CreateRootCommand(console).Parse(args);
        // An unknown option is a usage error on every command, also where the parser took it for a
        // file name (commands whose arguments take values).
        var errors = UnknownOptions.Find(parse).Concat(parse.Errors.Select(e => e.Message.TrimEnd('.'))).ToList();
        if (errors.Count > 0)
        {
            // All on one line: "unrecognized 'x'" often comes second, after "required command missing".
            CliErrors.Report(console.Error, $"{string.Join("; ", errors)} (see '{CommandPath(parse.CommandResult)} --help')");
            return ExitCodes.Usage;
        }

        try
        {
            return parse.Invoke(new InvocationConfiguration
            {
                Output = console.Out,
                Error = console.Error,
                // Expected failures become one line below; anything else is a bug and keeps its stack trace.
                EnableDefaultExceptionHandler = false,
            });
        }
        catch (CliUsageException e)
        {
            CliErrors.Report(console.Error, e.Message);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (CliErrors.IsExpected(e))
        {
            CliErrors.Report(console.Error, CliErrors.Describe(e));
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            bool verbose = parse.GetValue<bool>(VerboseName);
            string line = CliErrors.DescribeUnexpected(e, verbose);
            if (verbose)
            {
                console.Error.WriteLine($"arrowcid: {line}");
                console.Error.Flush();
            }
            else
            {
                CliErrors.Report(console.Error, line);
            }

            return ExitCodes.Internal;
        }
        finally
        {
            console.Out.Flush();
        }
    }

    // "arrowcid flight put": the command the line reached, whose help tells what it takes.
    private static string CommandPath(System.CommandLine.Parsing.CommandResult? command)
    {
        var names = new List<string>();
        for (var at = command; at is not null; at = at.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Add(at.Parent is null ? "arrowcid" : at.Command.Name);
        }

        names.Reverse();
        return names.Count == 0 ? "arrowcid" : string.Join(' ', names);
    }

    /// <summary><c>--verbose</c>, on every command: the whole exception when a command fails unexpectedly.</summary>
    private const string VerboseName = "--verbose";

    /// <summary>The root command with every subcommand (tests walk it to check each one).</summary>
    internal static RootCommand CreateRootCommand(CliConsole console)
    {
        var repository = new RepositoryOption();
        var root = new RootCommand("arrowcid: exchange Apache Arrow record batches by content")
        {
            repository.Option,
            new Option<bool>(VerboseName)
            {
                Description = "When a command fails unexpectedly, print the whole exception (stack trace) instead of one line",
                Recursive = true,
            },
            IpcCommands.Create(console),
            IntegrationCommands.Create(console),
            QuickstartCommand.Create(console, repository),
            SampleCommand.Create(console),
            HttpBenchCommand.AddBench(ParquetCommands.AddBench(FlightCommands.AddBench(ShmCommands.AddBench(BenchCommands.Create(console), console), console), console), console),
            ShmCommands.Create(console),
            FlightCommands.Create(console, repository),
            ServeCommand.Create(console, repository),
            ParquetCommands.AddExport(CarCommands.Export(console, repository), console, repository),
            CarCommands.Import(console, repository),
            SqlCommand.Create(console, repository),
            KeyCommands.Create(console, repository),
            SignedNameCommands.Create(console, repository),
        };
        foreach (var command in ContentCommands.Create(console, repository).Concat(RepositoryCommands.Create(console, repository)))
        {
            root.Subcommands.Add(command);
        }

        return root;
    }
}
