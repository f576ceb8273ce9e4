using System.Diagnostics;
using ArrowCid.Flight.Service;

namespace ArrowCid.Flight.Tests.Registry;

/// <summary>
/// Runs interop/node/test/flight-registry.test.mjs (@grpc/grpc-js + apache-arrow + multiformats, an
/// independent Flight client) against a node with tokens and a user. Skipped, with the reason
/// printed, when node or the interop packages are not installed.
/// </summary>
public sealed class FlightNodeInteropTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Grpc_js_and_apache_arrow_put_list_and_get_by_CID()
    {
        string? root = FindRepositoryRoot();
        string? node = FindOnPath("node");
        string modules = root is null ? string.Empty : Path.Combine(root, "interop", "node", "node_modules");
        if (root is null || node is null || !Directory.Exists(Path.Combine(modules, "@grpc", "grpc-js")) || !Directory.Exists(Path.Combine(modules, "apache-arrow")))
        {
            // xunit 2 has no runtime skip: say why loudly and pass.
            output.WriteLine($"SKIPPED: node ({node ?? "not on PATH"}) or interop/node/node_modules (repository root {root ?? "not found"}) is not available");
            return;
        }

        await using var fixture = await FlightNodeFixture.StartAsync(new FlightServiceOptions
        {
            Access = new FlightAccessPolicy()
                .AddToken("node-writer", FlightRole.Write)
                .AddToken("node-reader", FlightRole.Read)
                .AddUser("node", "interop", FlightRole.Write),
        });
        var start = new ProcessStartInfo(node, ["--test", "--test-reporter=tap", "test/flight-registry.test.mjs"])
        {
            WorkingDirectory = Path.Combine(root, "interop", "node"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ARROWCID_FLIGHT_TEST_URL"] = fixture.Location;
        start.Environment["ARROWCID_FLIGHT_WRITE_TOKEN"] = "node-writer";
        start.Environment["ARROWCID_FLIGHT_READ_TOKEN"] = "node-reader";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(guard.Token);
        string log = await stdout + await stderr;
        output.WriteLine(log);
        Assert.True(process.ExitCode == 0, $"node --test failed with exit code {process.ExitCode}:\n{log}");
        Assert.Contains("# pass 7", log, StringComparison.Ordinal);
        Assert.Contains("# skipped 0", log, StringComparison.Ordinal);
    }

    internal static string? FindRepositoryRoot()
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

    internal static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
}
