namespace ArrowCid.Bench.Flight;

/// <summary>Figures of one <see cref="FlightBenchmark"/> run (GB/s are 10^9 bytes per second of the table's canonical chunk bytes).</summary>
public sealed record FlightBenchmarkResult
{
    /// <summary>Canonical bytes of the table's chunks (what DoGet moves, its schema and message framing aside).</summary>
    public long TableBytes { get; init; }

    /// <summary>Chunks of the table: each is one FlightData message of DoGet (two or more where it has dictionaries).</summary>
    public int Chunks { get; init; }

    /// <summary>Measured rounds per figure (the best is reported).</summary>
    public int Rounds { get; init; }

    /// <summary>DoGet and socket transfers made before measuring, until the JIT went quiet (or a cap).</summary>
    public int WarmUpTransfers { get; init; }

    /// <summary>One DoGet stream, messages received and dropped.</summary>
    public double DoGetGbps { get; init; }

    /// <summary>One DoGet stream through <see cref="ArrowCid.Flight.Client.FlightClient.GetAsync(ArrowCid.Content.Multiformats.Cid, CancellationToken)"/>: reassembled and re-hashed.</summary>
    public double DoGetVerifiedGbps { get; init; }

    /// <summary>Four concurrent DoGet streams of the table, bytes of all four over the wall time.</summary>
    public double DoGet4Gbps { get; init; }

    /// <summary>One DoPut stream to a node whose repository does not hold the table yet: encoded, sent, chunked, canonicalised, hashed and stored durably.</summary>
    public double DoPutGbps { get; init; }

    /// <summary>A local put of the same batches into a repository that does not hold them yet (<c>ContentRepository.PutStream</c>): chunked, canonicalised, hashed and stored durably.</summary>
    public double PutGbps { get; init; }

    /// <summary>As many bytes over one raw loopback TCP connection.</summary>
    public double SocketGbps { get; init; }

    /// <summary>
    /// CPU seconds the whole process (node and client, every thread) spent per 10^9 bytes during the
    /// measured single-stream DoGets: the cost of the transfer whatever else the machine is running.
    /// </summary>
    public double DoGetCpuSecondsPerGb { get; init; }

    /// <summary>
    /// Process CPU per GB of DoGet with the node's metrics collected (OpenTelemetry's Prometheus
    /// exporter listening, as on a node serving /metrics) over the same without, the two alternating
    /// within each round. Goal: at most <see cref="FlightBenchmark.MetricsOverheadGoal"/>.
    /// </summary>
    public double MetricsOverheadRatio { get; init; }

    /// <summary>CPU seconds per 10^9 bytes of the measured socket transfers (both ends are in the process).</summary>
    public double SocketCpuSecondsPerGb { get; init; }

    /// <summary>CPU seconds the process spent per 10^9 bytes during the measured DoPuts (client and node).</summary>
    public double DoPutCpuSecondsPerGb { get; init; }

    /// <summary>CPU seconds the process spent per 10^9 bytes during the measured local puts.</summary>
    public double PutCpuSecondsPerGb { get; init; }

    /// <summary>DoPut over the local put of the same bytes: what the transfer and decoding add to storing.</summary>
    public double DoPutRatio => PutGbps > 0 ? DoPutGbps / PutGbps : 0;

    /// <summary>The goal: DoPut reaches at least 0.5 of a local put.</summary>
    public bool DoPutGoalMet => DoPutRatio >= 0.5;

    /// <summary>DoGet over raw TCP.</summary>
    public double DoGetRatio => SocketGbps > 0 ? DoGetGbps / SocketGbps : 0;

    /// <summary>The goal: DoGet reaches at least 0.6 of the raw socket.</summary>
    public bool DoGetGoalMet => DoGetRatio >= 0.6;

    /// <summary>Whether <see cref="MetricsOverheadRatio"/> is at most <see cref="FlightBenchmark.MetricsOverheadGoal"/>.</summary>
    public bool MetricsGoalMet => MetricsOverheadRatio <= FlightBenchmark.MetricsOverheadGoal;

    /// <summary>The HTTP/2 implementation measured: <c>arrowcid</c> (ours, both ends) or <c>kestrel+socketshttphandler</c>.</summary>
    public string Http2 { get; init; } = "arrowcid";

    /// <summary>Against the standard .NET Flight server and client, when the run measured them.</summary>
    public ApacheFlightFigures? Apache { get; init; }

    /// <summary>Where the node's repository was.</summary>
    public string Repository { get; init; } = string.Empty;
}
