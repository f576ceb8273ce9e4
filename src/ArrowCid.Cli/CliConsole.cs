namespace ArrowCid.Cli;

/// <summary>
/// The standard streams a command may use. Text goes through <see cref="Out"/> and
/// <see cref="Error"/>; commands that move Arrow bytes (stream-to-file, convert to <c>-</c>) use the
/// binary <see cref="Input"/> and <see cref="Output"/>. Tests pass memory streams and string writers.
/// </summary>
internal sealed class CliConsole
{
    public CliConsole(TextWriter output, TextWriter error, Stream? binaryInput = null, Stream? binaryOutput = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        Out = output;
        Error = error;
        Input = binaryInput ?? Stream.Null;
        Output = binaryOutput ?? Stream.Null;
    }

    /// <summary>Text output (stdout).</summary>
    public TextWriter Out { get; }

    /// <summary>Diagnostics (stderr).</summary>
    public TextWriter Error { get; }

    /// <summary>Binary stdin.</summary>
    public Stream Input { get; }

    /// <summary>Binary stdout; text written to <see cref="Out"/> is flushed before anything is written here.</summary>
    public Stream Output { get; }

    /// <summary>Whether a person is watching (stdout is a terminal): long operations then show progress on stderr.</summary>
    public bool IsTerminal { get; init; }

    /// <summary>Whether stdout is a terminal, where binary output would only garble the screen.</summary>
    public bool IsOutputTerminal { get; init; }

    /// <summary>Told (done so far, the whole or null) at every step of a progress bar, shown or not: how tests watch progress advance.</summary>
    public Action<double, double?>? ProgressObserver { get; init; }

    /// <summary>The process's own streams.</summary>
    public static CliConsole System() =>
        new(Console.Out, Console.Error, Console.OpenStandardInput(), Console.OpenStandardOutput())
        {
            IsTerminal = !Console.IsOutputRedirected && !Console.IsErrorRedirected,
            IsOutputTerminal = !Console.IsOutputRedirected,
        };
}
