using System.Diagnostics;
using ArrowCid.Apache;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Hosting;
using ArrowCid.Repository;
using Grpc.Net.Client;
using ApacheFlight = Apache.Arrow.Flight;

namespace ArrowCid.Bench.Flight;

/// <summary>What <see cref="ApacheFlightComparison"/> measured.</summary>
/// <param name="OursServerCpuSecondsPerGb">Our node's process CPU per GB sent, read by the Apache.Arrow.Flight client.</param>
/// <param name="ApacheServerCpuSecondsPerGb">The Apache.Arrow.Flight.AspNetCore server's, holding the same batches, read by the same client.</param>
/// <param name="OurClientApacheBatchesGbps">Our <see cref="FlightClient"/> fetching the table from our node (every chunk re-hashed) and yielding Apache.Arrow batches.</param>
/// <param name="ApacheClientGbps">The Apache.Arrow.Flight client fetching the same table from the same node.</param>
public sealed record ApacheFlightFigures(double OursServerCpuSecondsPerGb, double ApacheServerCpuSecondsPerGb, double OurClientApacheBatchesGbps, double ApacheClientGbps)
{
    /// <summary>Our node's CPU per GB when our own client reads the table (raw DoGet, nothing decoded): what the Apache client's reading adds shows against it.</summary>
    public double OursServerCpuSecondsPerGbOurClient { get; init; }

    /// <summary><c>doget_server_cpu_ratio_vs_apache</c> (goal ≤ 0.5).</summary>
    public double DoGetServerCpuRatioVsApache => OursServerCpuSecondsPerGb / ApacheServerCpuSecondsPerGb;

    /// <summary><c>apache_batches_gbps_ratio</c> (goal ≥ 3).</summary>
    public double ApacheBatchesGbpsRatio => OurClientApacheBatchesGbps / ApacheClientGbps;
}

/// <summary>
/// Our Flight node and client next to the standard .NET Flight server and client. A peer process
/// (<see cref="ApacheFlightPeer"/>) runs our node and an Apache.Arrow.Flight.AspNetCore server, so
/// their CPU is measured apart from the client's: this process puts the same batches into both,
/// then, round after round, the Apache.Arrow.Flight client reads the table from our node and from
/// the Apache server while the peer's CPU time is sampled around each read. Then our client and the
/// Apache client fetch the table from our node into Apache.Arrow batches, alternating.
/// </summary>
public static class ApacheFlightComparison
{
    private const string ApacheFlightPath = "bench";

    // Each read in a round moves at least this much: CPU time is counted in clock ticks (10 ms), so a
    // small table is read several times over for its CPU to show.
    private const long MinBytesPerRead = 256L << 20;

