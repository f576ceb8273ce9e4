using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Content.Multiformats;
using ArrowCid.Grpc;
using ArrowCid.Flight.Service;
using ArrowCid.Flight.Tests.Service;
using ArrowCid.Node;
using ArrowCid.Repository;
using ArrowCid.Repository.Tests.Content;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

namespace ArrowCid.Flight.Tests;

/// <summary>
/// Runs interop/rust-h2 against a node: a Flight client on hyper 0.14 / h2 0.3 / tokio / prost,
/// the HTTP/2 stack tonic and so arrow-rs run on, built offline from Debian's librust-*-dev
/// crates. It fetches a small and a 6 MiB batch (each stored as one block, as
/// <see cref="ContentRepository.PutBatch"/> stores a batch: a long stream for the transport) by
/// DoGet on two connections (hyper's default windows and 65,535-byte ones), re-hashing each to its
/// CID; checks NOT_FOUND, INVALID_ARGUMENT and a cancelled DoGet followed by a good one; and puts
/// two stream files (small batches with a changing dictionary; 5 and 3 MiB batches) by DoPut,
/// verifying every PutResult, chunk, manifest tree node and table stream by hash. Then our own client fetches what it put and compares it with the
/// files' batches. Without cargo or the crates: SKIPPED outside CI, a failure in CI.
/// </summary>
[Trait("Category", "Peers")]
public sealed partial class RustH2InteropTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Hyper_h2_client_gets_and_puts_content_verified_by_CID()
    {
        if (await BuildPeerAsync() is not { } binary)
        {
            return;
        }

        await using var node = await FlightNodeFixture.StartAsync();
        using var client = node.Client();
        using var small = TestBatches.Small(501);
        using var large = TestBatches.Large(6L << 20, seed: 502);
        string smallCid = node.Content.PutBatch(small).Cid.ToString();
        string largeCid = node.Content.PutBatch(large).Cid.ToString();

        var smallBatches = SampleBatches.Several(3);
        RecordBatch[] largeBatches = [TestBatches.Large(5L << 20, seed: 503), TestBatches.Large(3L << 20, seed: 504)];
        string folder = Directory.CreateTempSubdirectory("arrowcid-rust-h2-").FullName;
        try
        {
            string smallFile = WriteStream(Path.Combine(folder, "small.arrows"), smallBatches);
            string largeFile = WriteStream(Path.Combine(folder, "large.arrows"), largeBatches);
            var run = await RustInteropRunner.RunAsync(
                binary,
                [node.Location, "--get", smallCid, "--get", largeCid, "--put", smallFile, "--put", largeFile],
                TimeSpan.FromMinutes(3));
            output.WriteLine(run.Log);
            Assert.True(run.ExitCode == 0, $"arrowcid-h2-peer exited with {run.ExitCode}:\n{run.Log}");

            var expected = new List<string> { "ok connect ", "ok doget unknown ", "ok doget ticket 'not-a-cid': grpc-status 3" };
            foreach (string windows in new[] { "hyper-default windows", "65535-byte windows" })
            {
                expected.Add($"ok doget {smallCid} over {windows}: ");
                expected.Add($"ok doget {largeCid} over {windows}: ");
                expected.Add($"ok doget {largeCid} cancelled then again over {windows}: dropped after ");
            }

            expected.Add($"ok doget {largeCid} x8 at once over 65535-byte windows: each ");
            expected.Add("ok doput of a malformed 24 MiB stream: grpc-status 3 ");
            expected.Add("ok doget after the malformed doput: ");

            var files = new[] { (smallFile, smallBatches), (largeFile, (IReadOnlyList<RecordBatch>)largeBatches) };
            var datasets = new Dictionary<string, string>();
            int checks = expected.Count + 1; // "ok connect " stands for both connections' checks
            foreach (var (file, batches) in files)
            {
                // The chunks the node cut the rows into, as a local put cuts them (batching does not matter).
                int chunks = ContentRepository.ComputeCids(batches[0].Schema, batches).Batches.Count;
                Match put = Regex.Match(run.Stdout, $@"^ok doput {Regex.Escape(file)}: {chunks} chunks, .* table (\S+)$", RegexOptions.Multiline);
                Assert.True(put.Success, $"no DoPut line for {file} with {chunks} chunks");
                datasets[file] = put.Groups[1].Value;
                expected.AddRange(Enumerable.Range(0, chunks).Select(i => $"ok doput {file} chunk {i} "));
                expected.AddRange(new[] { "manifest", "doget", "getflightinfo" }.Select(check => $"ok doput {file} table {datasets[file]} {check}: "));
                checks += 1 + chunks + 3;
            }

            foreach (string line in expected)
            {
                Assert.Contains(line, run.Stdout, StringComparison.Ordinal);
            }

            Assert.DoesNotContain("FAIL", run.Stdout, StringComparison.Ordinal);
            Assert.Contains($"all {checks} checks passed", run.Stdout, StringComparison.Ordinal);

            // What the Rust client put is what the files hold, fetched back verified by our client:
            // the same table a local put of the files' batches gives, and the files' rows.
            foreach (var (file, batches) in files)
            {
                Assert.Equal(ContentRepository.ComputeCids(batches[0].Schema, batches).Table.Cid.ToString(), datasets[file]);
                var fetched = await client.GetAsync(Cid.Parse(datasets[file]));
                Assert.Equal(batches.Sum(b => (long)b.Length), fetched.Batches.Sum(b => { using var back = b.Read(); return (long)back.Length; }));
            }
        }
        finally
        {
            foreach (var batch in smallBatches.Concat(largeBatches))
            {
                batch.Dispose();
            }

            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Hyper_h2_client_finishes_a_DoGet_while_the_node_shuts_down_and_the_connection_closes_cleanly()
    {
        if (await BuildPeerAsync() is not { } binary)
        {
            return;
        }

        // A server this test stops itself (StopAsync with a long grace): GOAWAY while a DoGet runs.
        string folder = Directory.CreateTempSubdirectory("arrowcid-rust-h2-").FullName;
        var content = ContentRepository.Open(Path.Combine(folder, "repo"));
        var node = new ContentNode(content);
        var service = new FlightNodeService(node);
        GrpcServer? server = null;
        try
        {
            server = await GrpcServer.StartAsync(new GrpcServiceRegistry(new GrpcServerOptions()).AddFlightService(service));
            string cid;
            using (var large = TestBatches.Large(6L << 20, seed: 505))
            {
                cid = content.PutBatch(large).Cid.ToString();
            }

            var start = new ProcessStartInfo(binary, ["http://" + server.Address.Authority, "--shutdown", cid])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start) ?? throw new InvalidOperationException("arrowcid-h2-peer did not start");
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            var log = new StringBuilder();
            try
            {
                // The peer holds a DoGet open after its first MiB until told to go on.
                while (await process.StandardOutput.ReadLineAsync(limit.Token) is { } line)
                {
                    log.AppendLine(line);
                    if (line.StartsWith("ready for shutdown", StringComparison.Ordinal))
                    {
                        break;
                    }
                }

                if (!log.ToString().Contains("ready for shutdown", StringComparison.Ordinal))
                {
                    // stdout ended: the peer has exited, so its stderr is complete.
                    Assert.Fail($"the peer did not get ready:\n{log}{await stderr}");
                }

                Task stopping = server.StopAsync(limit.Token);
                await process.StandardInput.WriteLineAsync("go");
                await process.StandardInput.FlushAsync(limit.Token);
                log.Append(await process.StandardOutput.ReadToEndAsync(limit.Token));
                await process.WaitForExitAsync(limit.Token);
                await stopping;
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"arrowcid-h2-peer --shutdown ran longer than 3 minutes:\n{log}");
            }

            string stdout = log.ToString();
            string errors = await stderr;
            output.WriteLine(stdout + errors);
            Assert.True(process.ExitCode == 0, $"arrowcid-h2-peer exited with {process.ExitCode}:\n{stdout}{errors}");
            Assert.Contains($"ok doget {cid} across the node's shutdown: ", stdout, StringComparison.Ordinal);
            Assert.Contains("ok connection closes cleanly once the call is done: ", stdout, StringComparison.Ordinal);
            Assert.Contains("ok a new call on the closed connection fails: ", stdout, StringComparison.Ordinal);
            Assert.Contains("all 5 checks passed", stdout, StringComparison.Ordinal);
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }

            node.Dispose();
            content.Dispose();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The peer's binary, built if needed; null (after printing SKIPPED) when it cannot be built here outside CI.</summary>
    private async Task<string?> BuildPeerAsync()
    {
        // A cold build on Debian's rustc takes minutes on a busy 2-core machine; an up-to-date one is a no-op.
        RustPeerBuild build = await RustInteropRunner.BuildAsync(TimeSpan.FromMinutes(20));
        if (build.Unavailable is { } why)
        {
            output.WriteLine(CiEnvironment.SkipOrFail("interop/rust-h2 cannot be built: " + why));
            return null;
        }

        return build.Binary;
    }

    private static string WriteStream(string path, IReadOnlyList<RecordBatch> batches)
    {
        using var file = File.Create(path);
        using var writer = new ArrowStreamWriter(file, batches[0].Schema);
        foreach (var batch in batches)
        {
            writer.Write(batch);
        }

        writer.Finish();
        return path;
    }
}
