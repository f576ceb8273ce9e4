using System.Diagnostics;
using Amazon.S3;
using Amazon.S3.Model;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Hosting;
using ArrowCid.Node;
using ArrowCid.ObjectStorage;
using S3Location = ArrowCid.ObjectStorage.S3Location;
using ArrowCid.Registry;
using ArrowCid.Repository;

namespace ArrowCid.Bench;

/// <summary>What <see cref="ObjectStorageBenchmark.RunAsync"/> measured: each ArrowCid figure next to the same store used raw, in the same run.</summary>
public sealed record ObjectStorageBenchmarkResult
{
    /// <summary>The bucket and prefix measured under (a fresh prefix of the one given, removed after).</summary>
    public required string Location { get; init; }

    /// <summary>The store's endpoint.</summary>
    public required string Endpoint { get; init; }

    /// <summary>Chunk bytes of the table put.</summary>
    public required long TableBytes { get; init; }

    /// <summary>Its chunks (objects).</summary>
    public required int Chunks { get; init; }

    /// <summary>Seconds a DoPut of the table took to a node keeping blocks in the bucket, to its acknowledgement (every object there).</summary>
    public required double PutSeconds { get; init; }

    /// <summary>Seconds the AWS SDK took to put the same bytes as objects of the same sizes, <see cref="ObjectStorageBenchmark.Concurrency"/> at once.</summary>
    public required double RawPutSeconds { get; init; }

    /// <summary>Seconds a node with an empty disk took to serve the table by DoGet, every block read from the bucket.</summary>
    public required double ColdGetSeconds { get; init; }

    /// <summary>Seconds the AWS SDK took to get the same objects, <see cref="ObjectStorageBenchmark.Concurrency"/> at once.</summary>
    public required double RawGetSeconds { get; init; }

    /// <summary>Seconds of the best DoGet of the table from that node's cache, once warm.</summary>
    public required double WarmDoGetSeconds { get; init; }

    /// <summary>Seconds of the best DoGet of the table from a node on local disk with no bucket.</summary>
    public required double LocalDoGetSeconds { get; init; }

    /// <summary>One-row tables put per second by <see cref="ObjectStorageBenchmark.Concurrency"/> DoPut clients to the node with the bucket.</summary>
    public required double SmallPutsPerSecond { get; init; }

    /// <summary>Small objects put per second by <see cref="ObjectStorageBenchmark.Concurrency"/> raw clients, one object a table.</summary>
    public required double RawSmallPutsPerSecond { get; init; }

    /// <summary>The cache's hit ratio on a skewed read mix (<see cref="HeatSimulation"/>).</summary>
    public required double CacheHitRatio { get; init; }

    /// <summary>The offline optimum's on the same mix.</summary>
    public required double OptimalHitRatio { get; init; }
}

/// <summary>
/// <c>arrowcid bench s3</c> (issue 66): a node keeping blocks in an S3-compatible bucket, against
/// the same bucket used raw through the AWS SDK, in the same run: a large table's put and cold
/// get, a warm DoGet against a node on local disk, small puts from many clients, and the cache's
/// hit ratio against the offline optimum. Before the large table is timed each side moves a small
/// one the same way (a put and a cold get through the nodes, raw puts and gets of its chunks), so
/// that neither pays in its timing for first compilations the other has had.
/// </summary>
public static class ObjectStorageBenchmark
{
    /// <summary>Clients, and raw requests, at once: the node's own bound on uploads at once.</summary>
    public const int Concurrency = ServiceRegistry.MaxUploadsAtOnce;

    /// <summary>Bytes of the small table each side is warmed with before it is timed.</summary>
    public const long WarmUpBytes = 32L << 20;

