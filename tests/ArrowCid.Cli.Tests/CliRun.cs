using System.Text;
using ArrowCid.TestSupport;

namespace ArrowCid.Cli.Tests;

/// <summary>What one in-process run of <c>arrowcid</c> produced.</summary>
internal sealed record CliResult(int ExitCode, string Out, string Error, byte[] BinaryOut)
{
    /// <summary>The lines written to stderr.</summary>
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>Runs the CLI in this process through <see cref="Program.Run"/> with captured streams.</summary>
internal static class CliRun
{
    public static CliResult Run(params string[] args) => RunWithInput([], args);

    public static CliResult RunWithInput(byte[] stdin, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var input = new MemoryStream(stdin, writable: false);
        using var binary = new MemoryStream();
        int exitCode = Program.Run(args, new CliConsole(output, error, input, binary));
        return new CliResult(exitCode, output.ToString(), error.ToString(), binary.ToArray());
    }
}

/// <summary>Reading what the CLI printed.</summary>
internal static class CliOutput
{
    /// <summary>Every path under an <c>arrowcid-quickstart-</c> folder that a quickstart printed.</summary>
    public static List<string> QuickstartPaths(string output) =>
        System.Text.RegularExpressions.Regex.Matches(output, @"(/[^\s;:,]*arrowcid-quickstart-[^\s;:,]*)").Select(m => m.Value).Distinct().ToList();

    /// <summary>Deletes the scratch folders (the repository's, the shared-memory store's) a <c>quickstart --keep</c> printed.</summary>
    public static void DeleteQuickstartFolders(string output)
    {
        const string Marker = "arrowcid-quickstart-";
        foreach (string root in QuickstartPaths(output).Select(p => p[..(p.IndexOf('/', p.IndexOf(Marker, StringComparison.Ordinal)) is int slash and > 0 ? slash : p.Length)]).Distinct())
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    /// <summary>The non-empty lines of <paramref name="text"/>.</summary>
    public static string[] Lines(string text) => text.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The CID of the one <c>table</c> line of a successful put or cid of one input.</summary>
    public static string Table(CliResult result) => Tables(result).Single();

    /// <summary>The CIDs of the <c>table</c> lines of a successful put or cid, one per input in order.</summary>
    public static string[] Tables(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.Error);
        return Lines(result.Out).Where(l => l.StartsWith("table ", StringComparison.Ordinal)).Select(l => l.Split(' ')[1]).ToArray();
    }
}

/// <summary>The Arrow golden files: testdata/arrow-ipc-golden in the repository.</summary>
internal static class Golden
{
    private static readonly Lazy<string> RootDirectory = new(() => Path.Combine(RepositoryPaths.TestData, "arrow-ipc-golden"));

    public static string Root => RootDirectory.Value;

    public static string Json(string folderAndCase) => Path.Combine(Root, folderAndCase + ".json.gz");

    public static string File(string folderAndCase) => Path.Combine(Root, folderAndCase + ".arrow_file");

    public static string Stream(string folderAndCase) => Path.Combine(Root, folderAndCase + ".stream");
}

/// <summary>A fresh temporary folder per test class instance, deleted afterwards.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder() => Path = Directory.CreateTempSubdirectory("arrowcid-cli-tests-").FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Small text helpers.</summary>
internal static class Text
{
    public static int CountLines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}

/// <summary>Arrow IPC stream files of the mixed table (docs/canonical-form.md 7.6) for tests that need tables of several chunks.</summary>
internal static class MixedStream
{
    /// <summary>Writes the given row ranges of mixed tables, in order, as one stream in batches of at most <paramref name="batchRows"/> rows; returns its path.</summary>
    public static string Write(TempFolder temp, string name, int batchRows, params (ulong Seed, long First, int Rows)[] ranges)
    {
        string path = temp.File(name);
        using var file = File.Create(path);
        using var writer = new ArrowCid.Arrow.Ipc.ArrowStreamWriter(file, ArrowCid.Content.Chunking.MixedTable.Schema);
        foreach (var range in ranges)
        {
            foreach (var batch in ArrowCid.Content.Chunking.MixedTable.Batches(range.Seed, range.First, range.Rows, batchRows))
            {
                using (batch)
                {
                    writer.Write(batch);
                }
            }
        }

        writer.Finish();
        return path;
    }
}
