using System.Diagnostics;

namespace ArrowCid.TestSupport;

/// <summary>
/// Builds and runs interop/rust-h2, the Flight client on hyper/h2 + tokio + prost (the HTTP/2
/// stack of tonic and arrow-rs), through its build.sh: cargo offline against the crates Debian's
/// librust-*-dev packages install, into artifacts/rust-h2 so a build is reused across runs.
/// </summary>
public static class RustInteropRunner
{
    /// <summary>build.sh's exit status when cargo or a crate is not installed.</summary>
    private const int ToolchainMissing = 3;

    /// <summary>interop/rust-h2 in this repository, or null when the repository root was not found.</summary>
    public static string? CrateDirectory => RepositoryPaths.Root is null ? null : Path.Combine(RepositoryPaths.Root, "interop", "rust-h2");

    /// <summary>
    /// Builds the peer (a no-op when it is up to date) and returns its binary, or why it cannot be
    /// built here (no bash, no cargo, a missing crate). A compile error throws, with cargo's output.
    /// </summary>
    public static async Task<RustPeerBuild> BuildAsync(TimeSpan timeout)
    {
        if (CrateDirectory is null)
        {
            return new RustPeerBuild(null, "the repository root (ArrowCid.sln) was not found above " + AppContext.BaseDirectory, string.Empty);
        }

        string? bash = NodeInteropRunner.FindOnPath("bash");
        if (bash is null)
        {
            return new RustPeerBuild(null, "bash is not on PATH", string.Empty);
        }

        var result = await ChildProcess.RunAsync(new ProcessStartInfo(bash, [Path.Combine(CrateDirectory, "build.sh")]), timeout).ConfigureAwait(false);
        if (result.ExitCode == ToolchainMissing)
        {
            return new RustPeerBuild(null, result.Stderr.Trim(), result.Stderr);
        }

        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"interop/rust-h2/build.sh failed with exit code {result.ExitCode}:\n{result.Log}");
        }

        string binary = result.Stdout.Trim().Split('\n')[^1];
        return File.Exists(binary)
            ? new RustPeerBuild(binary, null, result.Stderr)
            : throw new FileNotFoundException($"build.sh named {binary}, which does not exist:\n{result.Log}", binary);
    }

    /// <summary>Runs the built peer with <paramref name="arguments"/>; kills it after <paramref name="timeout"/>.</summary>
    public static Task<ChildProcessResult> RunAsync(string binary, IEnumerable<string> arguments, TimeSpan timeout) =>
        ChildProcess.RunAsync(new ProcessStartInfo(binary, arguments), timeout);
}

/// <summary>The built peer's path, or why there is none (<see cref="Unavailable"/>), and cargo's output.</summary>
public sealed record RustPeerBuild(string? Binary, string? Unavailable, string BuildLog);