    /// <summary>Runs the comparison on <paramref name="batches"/>; <paramref name="peerStart"/> makes the peer's start info from its arguments.</summary>
    public static async Task<ApacheFlightFigures> RunAsync(
        Schema schema, IReadOnlyList<RecordBatch> batches, int rounds, string folder, Func<IReadOnlyList<string>, ProcessStartInfo> peerStart)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(peerStart);
        (schema, batches) = WithoutDictionaries(schema, batches);
        var start = peerStart(["--dir", folder]);
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.UseShellExecute = false;
        using var peer = Process.Start(start) ?? throw new BenchmarkException("the Flight benchmark peer did not start");
        try
        {
            string ours = await ExpectAsync(peer, "ours").ConfigureAwait(false);
            string apache = await ExpectAsync(peer, "apache").ConfigureAwait(false);
            using var ourClient = new FlightClient(ours);
            var put = await ourClient.PutAsync(schema, batches).ConfigureAwait(false);
            long bytes = put.Batches.Sum(b => b.Bytes);
            using var ourChannel = Channel(ours);
            using var apacheChannel = Channel(apache);
            var apacheOnOurs = new ApacheFlight.Client.FlightClient(ourChannel);
            var apacheOnApache = new ApacheFlight.Client.FlightClient(apacheChannel);
            await PutApacheAsync(apacheOnApache, schema, batches).ConfigureAwait(false);
            int repeats = (int)Math.Clamp((MinBytesPerRead + bytes - 1) / bytes, 1, 1024);
            var ourDescriptor = ApacheFlight.FlightDescriptor.CreatePathDescriptor(put.Table.ToString());
            var apacheDescriptor = ApacheFlight.FlightDescriptor.CreatePathDescriptor(ApacheFlightPath);

            // Warm-up: both servers' and both clients' paths compiled before anything is timed.
            for (int i = 0; i < 3; i++)
            {
                await DrainAsync(apacheOnOurs, ourDescriptor).ConfigureAwait(false);
                await DrainAsync(apacheOnApache, apacheDescriptor).ConfigureAwait(false);
                await FetchApacheBatchesAsync(ourClient, put.Table).ConfigureAwait(false);
            }

            TimeSpan oursCpu = TimeSpan.Zero;
            TimeSpan apacheCpu = TimeSpan.Zero;
            TimeSpan oursRawCpu = TimeSpan.Zero;
            double apacheClient = double.MaxValue;
            double ourClientTime = double.MaxValue;
            for (int round = 0; round < rounds; round++)
            {
                var apacheOnOursRead = await RepeatedAsync(peer, repeats, () => DrainAsync(apacheOnOurs, ourDescriptor)).ConfigureAwait(false);
                var apacheOnApacheRead = await RepeatedAsync(peer, repeats, () => DrainAsync(apacheOnApache, apacheDescriptor)).ConfigureAwait(false);
                var ourFetch = await RepeatedAsync(peer, repeats, () => FetchApacheBatchesAsync(ourClient, put.Table)).ConfigureAwait(false);
                var ourRawRead = await RepeatedAsync(peer, repeats, () => FlightBenchmark.DrainAsync(ourClient, put.Table)).ConfigureAwait(false);
                apacheClient = Math.Min(apacheClient, apacheOnOursRead.Seconds);
                ourClientTime = Math.Min(ourClientTime, ourFetch.Seconds);
                oursCpu += apacheOnOursRead.PeerCpu;
                apacheCpu += apacheOnApacheRead.PeerCpu;
                oursRawCpu += ourRawRead.PeerCpu;
            }

            double gb = bytes / 1e9;
            double perRead = (double)rounds * repeats;
            if (apacheCpu <= TimeSpan.Zero || oursCpu <= TimeSpan.Zero)
            {
                throw new BenchmarkException("the peer's CPU time did not move while it served: too little was read to measure");
            }

            return new ApacheFlightFigures(oursCpu.TotalSeconds / perRead / gb, apacheCpu.TotalSeconds / perRead / gb, gb / ourClientTime, gb / apacheClient)
            {
                OursServerCpuSecondsPerGbOurClient = oursRawCpu.TotalSeconds / perRead / gb,
            };
        }
        finally
        {
            // Closing its input ends the peer; a peer that does not end is killed.
            peer.StandardInput.Close();
            if (!peer.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                peer.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>
    /// The columns Apache.Arrow.Flight can carry: its stream reader has no dictionary batches (a DoPut or
    /// DoGet carrying one fails), so dictionary-encoded columns are left out, on both servers alike.
    /// </summary>
    private static (Schema Schema, IReadOnlyList<RecordBatch> Batches) WithoutDictionaries(Schema schema, IReadOnlyList<RecordBatch> batches)
    {
        int[] kept = [.. Enumerable.Range(0, schema.Fields.Length).Where(i => schema.Fields[i].Type.Id != ArrowTypeId.Dictionary)];
        var projected = new Schema(kept.Select(i => schema.Fields[i]));
        return (projected, [.. batches.Select(b => new RecordBatch(projected, b.Length, kept.Select(b.Column)))]);
    }

    /// <summary><paramref name="read"/> run <paramref name="repeats"/> times: seconds per read, and the peer's CPU time over all of them.</summary>
    private static async Task<(double Seconds, TimeSpan PeerCpu)> RepeatedAsync(Process peer, int repeats, Func<Task> read)
    {
        TimeSpan before = CpuOf(peer);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < repeats; i++)
        {
            await read().ConfigureAwait(false);
        }

        return (clock.Elapsed.TotalSeconds / repeats, CpuOf(peer) - before);
    }

    private static GrpcChannel Channel(string location) =>
        GrpcChannel.ForAddress(location.Replace("grpc+tcp://", "http://", StringComparison.Ordinal), new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20 });

