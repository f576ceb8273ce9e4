using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Tests.Service;
using ArrowCid.Flight.Tests.Support;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

namespace ArrowCid.Flight.Tests.Operations;

/// <summary>
/// A node's <c>/metrics</c> (issue 44) as an operator's Prometheus sees it: each call counted by face,
/// method and status, bytes both ways, durations, what deduplication saved, group commits and
/// fsyncs, what the registry holds; the node's tokens applied; Prometheus's own <c>promtool check
/// metrics</c> finding nothing to say; and a real Prometheus server (Debian's) scraping it. The node
/// runs in a process of its own, so every count is this test's alone.
/// </summary>
public sealed partial class MetricsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Metrics_count_calls_bytes_dedup_and_commits_and_pass_promtool()
    {
        await using var node = await ServeProcess.StartAsync();
        using var client = new FlightClient(node.Location);
        using var table = TestBatches.Large(4L << 20, seed: 81);
        var put = await client.PutAsync(table.Schema, [table]);
        var fetched = await client.GetAsync(put.Table);
        long fetchedBytes = fetched.Bytes;

        // The same table again: offered twice, stored once.
        await client.PutAsync(table.Schema, [table]);
        using var http = new HttpClient { BaseAddress = node.Gateway };
        using (var listing = await http.GetAsync("/api/v1/tables"))
        {
            Assert.Equal(HttpStatusCode.OK, listing.StatusCode);
        }

        string text = await http.GetStringAsync("/metrics");
        var metrics = Parse(text);
        Assert.Equal(2, metrics.Value("arrowcid_calls_total", ("face", "flight"), ("method", "DoPut"), ("status", "OK")));
        Assert.Equal(1, metrics.Value("arrowcid_calls_total", ("face", "flight"), ("method", "DoGet"), ("status", "OK")));
        Assert.Equal(1, metrics.Value("arrowcid_calls_total", ("face", "http"), ("method", "GET /api/v1/tables"), ("status", "200")));
        Assert.True(metrics.Value("arrowcid_sent_bytes_total", ("face", "flight")) >= fetchedBytes);
        Assert.True(metrics.Value("arrowcid_received_bytes_total", ("face", "flight")) >= 2 * (4L << 20));
        Assert.Equal(1, metrics.Value("arrowcid_call_duration_seconds_count", ("face", "flight"), ("method", "DoGet")));

        // Deduplication: the second put offered every byte again and stored none.
        double offered = metrics.Value("arrowcid_store_offered_bytes_total");
        double stored = metrics.Value("arrowcid_store_new_bytes_total");
        Assert.True(stored >= fetchedBytes, text);
        Assert.Equal(2 * stored, offered, 1.0);
        Assert.True(metrics.Value("arrowcid_group_commit_rows_count") >= 1);
        Assert.True(metrics.Value("arrowcid_store_fsync_duration_seconds_count") >= 1);
        Assert.Equal(1, metrics.Value("arrowcid_store_records", ("kind", "table")));
        Assert.True(metrics.Value("arrowcid_store_records", ("kind", "batch")) > 1);
        Assert.Equal(fetchedBytes, metrics.Value("arrowcid_store_data_bytes"));
        Assert.True(metrics.Value("arrowcid_store_free_bytes") > 0);
        Assert.Equal(0, metrics.Value("arrowcid_feed_subscribers"));

        // The runtime's own meter: the process's memory and the collector's heap beside the node's.
        Assert.True(metrics.Value("dotnet_process_memory_working_set_bytes") > 0, text);
        Assert.True(metrics.Value("dotnet_gc_heap_total_allocated_bytes_total") > fetchedBytes, text);

        await AssertPromtoolFindsNothingAsync(text);
    }

    [Fact]
    public async Task Metrics_follow_the_nodes_tokens_and_are_served_on_a_port_of_their_own()
    {
        await using var node = await ServeProcess.StartAsync("--token", "READ:read", "--metrics-listen", "127.0.0.1:0");
        var own = await MetricsAddressAsync(node);
        using var http = new HttpClient();
        foreach (var address in new[] { new Uri(node.Gateway, "/metrics"), own })
        {
            using (var anonymous = await http.GetAsync(address))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, address);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "READ");
            using var answer = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Contains("arrowcid_store_free_bytes", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    // The node prints its metrics address after the line StartAsync waits for: wait for it too.
    private static async Task<Uri> MetricsAddressAsync(ServeProcess node)
    {
        await node.WaitForOutputAsync("metrics http", TimeSpan.FromSeconds(60));
        return new Uri(node.Output.Split('\n').Single(l => l.StartsWith("metrics ", StringComparison.Ordinal))["metrics ".Length..].Trim());
    }

    [Fact]
    public async Task A_prometheus_server_scrapes_the_node()
    {
        if (!File.Exists("/usr/bin/prometheus"))
        {
            output.WriteLine(CiEnvironment.SkipOrFail("Debian's prometheus is not installed (test.sh installs it)"));
            return;
        }

        await using var node = await ServeProcess.StartAsync("--metrics-listen", "127.0.0.1:0");
        var own = await MetricsAddressAsync(node);
        using var client = new FlightClient(node.Location);
        using var table = TestBatches.Small(82);
        await client.PutAsync(table.Schema, [table]);

        using var folder = new TempDirectory();
        int port = FreePort();
        string config = Path.Combine(folder.Path, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: arrowcid
                static_configs:
                  - targets: ["{own.Authority}"]
            """);
        var start = new ProcessStartInfo("/usr/bin/prometheus",
            [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(folder.Path, "data")}", $"--web.listen-address=127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var prometheus = Process.Start(start)!;
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        prometheus.ErrorDataReceived += (_, e) => log.Enqueue(e.Data ?? string.Empty);
        prometheus.BeginErrorReadLine();
        prometheus.BeginOutputReadLine();
        try
        {
            // Asked until Prometheus has scraped the node (its own report is the gate; the guard only ends a hang).
            using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var guard = Stopwatch.StartNew();
            double? puts = null;
            while (puts is null)
            {
                Assert.True(guard.Elapsed < TimeSpan.FromMinutes(2) && !prometheus.HasExited, string.Join('\n', log));
                puts = await QueryAsync(api, "arrowcid_calls_total{face=\"flight\",method=\"DoPut\",status=\"OK\"}");
                if (puts is null)
                {
                    await Task.Delay(200);
                }
            }

            Assert.Equal(1, puts);
            Assert.Equal(1, await QueryAsync(api, "up{job=\"arrowcid\"}"));
        }
        finally
        {
            prometheus.Kill(entireProcessTree: true);
            await prometheus.WaitForExitAsync();
        }
    }

    private static async Task<double?> QueryAsync(HttpClient api, string query)
    {
        try
        {
            using var answer = await api.GetAsync("/api/v1/query?query=" + Uri.EscapeDataString(query));
            if (!answer.IsSuccessStatusCode)
            {
                return null;
            }

            using var json = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
            var result = json.RootElement.GetProperty("data").GetProperty("result");
            return result.GetArrayLength() == 0 ? null : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException)
        {
            // Not listening yet.
            return null;
        }
    }

    private async Task AssertPromtoolFindsNothingAsync(string text)
    {
        if (!File.Exists("/usr/bin/promtool"))
        {
            output.WriteLine(CiEnvironment.SkipOrFail("Debian's promtool is not installed (test.sh installs prometheus)"));
            return;
        }

        var start = new ProcessStartInfo("/usr/bin/promtool", ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var promtool = Process.Start(start)!;
        await promtool.StandardInput.WriteAsync(text);
        promtool.StandardInput.Close();
        string said = await promtool.StandardOutput.ReadToEndAsync() + await promtool.StandardError.ReadToEndAsync();
        await promtool.WaitForExitAsync();
        Assert.True(promtool.ExitCode == 0 && said.Trim().Length == 0, $"promtool check metrics: {said}\n{text}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Scrape Parse(string text) => new(text);

    /// <summary>A scrape's samples: name, labels and value per line (comments skipped).</summary>
    private sealed partial class Scrape(string text)
    {
        private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples =
            [.. text.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(ParseLine)];

        /// <summary>The one sample of <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
        public double Value(string name, params (string Key, string Value)[] labels)
        {
            var found = _samples.Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).ToList();
            Assert.True(found.Count == 1, $"{found.Count} samples of {name} {string.Join(',', labels)} in:\n{text}");
            return found[0].Value;
        }

        private static (string, Dictionary<string, string>, double) ParseLine(string line)
        {
            var match = SampleLine().Match(line);
            Assert.True(match.Success, line);
            var labels = LabelPair().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            return (match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture));
        }

        [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)( \d+)?$""")]
        private static partial Regex SampleLine();

        [GeneratedRegex("""(\w+)="((?:[^"\\]|\\.)*)"(,|$)""")]
        private static partial Regex LabelPair();
    }
}
