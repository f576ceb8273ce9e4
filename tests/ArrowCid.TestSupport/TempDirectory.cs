namespace ArrowCid.TestSupport;

/// <summary>A fresh folder under the system temp folder, removed with everything in it on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    /// <summary>Creates the folder.</summary>
    public TempDirectory()
        : this(System.IO.Path.GetTempPath())
    {
    }

    private TempDirectory(string parent)
    {
        Path = System.IO.Path.Combine(parent, "arrowcid-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    /// <summary>
    /// A folder in memory (/dev/shm, where fsync costs nothing) where there is one, else under the
    /// system temp folder: for tests that sync thousands of times and would otherwise stall every
    /// other test's syncs on the same disk.
    /// </summary>
    public static TempDirectory InMemory() =>
        Directory.Exists("/dev/shm") ? new TempDirectory("/dev/shm") : new TempDirectory();

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>Removes the folder and everything in it.</summary>
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A straggling handle must not fail the test; the OS temp cleaner gets it later.
        }
    }
}
