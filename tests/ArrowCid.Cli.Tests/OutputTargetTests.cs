using System.Diagnostics;
using ArrowCid.Content.Multiformats;
using ArrowCid.TestSupport;
using static ArrowCid.Cli.Tests.CliOutput;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// <c>-o</c> writes into what it names (issue 34): a character device or a FIFO is written into and
/// left as it is, never replaced by the atomic rename that regular files get. The device is made in
/// the test's own folder (the same device as /dev/null: char 1,3), so a regression replaces only it.
/// </summary>
public sealed class OutputTargetTests : IDisposable
{
    private const string Primitive = "1.0.0-littleendian/generated_primitive";
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Repo => _temp.File("repo");

    private CliResult InRepo(params string[] args) => CliRun.Run(["--repo", Repo, .. args]);

    public static TheoryData<string> Commands => new() { "get", "export car", "export parquet", "ipc convert" };

    private static string[] Command(string command, string table, string output) => command switch
    {
        "get" => ["get", table, "-o", output],
        "export car" => ["export", "car", table, "-o", output],
        "export parquet" => ["export", "parquet", table, "-o", output],
        "ipc convert" => ["ipc", "convert", Golden.File(Primitive), output],
        _ => throw new ArgumentOutOfRangeException(nameof(command)),
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Output_onto_a_character_device_writes_into_it_and_leaves_it_a_device(string command)
    {
        string table = Table(InRepo("put", Golden.File(Primitive)));
        string device = _temp.File("null");
        string? skipped = await MakeNodeAsync("mknod", device, "c", "1", "3");
        if (skipped is not null)
        {
            Console.WriteLine(skipped);
            return;
        }

        CliResult result = InRepo(Command(command, table, device));

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("character special file", await FileTypeAsync(device));
        Assert.Empty(Directory.GetFiles(_temp.Path, ".null.*"));
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Output_onto_a_fifo_writes_every_byte_into_it_and_leaves_it_a_fifo(string command)
    {
        string table = Table(InRepo("put", Golden.File(Primitive)));
        string fifo = _temp.File("pipe");
        string? skipped = await MakeNodeAsync("mkfifo", fifo);
        if (skipped is not null)
        {
            Console.WriteLine(skipped);
            return;
        }

        // The reader opens the FIFO on a thread of its own and the test holds a writer's end open
        // across the run, so the reader sees its end only when the test lets go: a CLI that
        // replaced the FIFO instead of writing into it leaves the reader with nothing, not blocked.
        Task<byte[]> read = Task.Factory.StartNew(() => File.ReadAllBytes(fifo), TaskCreationOptions.LongRunning);
        CliResult result;
        using (var keeper = new FileStream(fifo, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            result = InRepo(Command(command, table, fifo));
        }

        byte[] received = await read;

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal("fifo", await FileTypeAsync(fifo));
        string regular = _temp.File("regular");
        Assert.Equal(0, InRepo(Command(command, table, regular)).ExitCode);
        if (command == "get")
        {
            Assert.Equal(Cid.Parse(table), Cid.ForRaw(received));
        }

        Assert.Equal(File.ReadAllBytes(regular), received);
    }

    [Fact]
    public void Output_onto_a_regular_file_still_replaces_it_whole()
    {
        string table = Table(InRepo("put", Golden.File(Primitive)));
        string output = _temp.File("out.arrows");
        File.WriteAllBytes(output, new byte[1 << 20]);

        Assert.Equal(0, InRepo("get", table, "-o", output).ExitCode);

        Assert.Equal(Cid.Parse(table), Cid.ForRaw(File.ReadAllBytes(output)));
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Output_to_a_new_file_on_dev_shm_is_created_like_any_other_file(string command)
    {
        if (!Directory.Exists("/dev/shm"))
        {
            return;
        }

        string table = Table(InRepo("put", Golden.File(Primitive)));
        string output = Path.Combine("/dev/shm", $"arrowcid-output-{Guid.NewGuid():N}");
        try
        {
            var result = CliRun.Run(["--repo", Repo, .. Command(command, table, output)]);
            Assert.True(result.ExitCode == 0, result.Error);
            Assert.True(new FileInfo(output).Length > 0);
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void A_descriptor_path_under_dev_is_still_written_through()
    {
        Assert.True(ArrowCid.Arrow.IO.DurableFile.IsWrittenInPlace("/dev/stdout"));
        Assert.True(ArrowCid.Arrow.IO.DurableFile.IsWrittenInPlace("/dev/fd/1"));
        Assert.True(ArrowCid.Arrow.IO.DurableFile.IsWrittenInPlace("/proc/self/fd/1"));
        Assert.True(ArrowCid.Arrow.IO.DurableFile.IsWrittenInPlace("/dev/null"));
        Assert.False(ArrowCid.Arrow.IO.DurableFile.IsWrittenInPlace($"/dev/shm/arrowcid-absent-{Guid.NewGuid():N}"));
    }

    /// <summary>Runs mknod or mkfifo; null when it worked, else the skip line (only outside CI, where root may be missing).</summary>
    private static async Task<string?> MakeNodeAsync(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        ChildProcessResult made = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(1));
        return made.ExitCode == 0 ? null : CiEnvironment.SkipOrFail($"{tool} failed: {made.Log}");
    }

    private static async Task<string> FileTypeAsync(string path)
    {
        var start = new ProcessStartInfo("stat") { ArgumentList = { "-c", "%F", path } };
        ChildProcessResult stat = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(1));
        Assert.Equal(0, stat.ExitCode);
        return stat.Stdout.Trim();
    }
}
