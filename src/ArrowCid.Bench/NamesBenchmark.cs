using System.Diagnostics;
using System.Net;
using ArrowCid.Flight.Hosting;
using ArrowCid.Gateway;
using ArrowCid.Names;
using ArrowCid.Repository;

namespace ArrowCid.Bench;

/// <summary>What <see cref="NamesBenchmark.RunAsync"/> measured.</summary>
public sealed record NamesBenchmarkResult
{
    /// <summary>The scratch folder (removed after).</summary>
    public required string Folder { get; init; }

    /// <summary>How many versions were published and timed.</summary>
    public required int Publishes { get; init; }

    /// <summary>The median milliseconds of a version published: its node made, stored durably and linked in the registry, and its record signed and kept.</summary>
    public required double PublishMillisecondsP50 { get; init; }

    /// <summary>The 90th percentile of the same.</summary>
    public required double PublishMillisecondsP90 { get; init; }

    /// <summary>The versions of the name resolved (the chain verified back to its first).</summary>
    public required int ChainVersions { get; init; }

    /// <summary>How many resolves were timed.</summary>
    public required int Resolves { get; init; }

    /// <summary>The median milliseconds of a client resolving the name through the gateway and verifying the record and every node.</summary>
    public required double ResolveVerifyMillisecondsP50 { get; init; }

    /// <summary>The goal (issue 68): a version published within 2 ms.</summary>
    public bool PublishGoalMet => PublishMillisecondsP50 <= 2;

    /// <summary>The goal: a name of 100 versions resolved and verified through the gateway within 20 ms.</summary>
    public bool ResolveGoalMet => ResolveVerifyMillisecondsP50 <= 20;
}

/// <summary>
/// Signed names (docs/names.md): a version published (<see cref="NameChain.Publish"/> after the
/// registry records it: the node stored and linked, the record signed and kept, as every named put
/// does), and a name of <see cref="ChainVersions"/> versions resolved by a client through a node's
/// gateway the way <c>arrowcid name resolve --gateway</c> and Helia do: the record from delegated
/// routing, each node as a raw block, all verified (<see cref="GatewayNameResolver"/>). The
/// repository is on the disk asked for, so a publish pays its durable writes.
/// </summary>
public static class NamesBenchmark
{
    /// <summary>The versions of the name resolved.</summary>
    public const int ChainVersions = 100;

    /// <summary>Runs the benchmark in a scratch repository under <paramref name="scratchRoot"/>.</summary>
    /// <param name="scratchRoot">A folder on the disk to measure.</param>
    /// <param name="publishes">How many publishes are timed (as many more warm up first).</param>
    /// <param name="resolves">How many resolves are timed (a tenth as many warm up first).</param>
    /// <returns>The figures.</returns>
    /// <exception cref="BenchmarkException">A resolve did not give the head published.</exception>
    public static async Task<NamesBenchmarkResult> RunAsync(string scratchRoot, int publishes = 200, int resolves = 50)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(publishes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(resolves, 1);
        string folder = Path.Combine(scratchRoot, $"arrowcid-bench-names-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            using var content = ContentRepository.Open(Path.Combine(folder, "repo"));
            var table = content.PutStream(BenchTable.Schema, BenchTable.Build(64 << 10, seed: 68)).Table.Cid;

            // The chain resolved: its versions published untimed.
            for (int i = 0; i < ChainVersions; i++)
            {
                content.AddVersion("chain", table);
            }

            var publish = new double[publishes];
            for (int i = -publishes; i < publishes; i++)
            {
                // The registry's row is the put's, not the chain's: only the publish is timed.
                var version = content.Repository.AddVersion("published", table);
                long start = Stopwatch.GetTimestamp();
                content.Names.Publish(version);
                if (i >= 0)
                {
                    publish[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
            }

            var signer = content.Names.SignerOf("chain") ?? throw new BenchmarkException("the chain has no signer");
            await using var flight = await FlightNode.StartAsync(content).ConfigureAwait(false);
            await using var gateway = await GatewayNode.StartAsync(flight.Node).ConfigureAwait(false);
            using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AutomaticDecompression = DecompressionMethods.None })
            {
                BaseAddress = gateway.Address,
                DefaultRequestVersion = HttpVersion.Version11,
            };

            var resolve = new double[resolves];
            for (int i = -Math.Max(1, resolves / 10); i < resolves; i++)
            {
                long start = Stopwatch.GetTimestamp();
                var name = GatewayNameResolver.Resolve(http, signer, DateTimeOffset.UtcNow);
                double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (name.Chain.Count != ChainVersions || name.Head.Table != table)
                {
                    throw new BenchmarkException($"resolving {signer} gave {name.Chain.Count} versions of {name.Head.Table}, not {ChainVersions} of {table}");
                }

                if (i >= 0)
                {
                    resolve[i] = ms;
                }
            }

            Array.Sort(publish);
            return new NamesBenchmarkResult
            {
                Folder = folder,
                Publishes = publishes,
                PublishMillisecondsP50 = publish[publishes / 2],
                PublishMillisecondsP90 = publish[publishes * 9 / 10],
                ChainVersions = ChainVersions,
                Resolves = resolves,
                ResolveVerifyMillisecondsP50 = BenchClock.Median(resolve),
            };
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
