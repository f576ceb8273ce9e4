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