    /// <summary>Runs every measure under a fresh prefix of <paramref name="location"/>, removed after.</summary>
    /// <param name="location">The bucket (and prefix) to measure in; the endpoint and credentials come from the AWS environment.</param>
    /// <param name="scratchRoot">Where the nodes' folders go (removed after).</param>
    /// <param name="tableBytes">About how many bytes the large table holds.</param>
    /// <param name="seconds">How long each small-put measure runs.</param>
    /// <param name="rounds">Timed DoGet rounds (the best counts).</param>
    public static async Task<ObjectStorageBenchmarkResult> RunAsync(S3Location location, string scratchRoot, long tableBytes, double seconds, int rounds)
    {
        ArgumentNullException.ThrowIfNull(location);
        var measured = location with { Prefix = $"{location.Prefix}arrowcid-bench-{Guid.NewGuid():N}/" };
        string folder = Directory.CreateDirectory(Path.Combine(scratchRoot, $"s3-bench-{Environment.ProcessId}-{Guid.NewGuid():N}")).FullName;
        using var raw = new S3BlockTierOptions().CreateClient(out string endpoint);
        try
        {
            using var tier = await S3BlockTier.OpenAsync(measured).ConfigureAwait(false);
            using var shared = RegistryFactory.Open("sqlite:" + Path.Combine(folder, "shared.db"));
            var tiered = new NodeOptions { SharedRegistry = shared, DurableTier = tier, FetchFromPeers = false };

            // The large table, generated once and held; and a small one that warms each side first
            // (the JIT's first compilations of every path, the connections), so neither side's
            // timing pays for what a long-running node or client has paid long before.
            var batches = BenchTable.Build(tableBytes, seed: 66);
            var warmUp = BenchTable.Build(WarmUpBytes, seed: 67);
            using var writerContent = ContentRepository.Open(Path.Combine(folder, "writer"));
            FlightPutSummary put;
            FlightPutSummary warmPut;
            double putSeconds;
            await using (var writer = await FlightNode.StartAsync(writerContent, new FlightNodeOptions { Node = tiered }).ConfigureAwait(false))
            {
                using var client = new FlightClient(writer.Location);
                warmPut = await client.PutAsync(BenchTable.Schema, warmUp).ConfigureAwait(false);
                var clock = Stopwatch.StartNew();
                put = await client.PutAsync(BenchTable.Schema, batches).ConfigureAwait(false);
                putSeconds = clock.Elapsed.TotalSeconds;
            }

            // The same bytes as raw objects of the same sizes, under a prefix of their own.
            var chunks = put.Batches.Select(b => writerContent.GetBytes(b.Cid).ToArray()).ToList();
            string rawPrefix = measured.Prefix + "raw/";
            var warmChunks = warmPut.Batches.Select(b => writerContent.GetBytes(b.Cid).ToArray()).ToList();
            await TimeAsync(warmChunks.Count, i => RawPutAsync(raw, measured.Bucket, $"{rawPrefix}warm/{i}", warmChunks[i])).ConfigureAwait(false);
            await TimeAsync(warmChunks.Count, i => RawGetAsync(raw, measured.Bucket, $"{rawPrefix}warm/{i}")).ConfigureAwait(false);
            double rawPutSeconds = await TimeAsync(chunks.Count, i => RawPutAsync(raw, measured.Bucket, $"{rawPrefix}{i}", chunks[i])).ConfigureAwait(false);
            long chunkBytes = chunks.Sum(c => (long)c.Length);
            chunks.Clear();

            double rawGetSeconds = await TimeAsync(put.Batches.Count, i => RawGetAsync(raw, measured.Bucket, $"{rawPrefix}{i}")).ConfigureAwait(false);

            // A node with an empty disk over the same registry and bucket: the first DoGet reads every block from the bucket.
            using var readerContent = ContentRepository.Open(Path.Combine(folder, "reader"));
            double coldSeconds;
            double warmSeconds;
            await using (var reader = await FlightNode.StartAsync(readerContent, new FlightNodeOptions { Node = tiered }).ConfigureAwait(false))
            {
                using var client = new FlightClient(reader.Location);
                await Flight.FlightBenchmark.DrainAsync(client, warmPut.Table).ConfigureAwait(false);
                var clock = Stopwatch.StartNew();
                await Flight.FlightBenchmark.DrainAsync(client, put.Table).ConfigureAwait(false);
                coldSeconds = clock.Elapsed.TotalSeconds;
                warmSeconds = await BestAsync(rounds, () => Flight.FlightBenchmark.DrainAsync(client, put.Table)).ConfigureAwait(false);
            }

            // The same table on a node with no bucket at all.
            double localSeconds;
            await using (var local = await FlightNode.StartAsync(writerContent, new FlightNodeOptions()).ConfigureAwait(false))
            {
                using var client = new FlightClient(local.Location);
                localSeconds = await BestAsync(rounds, () => Flight.FlightBenchmark.DrainAsync(client, put.Table)).ConfigureAwait(false);
            }

            // Small puts: one-row tables from many clients, against one small object a put.
            using var smallContent = ContentRepository.Open(Path.Combine(folder, "small"));
            double smallPerSecond;
            await using (var small = await FlightNode.StartAsync(smallContent, new FlightNodeOptions { Node = tiered }).ConfigureAwait(false))
            {
                // A client each, as separate producers have; each table about 1 KiB, distinct.
                var clients = Enumerable.Range(0, Concurrency).Select(_ => new FlightClient(small.Location)).ToArray();
                try
                {
                    smallPerSecond = await RateAsync(seconds, async n =>
                    {
                        using var one = MixedTable.Build((ulong)n + 1000, 0, 1);
                        await clients[(int)(n % Concurrency)].PutAsync(MixedTable.Schema, [one]).ConfigureAwait(false);
                    }).ConfigureAwait(false);
                }
                finally
                {
                    Array.ForEach(clients, client => client.Dispose());
                }
            }

            byte[] smallObject = new byte[1024];
            double rawSmallPerSecond = await RateAsync(seconds, n => RawPutAsync(raw, measured.Bucket, $"{rawPrefix}small/{n}", smallObject)).ConfigureAwait(false);

            // The cache's policy on a skewed read mix: a thousand blocks of one size, a cache of a hundred.
            var mix = HeatSimulation.ZipfReads(blocks: 1000, reads: 200_000, exponent: 1.0, seed: 66);
            return new ObjectStorageBenchmarkResult
            {
                Location = measured.ToString(),
                Endpoint = endpoint,
                TableBytes = chunkBytes,
                Chunks = put.Batches.Count,
                PutSeconds = putSeconds,
                RawPutSeconds = rawPutSeconds,
                ColdGetSeconds = coldSeconds,
                RawGetSeconds = rawGetSeconds,
                WarmDoGetSeconds = warmSeconds,
                LocalDoGetSeconds = localSeconds,
                SmallPutsPerSecond = smallPerSecond,
                RawSmallPutsPerSecond = rawSmallPerSecond,
                CacheHitRatio = HeatSimulation.HitRatio(mix, capacity: 100),
                OptimalHitRatio = HeatSimulation.OptimalHitRatio(mix, capacity: 100),
            };
        }
        finally
        {
            await RemovePrefixAsync(raw, measured).ConfigureAwait(false);
            Directory.Delete(folder, recursive: true);
        }
    }

