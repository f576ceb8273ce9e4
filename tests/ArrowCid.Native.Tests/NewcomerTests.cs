using System.Diagnostics;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

namespace ArrowCid.Native.Tests;

/// <summary>
/// A newcomer's first hour (docs/native.md, "The first hour"): every block marked
/// <c>&lt;!-- docs-test: from a checkout --&gt;</c> runs as written, in order, from the root of a
/// checkout where the library is published, with the environment of a fresh login on a stock
/// machine: a new <c>HOME</c>, <c>PATH=/usr/local/bin:/usr/bin:/bin</c>, and no ArrowCid, Python,
/// Rust or loader variable. A step that needs an undocumented variable fails here.
/// </summary>
[Trait("Category", "Peers")]
public sealed class NewcomerTests(ITestOutputHelper output) : IDisposable
{
    private const string StockPath = "/usr/local/bin:/usr/bin:/bin";

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string Root => RepositoryPaths.Root ?? throw new DirectoryNotFoundException("repository root not found");

    [Fact]
    public async Task Every_first_hour_step_of_native_md_runs_as_written_on_a_stock_machine()
    {
        var blocks = DocBlocks.Read(Path.Combine(Root, "docs", "native.md")).Where(block => block.FromCheckout).ToList();
        string steps = string.Join('\n', blocks.SelectMany(block => block.Lines));
        // Each language's first step is there: a plain C program with cc, CMake, a wheel in a venv, pytest, cargo.
        foreach (string step in new[] { "cc -I include", "cmake -S clients/c", "python3 -m venv", "pip install", "python3 -m pytest clients/python/tests", "cargo test" })
        {
            Assert.True(steps.Contains(step, StringComparison.Ordinal), $"docs/native.md's first hour has no `{step}` step");
        }

        string? missing = new[] { "/usr/bin/cc", "/usr/bin/cmake", "/usr/bin/cargo", "/usr/bin/python3" }.FirstOrDefault(program => !File.Exists(program));
        if (missing is not null)
        {
            output.WriteLine(CiEnvironment.SkipOrFail($"{missing} is not installed (./test.sh installs gcc, cmake, cargo, python3-venv, python3-pytest)"));
            return;
        }

        string checkout = await CheckoutAsync();
        foreach (var block in blocks)
        {
            var result = await RunAsync(string.Join('\n', block.Lines), checkout, StockPath);
            Assert.True(result.ExitCode == 0, $"docs/native.md:{block.Line} failed on a stock machine (exit {result.ExitCode}):\n{result.Log}");
        }

        Assert.True(File.Exists(Path.Combine(checkout, "first")), "the C step built no program");

        // The machine's other python3 (pyenv's, say, with an older pip and setuptools) installs the
        // same wheel the same way.
        string? other = await OtherInterpreterFolderAsync();
        if (other is not null)
        {
            var python = blocks.First(block => block.Lines.Any(line => line.Contains("python3 -m venv", StringComparison.Ordinal)));
            string again = string.Join('\n', python.Lines).Replace(".venv", ".venv-other", StringComparison.Ordinal);
            var result = await RunAsync(again, checkout, other + ":" + StockPath);
            Assert.True(result.ExitCode == 0, $"docs/native.md:{python.Line} failed with {other}/python3:\n{result.Log}");
        }
    }

    // A checkout as a user has it after the publish: the sources the steps read, copied (so what
    // the steps build stays out of this repository), and the published library and CLI, linked.
    private async Task<string> CheckoutAsync()
    {
        string library = await NativeLibraryBuild.LibraryAsync();
        string checkout = Path.Combine(_temp.Path, "checkout");
        CopyTree(Path.Combine(Root, "include"), Path.Combine(checkout, "include"));
        foreach (string client in new[] { "c", "python", "rust" })
        {
            CopyTree(Path.Combine(Root, "clients", client), Path.Combine(checkout, "clients", client));
        }

        string artifacts = Path.Combine(checkout, "artifacts");
        Directory.CreateDirectory(Path.Combine(artifacts, "bin"));
        Directory.CreateSymbolicLink(Path.Combine(artifacts, "native"), Path.GetDirectoryName(library)!);
        string published = Path.Combine(Root, "artifacts", "publish");
        if (Directory.Exists(published))
        {
            Directory.CreateSymbolicLink(Path.Combine(artifacts, "publish"), published);
        }

        // The CLI the Python tests call: a checkout's build (a test run without ./test.sh's publish).
        Directory.CreateSymbolicLink(Path.Combine(artifacts, "bin", "ArrowCid.Cli"), Path.GetDirectoryName(Path.GetDirectoryName(NativeLibraryBuild.Cli))!);
        return checkout;
    }

    private static void CopyTree(string from, string to)
    {
        // What a build leaves in the checkout (.gitignore), which a fresh clone does not have.
        string[] generated = ["target", "build", "__pycache__", "node_modules", ".venv", "Cargo.lock"];
        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from).Where(file => !generated.Contains(Path.GetFileName(file))))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (string folder in Directory.EnumerateDirectories(from).Where(folder => !generated.Contains(Path.GetFileName(folder))))
        {
            CopyTree(folder, Path.Combine(to, Path.GetFileName(folder)));
        }
    }

    // The folder of the python3 this machine's own PATH finds first, when it is not Debian's.
    private static async Task<string?> OtherInterpreterFolderAsync()
    {
        string? first = NodeInteropRunner.FindOnPath("python3");
        if (first is null)
        {
            return null;
        }

        var start = new ProcessStartInfo(first, ["-c", "import sys, os; print(os.path.dirname(os.path.realpath(sys.executable)))"]);
        var result = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(1));
        string folder = result.Stdout.Trim();
        return result.ExitCode == 0 && folder.Length > 0 && folder != "/usr/bin" && folder != "/usr/local/bin" ? folder : null;
    }

    private async Task<ChildProcessResult> RunAsync(string script, string checkout, string path)
    {
        var start = new ProcessStartInfo("/bin/bash", ["-eu", "-o", "pipefail", "-c", script]) { WorkingDirectory = checkout };
        start.Environment.Clear();
        start.Environment["HOME"] = Directory.CreateDirectory(Path.Combine(_temp.Path, "home")).FullName;
        start.Environment["PATH"] = path;
        start.Environment["LANG"] = "C.UTF-8";
        var result = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(15));
        output.WriteLine($"$ (in {checkout}, PATH={path})\n{script}\n→ {result.ExitCode}");
        output.WriteLine(result.Log.Length > 20_000 ? result.Log[^20_000..] : result.Log);
        return result;
    }
}
