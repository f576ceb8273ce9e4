namespace ArrowCid.Bench.Http;

/// <summary>What one <see cref="HttpBenchmark"/> run is asked to do.</summary>
public sealed record HttpBenchmarkSettings
{
    /// <summary>About how large the streamed table is (canonical chunk bytes).</summary>
    public long TableBytes { get; init; } = 1L << 30;

    /// <summary>Distinct 256 KiB raw blocks requested in turn by wrk.</summary>
    public int Blocks { get; init; } = 256;

    /// <summary>Seconds of each wrk run.</summary>
    public double Seconds { get; init; } = 5;

    /// <summary>Measured rounds per figure, the best kept.</summary>
    public int Rounds { get; init; } = 3;

    /// <summary>Where the scratch repository (and nginx's folder) goes.</summary>
    public string ScratchRoot { get; init; } = Path.GetTempPath();
}

/// <summary>
/// Figures of one <see cref="HttpBenchmark"/> run. GB/s are 10^9 body bytes per second. The block
/// figures are null when wrk (or, for nginx's, nginx) is missing; <see cref="BlocksSkipped"/> says why.
/// </summary>
public sealed record HttpBenchmarkResult
{
    /// <summary>Canonical bytes of the table's chunks.</summary>
    public long TableBytes { get; init; }

    /// <summary>Chunks of the table.</summary>
    public int Chunks { get; init; }

    /// <summary>Bytes of one Arrow stream response body (what the socket transfer moves too).</summary>
    public long StreamBytes { get; init; }

    /// <summary>Measured rounds per figure (the best is reported).</summary>
    public int Rounds { get; init; }

    /// <summary>Stream and socket transfers made before measuring, until the JIT went quiet (or a cap).</summary>
    public int WarmUpTransfers { get; init; }

    /// <summary>The table as <c>application/vnd.apache.arrow.stream</c> from <c>/ipfs/{cid}</c>, one HTTP/1.1 request, body read and dropped.</summary>
    public double StreamGbps { get; init; }

    /// <summary>As many bytes over one raw loopback TCP connection.</summary>
    public double SocketGbps { get; init; }

    /// <summary>The Arrow stream over the raw socket.</summary>
    public double StreamRatio => SocketGbps > 0 ? StreamGbps / SocketGbps : 0;

    /// <summary>The goal: the Arrow stream reaches at least 0.6 of the raw socket.</summary>
    public bool StreamGoalMet => StreamRatio >= 0.6;

    /// <summary>Distinct raw blocks wrk asked for, in turn.</summary>
    public int Blocks { get; init; }

    /// <summary>Bytes of each raw block.</summary>
    public int BlockBytes { get; init; }

    /// <summary>Keep-alive connections wrk holds open.</summary>
    public int Connections { get; init; }

    /// <summary>wrk's threads.</summary>
    public int WrkThreads { get; init; }

    /// <summary>nginx's worker processes.</summary>
    public int NginxWorkers { get; init; }

    /// <summary>Seconds of each wrk run.</summary>
    public double Seconds { get; init; }

    /// <summary>Requests per second the gateway answered (<c>GET /ipfs/{cid}?format=raw</c>), best round.</summary>
    public double? GatewayBlockRps { get; init; }

    /// <summary>Requests per second nginx answered for the same paths and block files, best round.</summary>
    public double? NginxBlockRps { get; init; }

    /// <summary>The gateway's CPU time per block answered (this process, every thread), microseconds, over all measured rounds.</summary>
    public double? GatewayCpuMicrosecondsPerBlock { get; init; }

    /// <summary>nginx's workers' CPU time per block answered, microseconds, over all measured rounds.</summary>
    public double? NginxCpuMicrosecondsPerBlock { get; init; }

    /// <summary>The gateway over nginx.</summary>
    public double? BlockRpsRatio => GatewayBlockRps is { } gateway && NginxBlockRps is > 0 ? gateway / NginxBlockRps.Value : null;

    /// <summary>The goal: the gateway answers at least 0.8 of nginx's requests per second; null when not measured.</summary>
    public bool? BlockGoalMet => BlockRpsRatio is { } ratio ? ratio >= 0.8 : null;

    /// <summary>Why block figures are missing (wrk or nginx not found), or null.</summary>
    public string? BlocksSkipped { get; init; }

    /// <summary>The machine: cores, CPU, OS, runtime, load, wrk and nginx versions.</summary>
    public IReadOnlyDictionary<string, string> Machine { get; init; } = new Dictionary<string, string>();
}
