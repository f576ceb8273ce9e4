using System.Diagnostics;

namespace ArrowCid.Repository;

/// <summary>Opens a file under a flock(2) hold (how .NET maps FileShare on Unix), waiting while another holder has it.</summary>
internal static class LockedFile
{
    /// <summary>
    /// Opens <paramref name="path"/>; .NET takes the hold non-blocking, so a refusal is retried with a
    /// short back-off until <paramref name="timeout"/> has passed, then <paramref name="busy"/>'s
    /// exception is thrown. A full disk is not waited out.
    /// </summary>
    public static FileStream Open(string path, FileMode mode, FileAccess access, FileShare share, TimeSpan timeout, Func<IOException, Exception> busy)
    {
        var clock = Stopwatch.StartNew();
        int delay = 1;
        while (true)
        {
            try
            {
                return Arrow.IO.PrivateFiles.Open(path, mode, access, share);
            }
            catch (IOException e) when (!StorageFaults.IsFull(e) && e is not FileNotFoundException and not DirectoryNotFoundException)
            {
                if (clock.Elapsed >= timeout)
                {
                    throw busy(e);
                }

                Thread.Sleep(delay);
                delay = Math.Min(delay * 2, 50);
            }
        }
    }
}
