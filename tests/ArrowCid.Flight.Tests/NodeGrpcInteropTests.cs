using System.Diagnostics;
using ArrowCid.Flight.Tests.Support;

namespace ArrowCid.Flight.Tests;

/// <summary>
/// Runs interop/node/test/grpc-transport.test.mjs (@grpc/grpc-js) against our server. Skipped, with the
/// reason printed, when node or the interop packages are not installed.
/// </summary>
public sealed class NodeGrpcInteropTests(TestServer server, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<TestServer>
{
    [Fact]
    public async Task Grpc_js_client_calls_the_flight_service()
    {
        string? root = FindRepositoryRoot();
        string? node = FindOnPath("node");
        if (root is null || node is null || !Directory.Exists(Path.Combine(root, "interop", "node", "node_modules", "@grpc", "grpc-js")))
        {
            // xunit 2 has no runtime skip: say why loudly and pass.
            output.WriteLine(
                $"SKIPPED: node ({node ?? "not on PATH"}) or interop/node/node_modules/@grpc/grpc-js (repository root {root ?? "not found"}) is not available");
            return;
        }

        var start = new ProcessStartInfo(node, ["--test", "--test-reporter=tap", "test/grpc-transport.test.mjs"])
        {
            WorkingDirectory = Path.Combine(root, "interop", "node"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ARROWCID_GRPC_TEST_URL"] = server.Address.ToString();
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
            if (File.Exists(Path.Combine(dir.FullName, "proto", "Flight.proto")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
}
