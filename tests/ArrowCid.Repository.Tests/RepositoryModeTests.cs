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
        PutSome(root);

        // Linux copies a parent's set-group-id bit to new folders; the test folder has none.
        Assert.Empty(ModesOtherThan(root, UnixFileMode.UserRead | UnixFileMode.UserWrite, Private));
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

    private const UnixFileMode Shared = Private | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.SetGroup;

    [Fact]
    public void A_repository_an_operator_shared_with_a_group_gives_the_group_every_file_and_folder_it_makes()
    {
        // chmod 2770: the group (the test user's own here) may read and write, as git's sharedRepository=group.
        string root = Path.Combine(_folder.Path, "shared");
        Directory.CreateDirectory(root);
        File.SetUnixFileMode(root, Shared);
        PutSome(root);

        Assert.Equal(Shared, File.GetUnixFileMode(root));
        Assert.Empty(ModesOtherThan(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, Shared));
    }

    [Fact]
    public void A_repository_shared_after_it_was_made_gives_the_group_what_it_held_once_and_never_other_users()
    {
        string root = Path.Combine(_folder.Path, "later");
        PutSome(root);
        Assert.Equal(Private, File.GetUnixFileMode(root));

        // Shared read-only (2750), carelessly with other users' bits too: those go, the group's stay.
        const UnixFileMode ReadShared = Private | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.SetGroup;
        File.SetUnixFileMode(root, ReadShared | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        using (new LocalRepository(root))
        {
        }

        Assert.Equal(ReadShared, File.GetUnixFileMode(root));
        Assert.Empty(ModesOtherThan(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, ReadShared));

        // Private again: the folder alone is tightened, which puts everything inside out of the group's reach.
        File.SetUnixFileMode(root, Private | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        using (new LocalRepository(root))
        {
        }

        Assert.Equal(Private, File.GetUnixFileMode(root));
    }

    private static void PutSome(string root)
    {
        using var repository = new LocalRepository(root, new LocalRepositoryOptions { PackThreshold = 4096 });
        var random = new Random(9);
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

    private static List<string> ModesOtherThan(string root, UnixFileMode file, UnixFileMode folder)
    {
        var wrong = new List<string>();
        foreach (string path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories))
        {
            var mode = File.GetUnixFileMode(path);
            if (mode != (Directory.Exists(path) ? folder : file))
            {
                wrong.Add($"{Path.GetRelativePath(root, path)} {Convert.ToString((int)mode, 8)}");
            }
        }

        return wrong;
    }
}
