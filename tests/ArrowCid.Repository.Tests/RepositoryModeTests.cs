using ArrowCid.TestSupport;
using static ArrowCid.Registry.Tests.Support.TestBlocks;

namespace ArrowCid.Repository.Tests;

/// <summary>
/// A repository folder is its user's alone, 0700, whatever the umask (issue 65: under umask 022
/// every local user could read the blocks and copy the registry), and an existing one is tightened.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class RepositoryModeTests : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_new_repository_is_700_and_so_nothing_in_it_is_reachable_by_other_users()
    {
        string root = Path.Combine(_folder.Path, "repo");
        using (var repository = new LocalRepository(root))
        {
            var (cid, bytes) = RandomBatch(new Random(7));
            repository.PutBlock(cid, bytes, BatchRecord(cid));
        }

        Assert.Equal(Private, File.GetUnixFileMode(root));
    }

    [Fact]
    public void Every_file_a_repository_makes_is_600_and_every_folder_700_whatever_the_umask()
    {
        // The test host's umask is 022: files would be 0644 and folders 0755 by it.
        string root = Path.Combine(_folder.Path, "files");
        using (var repository = new LocalRepository(root, new LocalRepositoryOptions { PackThreshold = 4096 }))
        {
            var random = new Random(8);
            for (int i = 0; i < 4; i++)
            {
                var (cid, bytes) = RandomBatch(random);
                repository.PutBlock(cid, bytes, BatchRecord(cid));
            }

            byte[] large = new byte[64 << 10];
            random.NextBytes(large);
            var largeCid = ArrowCid.Content.Multiformats.Cid.ForRaw(large);
            repository.PutBlock(largeCid, large, BatchRecord(largeCid));
        }

        var open = new List<string>();
        foreach (string path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories))
        {
            var mode = File.GetUnixFileMode(path) & ~(UnixFileMode.StickyBit | UnixFileMode.SetGroup | UnixFileMode.SetUser);
            var expected = Directory.Exists(path) ? Private : UnixFileMode.UserRead | UnixFileMode.UserWrite;
            if ((mode & ~expected) != 0)
            {
                open.Add($"{Path.GetRelativePath(root, path)} {Convert.ToString((int)mode, 8)}");
            }
        }

        Assert.True(open.Count == 0, string.Join('\n', open));
    }

    [Fact]
    public void An_existing_repository_others_could_read_is_tightened_on_open()
    {
        string root = Path.Combine(_folder.Path, "old");
        using (new LocalRepository(root))
        {
        }

        File.SetUnixFileMode(root, Private | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        using (new LocalRepository(root))
        {
        }

        Assert.Equal(Private, File.GetUnixFileMode(root));
    }
}
