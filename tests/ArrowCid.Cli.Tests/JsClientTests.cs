using System.Diagnostics;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// Runs the whole <c>npm test</c> of the JavaScript client (clients/js) with ARROWCID_CLI set to
/// this build's <c>arrowcid</c>: cidOf against the document's vectors, the golden files and random
/// tables named by the CLI both ways, and the other client modules' tests, which start their own
/// node from ARROWCID_CLI.
/// </summary>
[Trait("Category", "Peers")]
public sealed class JsClientTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Npm_test_of_the_javascript_client_passes_against_this_cli()
    {
        string? root = RepositoryPaths.Root;
        string? npm = NodeInteropRunner.FindOnPath("npm");
        string? why = root is null ? "the repository root (ArrowCid.sln) was not found"
            : npm is null || NodeInteropRunner.FindOnPath("node") is null ? "node or npm is not on PATH"
            : !Directory.Exists(Path.Combine(root, "clients", "js", "node_modules", "apache-arrow")) ? "clients/js/node_modules is missing (run `npm ci` in clients/js)"
            : null;
        if (why is not null)
        {
            // CI installs every peer, so there a missing one is a failure; elsewhere say why loudly and pass.
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        string cliDll = BuildOutputs.AssemblyPath("ArrowCid.Cli", "arrowcid");
        string cli = Path.ChangeExtension(cliDll, null);
        Assert.True(File.Exists(cli), $"the arrowcid apphost is not built at {cli}");
        var start = new ProcessStartInfo(npm!, ["test"]) { WorkingDirectory = Path.Combine(root!, "clients", "js") };
        start.Environment["ARROWCID_CLI"] = cli;
        var (exitCode, log) = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(15));
        output.WriteLine(log);
        var result = NodeInteropRunner.ResultOf(exitCode, log);
        Assert.True(result.ExitCode == 0 && result.Failed == 0 && result.Passed > 0, log);
    }
}
