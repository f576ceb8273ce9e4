using ArrowCid.Arrow.Arrays;
using ArrowCid.Bench.Flight;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Hosting;
using ArrowCid.Flight.Tests.Service;
using ArrowCid.Repository;

namespace ArrowCid.Flight.Tests;

/// <summary>
/// Our HTTP/2 against the stock one both ways: each of our ends must work with Kestrel's server and
/// with SocketsHttpHandler, not only with each other (a protocol mistake shared by both of our ends
/// would pass every other test).
/// </summary>
public sealed class TransportMatrixTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task Put_and_verified_get_of_small_and_multi_megabyte_batches(bool kestrelServer, bool socketsClient)
    {
        string folder = Directory.CreateTempSubdirectory("arrowcid-flight-matrix-").FullName;
        try
        {
            using var content = ContentRepository.Open(Path.Combine(folder, "repo"));
            await using var node = await FlightNode.StartAsync(content, new FlightNodeOptions { UseKestrelHttp2 = kestrelServer });
            using var client = new FlightClient(node.Location, new FlightClientOptions { UseSocketsHttpHandler = socketsClient });
            using RecordBatch small = TestBatches.Small(7);
            using RecordBatch large = TestBatches.Large(6 << 20, 8);

            FlightPutSummary put = await client.PutAsync(small.Schema, [small]);
            FlightPutSummary putLarge = await client.PutAsync(large.Schema, [large]);
            foreach (var cid in new[] { put.Batches[0].Cid, putLarge.Batches[0].Cid })
            {
                FlightFetchResult fetched = await client.GetAsync(cid);
                Assert.Equal(cid, fetched.Batches[0].Cid);
                Assert.Equal(content.GetBytes(cid).ToArray(), fetched.Batches[0].CanonicalBytes.ToArray());
            }

            int listed = 0;
            await foreach (var unused in client.ListAsync())
            {
                listed++;
            }

            Assert.True(listed >= 2, $"listed {listed} flights");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(false, "arrowcid")]
    [InlineData(true, "kestrel+socketshttphandler")]
    public async Task Flight_benchmark_runs_on_either_transport_and_reports_it(bool kestrel, string name)
    {
        string scratch = Directory.CreateTempSubdirectory("arrowcid-flight-bench-").FullName;
        try
        {
            FlightBenchmarkResult result = await FlightBenchmark.RunAsync(1 << 20, 1, scratch, kestrel);
            Assert.Equal(name, result.Http2);
            // About 1 MiB of the mixed table: a few content-defined chunks, so DoGet streams several.
            Assert.InRange(result.TableBytes, 900_000, 2 << 20);
            Assert.InRange(result.Chunks, 2, 16);
            Assert.True(result.DoGetGbps > 0 && result.DoPutGbps > 0 && result.SocketGbps > 0 && result.DoGet4Gbps > 0, result.ToString());
            Assert.Equal(result.DoGetGbps / result.SocketGbps, result.DoGetRatio, 6);
            Assert.True(result.PutGbps > 0, result.ToString());
            Assert.Equal(result.DoPutGbps / result.PutGbps, result.DoPutRatio, 6);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
