using System.Diagnostics;
using System.Text.Json.Nodes;
using ArrowCid.Arrow.Printing;

namespace ArrowCid.SharedMemory.Tests;

/// <summary>
/// Runs interop/node/test/shm-segment.test.mjs: apache-arrow (JS) reads segments published here
/// straight from the store's files and checks their SHA-256 against the CIDs (multiformats).
/// Fixtures go to ARROWCID_INTEROP_DIR, else interop/node/fixtures/shm. Passes with a SKIPPED line
/// when node or the packages are missing (xunit 2 has no runtime skip).
/// </summary>
public sealed class NodeSegmentInteropTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Apache_arrow_reads_our_segments_and_their_hashes_match_the_cids()
    {
        string? root = FindRepositoryRoot();
        string? node = FindOnPath("node");
        string? interop = root is null ? null : Path.Combine(root, "interop", "node");
        if (node is null || interop is null
            || !Directory.Exists(Path.Combine(interop, "node_modules", "apache-arrow"))
            || !Directory.Exists(Path.Combine(interop, "node_modules", "multiformats")))
        {
            output.WriteLine($"SKIPPED: node ({node ?? "not on PATH"}) or interop/node/node_modules (apache-arrow, multiformats) is not available");
            return;
        }

        string fixtures = Environment.GetEnvironmentVariable("ARROWCID_INTEROP_DIR") is { Length: > 0 } dir
            ? Path.GetFullPath(dir)
            : Path.Combine(interop, "fixtures", "shm");
        Directory.CreateDirectory(fixtures);
        using var store = _temp.Open();
        var segments = new JsonArray();
        foreach (int seed in new[] { 1, 2, 3 })
        {
            var batch = Batches.Make(seed, rows: 8 * seed);
            var published = store.Publish(batch);
            segments.Add(new JsonObject
            {
                ["path"] = published.Path,
                ["cid"] = published.Cid.ToString(),
                ["ids"] = new JsonArray([.. Enumerable.Range(0, batch.Length).Select(i => (JsonNode?)JsonValue.Create((long)ArrayPrinter.GetValue(batch.Column(0), i)!))]),
                ["names"] = new JsonArray([.. Enumerable.Range(0, batch.Length).Select(i => (JsonNode?)(ArrayPrinter.GetValue(batch.Column(1), i) is string s ? JsonValue.Create(s) : null))]),
            });
        }

        await File.WriteAllTextAsync(Path.Combine(fixtures, "shm.json"), new JsonObject { ["segments"] = segments }.ToJsonString());
        var start = new ProcessStartInfo(node, ["--test", "--test-reporter=tap", "test/shm-segment.test.mjs"])
        {
            WorkingDirectory = interop,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ARROWCID_INTEROP_DIR"] = fixtures;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        string log = await stdout + await stderr;
        output.WriteLine(log);
        Assert.True(process.ExitCode == 0, $"node --test failed with exit code {process.ExitCode}:\n{log}");
        Assert.Contains("# pass 6", log, StringComparison.Ordinal);
        Assert.Contains("# skipped 0", log, StringComparison.Ordinal);
    }

    private static string? FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ArrowCid.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(p => Path.Combine(p, program)).FirstOrDefault(File.Exists);
}
