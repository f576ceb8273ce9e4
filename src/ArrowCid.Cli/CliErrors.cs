using ArrowCid.Arrow;
using ArrowCid.Content;
using ArrowCid.Content.Stores;

namespace ArrowCid.Cli;

/// <summary>The exit codes of every command.</summary>
internal static class ExitCodes
{
    /// <summary>Success (and, for validate, "the data match").</summary>
    public const int Ok = 0;

    /// <summary>The command ran and failed: bad input, a mismatch, an I/O error.</summary>
    public const int Failure = 1;

    /// <summary>The command line itself is wrong.</summary>
    public const int Usage = 2;

    /// <summary>Something failed that no input should cause (a bug): one line, the trace under <c>--verbose</c>.</summary>
    public const int Internal = 3;
}

/// <summary>An expected failure whose message is shown to the user as it is (one line, no stack trace).</summary>
internal sealed class CliException : Exception
{
    public CliException(string message) : base(message) { }

    public CliException(string message, Exception innerException) : base(message, innerException) { }

    public CliException() : base("command failed") { }
}

/// <summary>A command line (or the configuration that stands in for it) that is wrong: one line, exit code 2.</summary>
internal sealed class CliUsageException : Exception
{
    public CliUsageException(string message) : base(message) { }

    public CliUsageException(string message, Exception innerException) : base(message, innerException) { }

    public CliUsageException() : base("the command line is wrong") { }
}

/// <summary>Turns the exceptions that bad input or the file system cause into one-line messages.</summary>
internal static class CliErrors
{
    /// <summary>Whether <paramref name="exception"/> is a failure the user caused or can fix (so no stack trace).</summary>
    public static bool IsExpected(Exception exception) => exception is
        CliException or Bench.BenchmarkException or ArrowFormatException or ContentFormatException or BlockNotFoundException or IncompleteTableException or IOException
            or UnauthorizedAccessException or DllNotFoundException or TimeoutException
            or Sql.SqlException or Names.NameChainException or Registry.DatasetNotFoundException or Registry.InvalidDatasetNameException or Repository.Export.TableSchemaMismatchException
        || Repository.StorageFaults.MayBeFull(exception) || Repository.StorageFaults.IsRegistryDamaged(exception);

    /// <summary>The one-line text of an expected failure.</summary>
    public static string Describe(Exception exception) => OneLine(exception switch
    {
        // Said before the exception's own text, which names a staging file or SQLite's code.
        _ when Repository.StorageFaults.IsFull(exception) =>
            "the disk is full: free space on it (arrowcid gc removes what no pin or name keeps) and run the command again",
        _ when Repository.StorageFaults.MayBeFull(exception) =>
            "the registry's database could not be read or written (SQLite: disk I/O error): if the disk is full, free space on it and run the command again; else check the disk",
        _ when Repository.StorageFaults.IsRegistryDamaged(exception) =>
            "the repository's registry (registry.db in the repository folder) is damaged or not a database: run 'arrowcid verify --repair --rebuild-registry', which moves it to quarantine/ and rebuilds every row, name, version, tag and pin from the packs' log and the registry journal",
        // Unknown content: the CID is all the user gave, so it is all the message needs.
        BlockNotFoundException { Cid: { } cid } => $"not found: {cid}",
        IncompleteTableException { Table: { } table, Missing: { } missing } =>
            $"table {table} is incomplete here: its block {missing} is missing (was it imported from a CAR without its base? import the base, then that CAR again); nothing was written",
        Names.NameChainException e => $"the name does not verify ({e.Code}): {e.Message}",
        FileNotFoundException => "no such file",
        DirectoryNotFoundException => "no such directory",
        // Names the folder and what is wrong with it: "permission denied" would hide both.
        SharedMemory.ShmFolderRefusedException e => e.Message,
        UnauthorizedAccessException => "permission denied",
        // A codec's native library (liblz4, libzstd) is missing from this machine.
        DllNotFoundException e => $"a native library is missing: {e.Message}",
        _ => exception.Message,
    });

    /// <summary>Runs <paramref name="action"/>; an expected failure is re-thrown naming <paramref name="subject"/> (a path, "stdin").</summary>
    public static T About<T>(string subject, Func<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            return action();
        }
        catch (Exception e) when (IsExpected(e) && e is not CliException)
        {
            throw new CliException($"{subject}: {Describe(e)}", e);
        }
    }

    /// <summary>
    /// The line for a failure no input should cause: its message (the innermost's when it wraps
    /// another) and what to do; under <c>--verbose</c> the whole exception follows.
    /// </summary>
    public static string DescribeUnexpected(Exception exception, bool verbose)
    {
        ArgumentNullException.ThrowIfNull(exception);
        Exception cause = exception is System.Reflection.TargetInvocationException or AggregateException && exception.InnerException is { } inner ? inner : exception;
        return verbose
            ? $"internal error: {cause}"
            : $"internal error: {OneLine(cause.Message)} (a bug: run again with --verbose for the trace, and report it)";
    }

    /// <summary>Writes <c>arrowcid: message</c> on one line of <paramref name="error"/>.</summary>
    public static void Report(TextWriter error, string message)
    {
        ArgumentNullException.ThrowIfNull(error);
        error.WriteLine($"arrowcid: {OneLine(message)}");
        error.Flush();
    }

    private static string OneLine(string text) =>
        text.ReplaceLineEndings(" ").Trim();
}
