using ArrowCid.SharedMemory.Native;

namespace ArrowCid.SharedMemory.Tests;

/// <summary>
/// A store's folder is its user's (issue 65): one another user made first, one others may read or
/// write, or a symbolic link in its place is refused with an error naming the problem, never used.
/// </summary>
public sealed class StorePrivacyTests : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    private string StoreFolder => Path.Combine(_temp.BaseDirectory, "test");

    [Fact]
    public void A_new_store_is_made_700_and_opens_again()
    {
        using (_temp.Open())
        {
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(StoreFolder) & ~UnixFileMode.StickyBit);
        using var again = _temp.Open();
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute, "777")]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute, "755")]
    public void A_folder_others_may_open_is_refused_naming_its_mode(UnixFileMode mode, string octal)
    {
        Directory.CreateDirectory(StoreFolder);
        File.SetUnixFileMode(StoreFolder, mode);
        var refused = Assert.Throws<ShmFolderRefusedException>(() => _temp.Open());
        Assert.Contains($"has mode {octal}", refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(StoreFolder, "control")), "nothing is created in a refused folder");
    }

    [Fact]
    public void A_store_shared_with_its_group_may_be_750_but_not_group_writable()
    {
        var shared = _temp.Options() with { GroupReadable = true };
        using (ShmStore.Open(shared))
        {
        }

        File.SetUnixFileMode(StoreFolder, File.GetUnixFileMode(StoreFolder) | UnixFileMode.GroupWrite);
        Assert.Contains("750 (shared with its group)", Assert.Throws<ShmFolderRefusedException>(() => ShmStore.Open(shared)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_symbolic_link_in_the_stores_place_is_refused()
    {
        string elsewhere = Path.Combine(_temp.BaseDirectory, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        File.SetUnixFileMode(elsewhere, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateSymbolicLink(StoreFolder, elsewhere);
        Assert.Contains("is a symbolic link", Assert.Throws<ShmFolderRefusedException>(() => _temp.Open()).Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere));
    }

    [Fact]
    public void A_folder_another_user_made_first_is_refused()
    {
        // Giving a folder away takes root, which CI runs as; anyone else checks a folder root owns.
        if (LinuxNative.EffectiveUserId() != 0)
        {
            Assert.Contains("/ belongs to user 0", Assert.Throws<ShmFolderRefusedException>(() => LinuxNative.CheckPrivateFolder("/", groupReadable: false)).Message, StringComparison.Ordinal);
            return;
        }

        Directory.CreateDirectory(StoreFolder);
        File.SetUnixFileMode(StoreFolder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.Equal(0, Chown(StoreFolder, 65534, 65534));
        var refused = Assert.Throws<ShmFolderRefusedException>(() => _temp.Open());
        Assert.Contains("belongs to user 65534, not to this user (0)", refused.Message, StringComparison.Ordinal);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    private static extern int Chown([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, int owner, int group);
}
