using System.Diagnostics;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>
/// A reader/writer lock between every thread and process using one repository, held on a lock
/// file with flock(2) (how .NET maps FileShare on Unix): writers of new content take it shared,
/// so they run side by side; garbage collection and repair take it exclusive, so they never see a
/// block whose registry row is still being written and mistake it for an orphan. The kernel drops
/// the lock when a holder dies, so a killed process never leaves the repository locked.
/// </summary>
internal sealed class RepositoryLock
{
    private readonly string _path;
    private readonly TimeSpan _timeout;

    public RepositoryLock(string path, TimeSpan timeout)
    {
        _path = path;
        _timeout = timeout;
        using (new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete))
        {
        }
    }

    /// <summary>Held by operations that may run together (puts, pins, reads that must not race a collection).</summary>
    public IDisposable Shared() => Acquire(FileAccess.Read, FileShare.ReadWrite);

    /// <summary>Held by operations that must run alone (garbage collection, repair).</summary>
    public IDisposable Exclusive() => Acquire(FileAccess.ReadWrite, FileShare.None);

    private FileStream Acquire(FileAccess access, FileShare share)
    {
        var clock = Stopwatch.StartNew();
        int delay = 1;
        while (true)
        {
            try
            {
                return new FileStream(_path, FileMode.Open, access, share, bufferSize: 0);
            }
            catch (IOException) when (clock.Elapsed < _timeout)
            {
                // The lock is taken non-blocking; back off briefly and try again.
                Thread.Sleep(delay);
                delay = Math.Min(delay * 2, 50);
            }
        }
    }
}
