using System.Globalization;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// A repository on a real full disk (a 6 MiB tmpfs this test mounts; skipped with the reason where the
/// machine does not allow a mount): puts fail with one line and exit 1, and once they do, unpin, gc
/// and verify --repair still work and free space, every table still pinned reads back, and the
/// repository verifies clean.
/// </summary>
public sealed class FullDiskTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();
    private TmpfsMount? _mount;

    public void Dispose()
    {
        _mount?.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void On_a_full_disk_every_command_answers_in_one_line_and_gc_frees_space()
    {
        string disk = _temp.File("disk");
        _mount = TmpfsMount.TryMount(disk, "6m", out string? why);
        if (_mount is null)
        {
            // Mounting needs root (CI runs as root); elsewhere say why and pass.
            output.WriteLine(CiEnvironment.SkipOrFail($"cannot mount a tmpfs: {why}"));
            return;
        }

        string repo = Path.Combine(disk, "repo");
        var acknowledged = new List<string>();
        CliResult? refused = null;
        for (int i = 0; i < 400 && refused is null; i++)
        {
            string csv = _temp.File($"t{i}.csv");
            File.WriteAllLines(csv, ["id,v", .. Enumerable.Range(0, 4000).Select(k => string.Create(CultureInfo.InvariantCulture, $"{k},{(i * 4001L + k) * 0.37}"))]);
            var put = CliRun.Run("put", "--repo", repo, csv);
            if (put.ExitCode == 0)
            {
                acknowledged.Add(CliOutput.Table(put));
            }
            else
            {
                refused = put;
            }
        }

        // The disk filled: one line, the cause and the way out, exit 1.
        Assert.NotNull(refused);
        Assert.Equal(1, refused.ExitCode);
        Assert.Single(CliOutput.Lines(refused.Error));
        Assert.Contains("the disk is full", refused.Error, StringComparison.Ordinal);
        Assert.True(acknowledged.Count >= 10, $"only {acknowledged.Count} puts before the disk filled");

        // The commands that free space work on the full disk. Two thirds unpinned: their pack falls
        // under half alive and is rewritten, which is how gc gives packed space back (half would
        // leave it just over half alive, its dead records kept as tombstoned space).
        var unpinned = acknowledged.Take(acknowledged.Count * 2 / 3).ToList();
        foreach (string cid in unpinned)
        {
            var unpin = CliRun.Run("unpin", "--repo", repo, cid);
            Assert.True(unpin.ExitCode == 0, unpin.Error);
        }

        long freeBefore = new DriveInfo(disk).AvailableFreeSpace;
        var gc = CliRun.Run("gc", "--repo", repo);
        Assert.True(gc.ExitCode == 0, gc.Error);
        Assert.True(new DriveInfo(disk).AvailableFreeSpace > freeBefore + (1 << 20), $"gc freed too little: {gc.Out}");
        var listed = CliRun.Run("ls", "--repo", repo);
        Assert.All(unpinned, cid => Assert.DoesNotContain(cid, listed.Out, StringComparison.Ordinal));
        var repair = CliRun.Run("verify", "--repo", repo, "--repair");
        Assert.True(repair.ExitCode == 0, repair.Error);

        // Nothing acknowledged and kept is lost, and the repository is clean.
        foreach (string cid in acknowledged.Skip(unpinned.Count))
        {
            var get = CliRun.Run("get", "--repo", repo, cid, "-o", _temp.File("back.arrows"));
            Assert.True(get.ExitCode == 0, get.Error);
        }

        var verify = CliRun.Run("verify", "--repo", repo);
        Assert.True(verify.ExitCode == 0, verify.Out + verify.Error);
        Assert.Contains("clean", verify.Out, StringComparison.Ordinal);
    }
}
