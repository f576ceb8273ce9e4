using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Ingest;

namespace ArrowCid.Cli;

/// <summary>
/// An Arrow IPC input named on the command line: a path or <c>-</c> for stdin, in the file format
/// (detected by the ARROW1 magic) or the stream format, read through the one input dispatch
/// (<see cref="TableInput"/>): files on disk are memory-mapped, streams read one message at a
/// time, so inputs of any size pass through without being loaded whole. Every failure names the input.
/// </summary>
internal sealed class IpcSource : IDisposable
{
    /// <summary>The argument that means stdin (or stdout for outputs).</summary>
    public const string StandardStream = "-";

    private readonly TableInput _input;

    private IpcSource(string name, TableInput input)
    {
        Name = name;
        _input = input;
    }

    /// <summary>The path, or "stdin".</summary>
    public string Name { get; }

    /// <summary>Whether the input is in the IPC file format (else the stream format).</summary>
    public bool IsFileFormat => _input.Format == TableInputFormat.Arrow;

    /// <summary>The number of record batches, known up front only for the file format.</summary>
    public int? BatchCount => IsFileFormat ? (int?)_input.ProgressTotal : null;

    /// <summary>The input's schema.</summary>
    public Schema Schema => _input.Schema;

    /// <summary>Opens <paramref name="path"/> (or stdin for <c>-</c>) and reads its schema.</summary>
    public static IpcSource Open(string path, CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(console);
        string name = path == StandardStream ? "stdin" : path;
        return CliErrors.About(name, () => new IpcSource(name, Inputs.BatchInput.OpenTableInput(path, console, TableInputFormat.Arrow)));
    }

    /// <summary>The next record batch (the caller disposes it), or null after the last.</summary>
    public RecordBatch? ReadNext() => CliErrors.About(Name, _input.ReadNext);

    /// <inheritdoc/>
    public void Dispose() => _input.Dispose();
}