    // One object put as the tier puts a block: a single signed request, no aws-chunked encoding.
    private static Task<PutObjectResponse> RawPutAsync(AmazonS3Client client, string bucket, string key, byte[] bytes) =>
        client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = key,
            InputStream = new MemoryStream(bytes, writable: false),
            UseChunkEncoding = false,
        });

    private static async Task RawGetAsync(AmazonS3Client client, string bucket, string key)
    {
        using var response = await client.GetObjectAsync(bucket, key).ConfigureAwait(false);
        await response.ResponseStream.CopyToAsync(Stream.Null).ConfigureAwait(false);
    }

    // Runs count requests, Concurrency at once; the seconds they took.
    private static async Task<double> TimeAsync(int count, Func<int, Task> request)
    {
        var clock = Stopwatch.StartNew();
        int next = -1;
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            for (int i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                await request(i).ConfigureAwait(false);
            }
        })).ConfigureAwait(false);
        return clock.Elapsed.TotalSeconds;
    }

    // Runs requests from Concurrency workers for about the seconds given (after a first second untimed); how many finished per second.
    private static async Task<double> RateAsync(double seconds, Func<long, Task> request)
    {
        long issued = 0;
        long done = 0;
        var timed = Stopwatch.StartNew();
        var warm = TimeSpan.FromSeconds(1);
        var end = warm + TimeSpan.FromSeconds(seconds);
        long doneAtWarm = -1;
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            while (timed.Elapsed < end)
            {
                await request(Interlocked.Increment(ref issued)).ConfigureAwait(false);
                Interlocked.Increment(ref done);
                if (timed.Elapsed >= warm)
                {
                    Interlocked.CompareExchange(ref doneAtWarm, Interlocked.Read(ref done), -1);
                }
            }
        })).ConfigureAwait(false);
        double measuredSeconds = (timed.Elapsed - warm).TotalSeconds;
        return (done - Math.Max(0, doneAtWarm)) / Math.Max(measuredSeconds, 1e-9);
    }

    private static async Task<double> BestAsync(int rounds, Func<Task> body)
    {
        double best = double.MaxValue;
        for (int round = 0; round < Math.Max(1, rounds); round++)
        {
            var clock = Stopwatch.StartNew();
            await body().ConfigureAwait(false);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }

        return best;
    }

    // Everything the run wrote goes, the prefix's objects listed and deleted a page at a time.
    private static async Task RemovePrefixAsync(AmazonS3Client client, S3Location location)
    {
        string? continuation = null;
        do
        {
            var page = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = location.Bucket, Prefix = location.Prefix, ContinuationToken = continuation }).ConfigureAwait(false);
            var keys = (page.S3Objects ?? []).Select(o => o.Key).ToList();
            for (int i = 0; i < keys.Count; i += Concurrency)
            {
                await Task.WhenAll(keys.Skip(i).Take(Concurrency).Select(key => client.DeleteObjectAsync(location.Bucket, key))).ConfigureAwait(false);
            }

            continuation = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (continuation is not null);
    }
}
