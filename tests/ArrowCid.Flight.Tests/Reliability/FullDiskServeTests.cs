using System.Net;
using System.Text.Json;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Tests.Support;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

namespace ArrowCid.Flight.Tests.Reliability;

/// <summary>
/// `arrowcid serve` on a disk that is already full (a 6 MiB tmpfs this test mounts and fills; skipped
/// with the reason where the machine does not allow a mount): it starts, serves every table, refuses
/// an HTTP upload with 507 and a problem+json body naming no path, says it is ready but read-only
/// (<c>/readyz</c>), and takes the upload once space is back.
/// </summary>
public sealed class FullDiskServeTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("arrowcid-full-serve-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Serve_starts_on_a_full_disk_serves_reads_and_answers_uploads_507_until_space_returns()
    {
        using var mount = TmpfsMount.TryMount(Path.Combine(_folder, "disk"), "6m", out string? why);
        if (mount is null)
        {
            output.WriteLine(CiEnvironment.SkipOrFail($"cannot mount a tmpfs: {why}"));
            return;
        }

        string repo = Path.Combine(mount.Path, "repo");
        var tables = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            string csv = Path.Combine(_folder, $"t{i}.csv");
            File.WriteAllLines(csv, ["id,v", .. Enumerable.Range(0, 2000).Select(k => $"{k},{i * 7 + k}")]);
            var (code, text) = await ServeProcess.RunCliAsync("put", "--repo", repo, csv);
            Assert.True(code == 0, text);
            tables.Add(text.Split('\n').Single(l => l.StartsWith("table ", StringComparison.Ordinal)).Split(' ')[1]);
        }

        // Fill what is left.
        string filler = Fill(mount.Path, "filler");

        await using var node = await ServeProcess.StartInFolderAsync(mount.Path);
        using var client = new FlightClient(node.Location);
        foreach (string table in tables)
        {
            Assert.NotEmpty((await client.GetAsync(Content.Multiformats.Cid.Parse(table))).Batches);
        }

        // Opening gave the repository's space reserve back to the registry (SQLite writes even to
        // read): fill that too, so the upload meets a full disk.
        string more = Fill(mount.Path, "more");
        using var http = new HttpClient { BaseAddress = node.Gateway };
        string upload = string.Join('\n', ["id,v", .. Enumerable.Range(0, 20_000).Select(k => $"{k},{k * 3}")]);
        using (var refused = await http.PostAsync("/api/v1/tables", new StringContent(upload, System.Text.Encoding.UTF8, "text/csv")))
        {
            Assert.Equal((HttpStatusCode)507, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            string body = await refused.Content.ReadAsStringAsync();
            Assert.DoesNotContain(mount.Path, body, StringComparison.Ordinal);
            Assert.Equal(507, JsonDocument.Parse(body).RootElement.GetProperty("status").GetInt32());
        }

        // Still ready (reads go on), and says why it takes no writes.
        var readiness = await ReadinessAsync(http);
        Assert.Equal((HttpStatusCode.OK, "ready"), (readiness.Status, readiness.Body.GetProperty("status").GetString()));
        Assert.StartsWith("read-only: the disk is full", readiness.Body.GetProperty("store").GetString(), StringComparison.Ordinal);

        File.Delete(filler);
        File.Delete(more);
        Assert.Equal("writable", (await ReadinessAsync(http)).Body.GetProperty("store").GetString());
        using var accepted = await http.PostAsync("/api/v1/tables", new StringContent(upload, System.Text.Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        Assert.False(node.HasExited);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadinessAsync(HttpClient http)
    {
        using var answer = await http.GetAsync("/readyz");
        return (answer.StatusCode, JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    /// <summary>Writes a file in <paramref name="folder"/> until the disk is full; returns its path.</summary>
    private static string Fill(string folder, string name)
    {
        string path = Path.Combine(folder, name);
        using var fill = new FileStream(path, FileMode.CreateNew);
        var block = new byte[16 << 10];
        try
        {
            while (true)
            {
                fill.Write(block);
                fill.Flush();
            }
        }
        catch (IOException)
        {
            // Full.
        }

        return path;
    }
}
