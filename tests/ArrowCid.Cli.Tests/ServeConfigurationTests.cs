using System.Diagnostics;
using System.Text.Json;
using ArrowCid.TestSupport;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// <c>serve</c>'s settings from the command line, <c>ARROWCID_…</c> variables and a <c>--config</c>
/// file, in that order (issue 44); <c>--print-config</c> shows each with its source and no secret; a
/// bad value names where it came from and exits 2. Run as processes, with an environment of their own.
/// </summary>
public sealed class ServeConfigurationTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task The_command_line_beats_the_environment_which_beats_the_file_and_secrets_are_hidden()
    {
        string config = Write("serve.json", """
            {
              // Comments are allowed.
              "listen": "127.0.0.1:9911",
              "log-level": "warning",
              "shutdown-timeout": 5,
              "user": ["ann:file-password:write"],
              "cors": ["https://file.example"]
            }
            """);
        string tokens = Write("tokens", "# the node's tokens\nsecret-token-1:read\n\nsecret-token-2:write\n");
        var result = await ServeAsync(
            new() { ["ARROWCID_LOG_LEVEL"] = "debug", ["ARROWCID_CORS"] = "https://a.example, https://b.example", ["ARROWCID_TOKEN"] = "env-token:read" },
            "--config", config, "--token-file", tokens, "--shutdown-timeout", "7", "--print-config");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var settings = json.RootElement.GetProperty("settings");
        var sources = json.RootElement.GetProperty("sources");
        Assert.Equal(("127.0.0.1:9911", $"'listen' in {config}"), (settings.GetProperty("listen").GetString(), sources.GetProperty("listen").GetString()));
        Assert.Equal(("debug", "ARROWCID_LOG_LEVEL (environment)"), (settings.GetProperty("log-level").GetString(), sources.GetProperty("log-level").GetString()));
        Assert.Equal((7.0, "command line"), (settings.GetProperty("shutdown-timeout").GetDouble(), sources.GetProperty("shutdown-timeout").GetString()));
        Assert.Equal(["https://a.example", "https://b.example"], settings.GetProperty("cors").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("default", sources.GetProperty("log-format").GetString());

        // Secrets: values hidden, roles and users shown; what the token file holds is never printed.
        Assert.Equal(["***:read"], settings.GetProperty("token").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["ann:***:write"], settings.GetProperty("user").EnumerateArray().Select(e => e.GetString()));
        foreach (string secret in new[] { "env-token", "file-password", "secret-token-1", "secret-token-2" })
        {
            Assert.DoesNotContain(secret, result.Stdout, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("env", "ARROWCID_LOG_LEVEL (environment)")]
    [InlineData("file-key", "unknown setting 'lisen'")]
    [InlineData("file-value", "'shutdown-timeout' in")]
    [InlineData("token-file", "tokens:2: 'not-a-token-line' is not TOKEN:read or TOKEN:write")]
    [InlineData("listen", "--listen (from ARROWCID_LISTEN (environment)): 'nowhere' is not HOST:PORT")]
    [InlineData("cache-size", "--cache-size: '20 gallons' is not a size")]
    public async Task A_bad_value_names_where_it_came_from_and_exits_2(string where, string message)
    {
        var environment = new Dictionary<string, string>();
        var arguments = new List<string> { "--repo", Path.Combine(_folder.Path, "repo") };
        switch (where)
        {
            case "env":
                environment["ARROWCID_LOG_LEVEL"] = "loud";
                break;
            case "file-key":
                arguments.AddRange(["--config", Write("bad-key.json", """{ "lisen": "127.0.0.1:1" }""")]);
                break;
            case "file-value":
                arguments.AddRange(["--config", Write("bad-value.json", """{ "shutdown-timeout": -3 }""")]);
                break;
            case "token-file":
                arguments.AddRange(["--token-file", Write("tokens", "good:read\nnot-a-token-line\n")]);
                break;
            case "listen":
                environment["ARROWCID_LISTEN"] = "nowhere";
                break;
            case "cache-size":
                arguments.AddRange(["--cache-size", "20 gallons"]);
                break;
        }

        var result = await ServeAsync(environment, [.. arguments]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("serving ", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1", 1L)]
    [InlineData("512K", 512L << 10)]
    [InlineData("20GiB", 20L << 30)]
    [InlineData("3 mb", 3L << 20)]
    [InlineData("2T", 2L << 40)]
    [InlineData("0", null)]
    [InlineData("GiB", null)]
    [InlineData("-5M", null)]
    [InlineData("1.5G", null)]
    [InlineData("9999999999T", null)]
    public void A_cache_size_is_bytes_or_a_whole_number_of_binary_units(string text, long? bytes) =>
        Assert.Equal(bytes, Commands.ServeCommand.ParseSize(text));

    [Fact]
    public async Task Docs_configuration_lists_every_setting_with_its_variable()
    {
        var result = await ServeAsync([], "--print-config");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var keys = json.RootElement.GetProperty("settings").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToList();

        string doc = File.ReadAllText(Path.Combine(RepositoryPaths.Root!, "docs", "configuration.md"));
        var rows = System.Text.RegularExpressions.Regex.Matches(doc, @"^\| `([a-z-]+)` \| `(ARROWCID_[A-Z_]+)` \|", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => (Key: m.Groups[1].Value, Variable: m.Groups[2].Value)).ToList();
        Assert.Equal(keys, rows.Select(r => r.Key).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Equal("ARROWCID_" + r.Key.ToUpperInvariant().Replace('-', '_'), r.Variable));
    }

    [Theory]
    [InlineData("flight")]
    [InlineData("http")]
    public async Task A_taken_port_fails_the_start_naming_the_face_whose_port_it_is(string taken)
    {
        // Both faces start side by side; whichever cannot listen fails the command, and the other stops.
        using var occupier = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        occupier.Start();
        int port = ((System.Net.IPEndPoint)occupier.LocalEndpoint).Port;
        string busy = $"127.0.0.1:{port}";
        string[] faces = taken == "flight" ? ["--listen", busy, "--http", "127.0.0.1:0"] : ["--listen", "127.0.0.1:0", "--http", busy];
        var result = await ServeAsync([], ["--repo", Path.Combine(_folder.Path, "repo"), "--no-shm", .. faces]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(taken == "flight" ? $"cannot listen on {busy}:" : $"cannot listen on {busy} (--http):", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("serving", result.Stdout, StringComparison.Ordinal);
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(_folder.Path, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static Task<ChildProcessResult> ServeAsync(Dictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(BuildOutputs.DotnetHost, [BuildOutputs.AssemblyPath("ArrowCid.Cli", "arrowcid"), "serve", .. arguments]);
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("ARROWCID_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return ChildProcess.RunAsync(start, TimeSpan.FromMinutes(2));
    }
}
