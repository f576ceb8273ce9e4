using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.SharedMemory;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

namespace ArrowCid.Native.Tests;

/// <summary>
/// libarrowcid.so from the languages it is for, each through its own client and test runner
/// (NewcomerTests runs the first-hour steps of docs/native.md, the Python package's pytest suite
/// and its wheel in a venv among them): C and C++ (clients/c: CMake,
/// GoogleTest under CTest, the whole suite again under valgrind, DuckDB scanning arrowcid_get,
/// and the C example following a feed a C# publisher feeds), Rust (clients/rust, cargo test).
/// </summary>
[Trait("Category", "Peers")]
public sealed class ClientTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string Root => RepositoryPaths.Root ?? throw new DirectoryNotFoundException("repository root not found");

    // DuckDB's own library, from the DuckDB.NET.Data.Full package (beside these tests).
    private static string? LibDuckDb() => DuckDb.DuckDbConnection.FindLibrary();

    private async Task<ChildProcessResult> Run(string program, IEnumerable<string> arguments, string? directory = null, IReadOnlyDictionary<string, string>? environment = null, int minutes = 10)
    {
        var start = new ProcessStartInfo(program, arguments) { WorkingDirectory = directory ?? Root };
        start.Environment["ARROWCID_TEST_TMP"] = _temp.Path;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var result = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(minutes));
        output.WriteLine($"$ {program} {string.Join(' ', arguments)} → {result.ExitCode}");
        output.WriteLine(result.Log.Length > 20_000 ? result.Log[^20_000..] : result.Log);
        return result;
    }

    private static string? Missing(params string[] programs) =>
        programs.FirstOrDefault(p => !File.Exists(p) && NodeInteropRunner.FindOnPath(p) is null) is { } absent ? $"{absent} is not installed" : null;

    [Fact]
    public async Task The_c_and_cpp_suite_passes_under_ctest_and_again_under_valgrind()
    {
        string? missing = Missing("cmake", "ctest", "g++", "valgrind") ?? (File.Exists("/usr/include/gtest/gtest.h") ? null : "GoogleTest is not installed");
        if (missing is not null)
        {
            output.WriteLine(CiEnvironment.SkipOrFail(missing + " (apt-get install cmake g++ googletest valgrind)"));
            return;
        }

        string library = await NativeLibraryBuild.LibraryAsync();
        string build = await BuildC(library);
        var environment = LibDuckDb() is { } duckdb ? new Dictionary<string, string> { ["ARROWCID_LIBDUCKDB"] = duckdb } : null;
        if (environment is null)
        {
            output.WriteLine(CiEnvironment.SkipOrFail("libduckdb.so (the DuckDB.NET.Data.Full package) is missing: the DuckDB consumer test skips"));
        }

        var ctest = await Run("ctest", ["--test-dir", build, "--output-on-failure"], environment: environment);
        Assert.True(ctest.ExitCode == 0, ctest.Log);
        Assert.Contains("100% tests passed", ctest.Stdout, StringComparison.Ordinal);

        // The whole suite under memcheck: no invalid access, nothing of ours leaked (DuckDB's own
        // allocations are not ours to judge, so its test runs only above).
        var memcheck = await Run("valgrind", [
            "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite",
            $"--suppressions={Path.Combine(Root, "clients", "c", "tests", "nativeaot.supp")}",
            Path.Combine(build, "native_test"), "--gtest_filter=-*DuckDb*"], minutes: 15);
        Assert.True(memcheck.ExitCode == 0, memcheck.Log);
        Assert.Contains("ERROR SUMMARY: 0 errors", memcheck.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_c_example_follows_a_feed_a_csharp_publisher_feeds_and_sums_each_table()
    {
        string? missing = Missing("cmake", "g++") ?? (File.Exists("/usr/include/gtest/gtest.h") ? null : "GoogleTest is not installed");
        if (missing is not null)
        {
            output.WriteLine(CiEnvironment.SkipOrFail(missing + " (apt-get install cmake g++ googletest)"));
            return;
        }

        string build = await BuildC(await NativeLibraryBuild.LibraryAsync());
        string shmBase = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : _temp.Path, $"arrowcid-c-example-{Environment.ProcessId}");
        try
        {
            using var store = ShmStore.Open(new ShmStoreOptions { BaseDirectory = shmBase, StoreName = "feed" });
            long cursor = store.PublishedSequence;
            // The follower is started first and waits on the feed; the tables are published after.
            var follower = Run(Path.Combine(build, "follow_sum"), [shmBase, "feed", "3", cursor.ToString(CultureInfo.InvariantCulture)], minutes: 3);
            var schema = new Schema([new Field("v", ArrowType.Int64, nullable: false)]);
            var expected = new List<string>();
            for (int k = 1; k <= 3; k++)
            {
                long rows = 100_000L * k;
                var bytes = new byte[rows * sizeof(long)];
                var values = MemoryMarshal.Cast<byte, long>(bytes.AsSpan());
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = k * i;
                }

                using var batch = new RecordBatch(schema, (int)rows, [new ArrayData(ArrowType.Int64, (int)rows, 0, 0, [ReadOnlyMemory<byte>.Empty, bytes])]);
                var published = store.PublishTable(schema, [batch]);
                expected.Add(string.Create(CultureInfo.InvariantCulture, $"{published.Sequence} {published.Cid} {rows} {k * (rows * (rows - 1) / 2)}"));
            }

            var result = await follower;
            Assert.True(result.ExitCode == 0, result.Log);
            Assert.Equal(expected, result.Stdout.Trim().Split('\n'));
        }
        finally
        {
            if (Directory.Exists(shmBase))
            {
                Directory.Delete(shmBase, recursive: true);
            }
        }
    }

    [Fact]
    public async Task The_rust_crates_pass_their_tests()
    {
        string? bash = NodeInteropRunner.FindOnPath("bash");
        if (bash is null || (!File.Exists("/usr/bin/cargo") && NodeInteropRunner.FindOnPath("cargo") is null))
        {
            output.WriteLine(CiEnvironment.SkipOrFail("cargo is not installed (apt-get install cargo)"));
            return;
        }

        string library = await NativeLibraryBuild.LibraryAsync();
        var result = await Run(bash, [Path.Combine(Root, "clients", "rust", "test.sh")], environment: new Dictionary<string, string> { ["ARROWCID_NATIVE_DIR"] = Path.GetDirectoryName(library)! }, minutes: 15);
        Assert.True(result.ExitCode == 0, result.Log);
        Assert.Contains("test result: ok. 4 passed", result.Log, StringComparison.Ordinal);
    }

    // The CMake build of clients/c against the published library (configured once per test: a
    // few seconds; the build folder is the test's own).
    private async Task<string> BuildC(string library)
    {
        string build = Path.Combine(_temp.Path, "c-build");
        var configure = await Run("cmake", ["-S", Path.Combine(Root, "clients", "c"), "-B", build, $"-DARROWCID_NATIVE_DIR={Path.GetDirectoryName(library)}", "-DCMAKE_BUILD_TYPE=Release"]);
        Assert.True(configure.ExitCode == 0, configure.Log);
        var compile = await Run("cmake", ["--build", build, "-j", "2"]);
        Assert.True(compile.ExitCode == 0, compile.Log);
        return build;
    }
}