    private static async Task<string> ExpectAsync(Process peer, string keyword)
    {
        string? line = await peer.StandardOutput.ReadLineAsync().ConfigureAwait(false);
        string prefix = keyword + " ";
        return line is not null && line.StartsWith(prefix, StringComparison.Ordinal)
            ? line[prefix.Length..]
            : throw new BenchmarkException($"the Flight benchmark peer said '{line}' where '{keyword} LOCATION' was expected");
    }

    private static TimeSpan CpuOf(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime;
    }

    private static async Task PutApacheAsync(ApacheFlight.Client.FlightClient client, Schema schema, IReadOnlyList<RecordBatch> batches)
    {
        var apacheSchema = ApacheArrow.ToApache(schema);
        var put = await client.StartPut(ApacheFlight.FlightDescriptor.CreatePathDescriptor(ApacheFlightPath), apacheSchema).ConfigureAwait(false);
        // Acknowledgements are read while batches go out, as a DoPut client must.
        var acknowledged = Task.Run(async () =>
        {
            while (await put.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
            {
            }
        });
        foreach (var batch in batches)
        {
            using var apacheBatch = ApacheArrow.ToApache(batch, apacheSchema);
            await put.RequestStream.WriteAsync(apacheBatch).ConfigureAwait(false);
        }

        await put.RequestStream.CompleteAsync().ConfigureAwait(false);
        await acknowledged.ConfigureAwait(false);
    }

    /// <summary>GetFlightInfo, then every endpoint read to the end with the Apache client; each batch disposed.</summary>
    private static async Task DrainAsync(ApacheFlight.Client.FlightClient client, ApacheFlight.FlightDescriptor descriptor)
    {
        var info = await client.GetInfo(descriptor).ConfigureAwait(false);
        long rows = 0;
        foreach (var endpoint in info.Endpoints)
        {
            using var call = client.GetStream(endpoint.Ticket);
            while (await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
            {
                using var batch = call.ResponseStream.Current;
                rows += batch.Length;
            }
        }

        if (rows == 0)
        {
            throw new BenchmarkException($"{string.Join('/', descriptor.Paths)} came back empty");
        }
    }

    /// <summary>Our client's verified fetch, its chunks handed over as Apache.Arrow batches, each disposed.</summary>
    private static async Task FetchApacheBatchesAsync(FlightClient client, Cid table)
    {
        var fetched = await client.GetAsync(table).ConfigureAwait(false);
        long rows = 0;
        foreach (var batch in fetched.ReadApacheBatches())
        {
            using (batch)
            {
                rows += batch.Length;
            }
        }

        if (rows == 0)
        {
            throw new BenchmarkException($"{table} came back empty");
        }
    }
}

/// <summary>
/// The peer process of <see cref="ApacheFlightComparison"/>: our Flight node over a scratch repository
/// and an in-memory Apache.Arrow.Flight.AspNetCore server, their locations printed (<c>ours LOCATION</c>,
/// <c>apache LOCATION</c>), serving until its standard input closes.
/// </summary>
public static class ApacheFlightPeer
{
    /// <summary>Serves from <paramref name="folder"/> until <paramref name="input"/> ends.</summary>
    public static async Task RunAsync(string folder, TextWriter output, TextReader input)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(input);
        using var content = ContentRepository.Open(Path.Combine(folder, "repo"));
        await using var node = await FlightNode.StartAsync(content).ConfigureAwait(false);
        var (apache, location) = await InMemoryApacheFlightServer.StartAsync().ConfigureAwait(false);
        await using (apache.ConfigureAwait(false))
        {
            await output.WriteLineAsync($"ours {node.Location}").ConfigureAwait(false);
            await output.WriteLineAsync($"apache {location}").ConfigureAwait(false);
            await output.FlushAsync().ConfigureAwait(false);
            await input.ReadToEndAsync().ConfigureAwait(false);
            await apache.StopAsync().ConfigureAwait(false);
        }
    }
}
