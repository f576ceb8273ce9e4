namespace ArrowCid.Arrow.IO;

/// <summary>An operation on a file that can fail with a full disk or an I/O error.</summary>
public enum FileOperation
{
    /// <summary>Creating (or opening for writing) a file or folder.</summary>
    Create,

    /// <summary>Writing bytes (or growing a file).</summary>
    Write,

    /// <summary>fsync or fdatasync of a file or a folder.</summary>
    Sync,

    /// <summary>Renaming a file.</summary>
    Rename,

    /// <summary>Mapping a file into memory.</summary>
    Map,

    /// <summary>Deleting (or truncating) a file.</summary>
    Delete,
}

/// <summary>
/// The one seam under the repository's file I/O (docs/reliability.md, "Fault injection"): every
/// write, sync, rename, map, create and delete of the block store, the packs, the journal and the
/// repository's own files calls <see cref="Check"/> first. Nothing is installed in a running node,
/// where a check costs one read of an empty array; tests install a <see cref="FileFaultInjector"/>
/// for a folder and fail the Nth operation under it with ENOSPC or EIO, as SQLite's test suite does.
/// </summary>
public static class FileFaults
{
    private static volatile FileFaultInjector[] s_injectors = [];
    private static readonly object s_gate = new();

    /// <summary>Throws the fault an injector installed for a folder holding <paramref name="path"/> chooses for this operation, if any.</summary>
    /// <param name="operation">What is about to be done.</param>
    /// <param name="path">The file or folder it is done to.</param>
    /// <exception cref="IOException">The injected fault.</exception>
    public static void Check(FileOperation operation, string path)
    {
        var injectors = s_injectors;
        if (injectors.Length == 0)
        {
            return;
        }

        foreach (var injector in injectors)
        {
            if (path.StartsWith(injector.Folder, StringComparison.Ordinal) && injector.Next(operation, path) is { } fault)
            {
                throw fault;
            }
        }
    }

    /// <summary>Installs <paramref name="injector"/> until the result is disposed.</summary>
    /// <param name="injector">What fails, and when.</param>
    /// <returns>The installation, to dispose.</returns>
    public static IDisposable Install(FileFaultInjector injector)
    {
        ArgumentNullException.ThrowIfNull(injector);
        lock (s_gate)
        {
            s_injectors = [.. s_injectors, injector];
        }

        return new Installation(injector);
    }

    private sealed class Installation(FileFaultInjector injector) : IDisposable
    {
        public void Dispose()
        {
            lock (s_gate)
            {
                s_injectors = [.. s_injectors.Where(i => !ReferenceEquals(i, injector))];
            }
        }
    }
}

/// <summary>
/// Counts the file operations under one folder and fails the one numbered <see cref="FailAt"/>
/// (1-based; 0: none, only counting) with <see cref="Fault"/>: ENOSPC (a full disk) or EIO. With
/// <see cref="Persistent"/>, every later operation of the kinds that need space fails too, as on a
/// disk that stays full.
/// </summary>
/// <param name="folder">The folder (absolute) whose operations are counted.</param>
public sealed class FileFaultInjector(string folder)
{
    /// <summary>ENOSPC's errno, as .NET reports it in <see cref="Exception.HResult"/>'s low bits on Unix.</summary>
    public const int NoSpace = 28;

    /// <summary>EIO's errno.</summary>
    public const int InputOutput = 5;

    private long _count;
    private int _failed;

    /// <summary>The folder, ending in a separator.</summary>
    public string Folder { get; } = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)) + Path.DirectorySeparatorChar;

    /// <summary>The operation to fail (1-based); 0 fails none.</summary>
    public long FailAt { get; set; }

    /// <summary>The errno to fail with: <see cref="NoSpace"/> or <see cref="InputOutput"/>.</summary>
    public int Fault { get; set; } = NoSpace;

    /// <summary>Whether, once failed, every later create, write and sync fails too (a disk that stays full).</summary>
    public bool Persistent { get; set; }

    /// <summary>Which operations are counted; null: all.</summary>
    public Func<FileOperation, string, bool>? Counts { get; set; }

    /// <summary>How many operations were counted so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Whether the fault was thrown.</summary>
    public bool Failed => Volatile.Read(ref _failed) != 0;

    /// <summary>The operation that failed and its path, for a failing test's message.</summary>
    public string? LastFailed { get; private set; }

    /// <summary>Counts an operation; the fault to throw for it, or null.</summary>
    internal IOException? Next(FileOperation operation, string path)
    {
        if (Counts is { } counts && !counts(operation, path))
        {
            return null;
        }

        long number = Interlocked.Increment(ref _count);
        bool persisting = Persistent && Failed && operation is FileOperation.Create or FileOperation.Write or FileOperation.Sync;
        if (number != FailAt && !persisting)
        {
            return null;
        }

        Volatile.Write(ref _failed, 1);
        LastFailed = $"{operation} {path}";
        string text = Fault == NoSpace ? "No space left on device" : "Input/output error";

        // The errno goes in HResult, where .NET's own IOExceptions carry it on Unix (StorageFaults reads it there).
        return new IOException($"{text} : '{path}' (injected at operation {number})", Fault);
    }
}
