using System.Text.Json.Serialization;

namespace ArrowCid.Wire;

// The benchmarks' --json reports (docs/performance.md): each figure under the name the issues and
// the performance table give it. Ratios and rates are rounded where the CLI builds them; an
// unmeasured figure (a peer missing) is written as null.

/// <summary><c>bench ingest --json</c>: durable puts, one client and 16, next to fsync appends.</summary>
public sealed record IngestReport(
    string Dir,
    long TableBytes,
    [property: JsonPropertyName("warmup_s_1")] double WarmupS1,
    [property: JsonPropertyName("warmup_s_16")] double WarmupS16,
    [property: JsonPropertyName("jit_methods_in_measure_1")] long JitMethodsInMeasure1,
    [property: JsonPropertyName("jit_methods_in_measure_16")] long JitMethodsInMeasure16,
    double FsyncAppendsPerS,
    [property: JsonPropertyName("puts_per_s_1")] double PutsPerS1,
    [property: JsonPropertyName("cpu_us_per_put_1")] double CpuUsPerPut1,
    [property: JsonPropertyName("puts_per_s_16")] double PutsPerS16,
    double SpaceRatio,
    double RegistryBytesPerBlock,
    [property: JsonPropertyName("puts_16")] long Puts16,
    [property: JsonPropertyName("group_commits_16")] long GroupCommits16,
    [property: JsonPropertyName("commit_ms_per_group_16")] double CommitMsPerGroup16,
    [property: JsonPropertyName("longest_commit_ms_16")] double LongestCommitMs16,
    [property: JsonPropertyName("cpu_us_per_put_16")] double CpuUsPerPut16,
    [property: JsonPropertyName("gc_collections_16")] long GcCollections16,
    [property: JsonPropertyName("gc_pause_share_16")] double GcPauseShare16,
    [property: JsonPropertyName("puts_1_vs_fsync")] double Puts1VsFsync,
    [property: JsonPropertyName("puts_16_vs_fsync")] double Puts16VsFsync,
    bool SingleGoalMet,
    bool ConcurrentGoalMet,
    bool SpaceGoalMet);

/// <summary><c>bench chunk --json</c>: content-defined chunking next to SHA-256, and the new bytes after edits.</summary>
public sealed record ChunkReport(
    long SizeMib,
    long Rows,
    long Batches,
    long ChunkBytes,
    long Chunks,
    long ManifestNodes,
    long ManifestLevels,
    double ChunkGbps,
    double RowHashGbps,
    double CidGbps,
    double Sha256Gbps,
    double ChunkRatioVsSha256,
    double RowHashRatioVsSha256,
    double CidRatioVsSha256,
    double CidInlineGbps,
    double CidInlineRatioVsSha256,
    long ChunkSizeP10,
    long ChunkSizeMedian,
    long ChunkSizeP90,
    long ChunkSizeMax,
    [property: JsonPropertyName("chunks_within_2x_target")] double ChunksWithin2xTarget,
    double AppendNewRatio,
    double InsertNewRatio,
    double DeleteNewRatio,
    double UpdateNewRatio,
    long AppendNewChunks,
    long InsertNewChunks,
    long DeleteNewChunks,
    long UpdateNewChunks,
    bool DedupGoalsMet);

/// <summary><c>bench ipc --json</c>: Arrow IPC write and read next to memcpy, and mapped opens.</summary>
public sealed record IpcReport(
    long SizeMib,
    long EncodedBytes,
    long Rows,
    long Batches,
    string WriteDestination,
    double WriteGbps,
    double ReadGbps,
    double MemcpyGbps,
    double WriteToMemcpy,
    double ReadToMemcpy,
    [property: JsonPropertyName("map_open_ms_1mib")] double MapOpenMs1mib,
    [property: JsonPropertyName("map_open_ms_1gib")] double MapOpenMs1gib,
    double MapOpenRatio,
    long MapOpenSmallFileBytes,
    long MapOpenLargeFileBytes,
    string ScratchDir,
    bool WriteGoalMet,
    bool MapOpenGoalMet,
    double ApacheWriteGbps,
    double ApacheReadGbps,
    double WriteRatioVsApache,
    double ReadRatioVsApache);

/// <summary><c>bench shm --json</c>: shared memory across two processes.</summary>
public sealed record ShmReport(
    [property: JsonPropertyName("roundtrips_per_s_1kib")] double RoundtripsPerS1kib,
    long Roundtrips,
    double PublisherCpuUsPerRoundtrip,
    double PeerCpuUsPerRoundtrip,
    double NotifyP50Us,
    double NotifyP99Us,
    [property: JsonPropertyName("attach_us_1kib")] double AttachUs1kib,
    [property: JsonPropertyName("attach_us_1gib")] double AttachUs1gib,
    [property: JsonPropertyName("attach_ratio_1gib_vs_1kib")] double AttachRatio1gibVs1kib,
    double AttachReadGbps,
    double AttachReadVerifiedGbps,
    long AttachSmallBytes,
    long AttachLargeBytes,
    long AttachLargeChunks,
    double PublishGbps,
    double Sha256Gbps,
    long PublishBatchBytes,
    double PublishRatioVsSha256,
    double Sha256GbpsOneThread,
    double PublishRatioVsSha256OneThread,
    bool RoundtripGoalMet,
    bool RoundtripCpuGoalMet,
    bool NotifyGoalMet,
    bool AttachGoalMet,
    bool PublishGoalMet);

/// <summary><c>bench cid --json</c>: CID and put throughput of one large batch next to SHA-256.</summary>
public sealed record CidReport(
    long SizeMib,
    long CanonicalBytes,
    long Rows,
    bool InputWasCanonical,
    double CidGbps,
    double Sha256Gbps,
    double Ratio,
    double CidSlicedGbps,
    long SlicedBytes,
    double SlicedRatio,
    double PutGbps,
    double PutRatio,
    string PutDestination,
    bool RatioGoalMet,
    bool PutGoalMet);

/// <summary>
/// <c>bench flight --json</c>: DoGet and DoPut on loopback next to a raw socket and a local put; our node's
/// server CPU per GB against an Apache.Arrow.Flight.AspNetCore server (goal ≤ 0.5), and our client
/// yielding Apache.Arrow batches against the Apache.Arrow.Flight client (goal ≥ 3); and
/// <c>metrics_overhead_ratio</c>, process CPU per GB of DoGet with the node's metrics collected
/// over the same without (goal ≤ 1.02).
/// </summary>
public sealed record FlightBenchReport(
    string Http2,
    long TableBytes,
    long Chunks,
    long Rounds,
    long WarmupTransfers,
    double DogetGbps,
    double DogetVerifiedGbps,
    double Doget4Gbps,
    double DoputGbps,
    double PutGbps,
    double DoputRatioVsPut,
    double SocketGbps,
    double DogetRatio,
    double DogetCpuSPerGb,
    double SocketCpuSPerGb,
    double DoputCpuSPerGb,
    double PutCpuSPerGb,
    bool DogetGoalMet,
    bool DoputGoalMet,
    string Repository,
    double DogetServerCpuRatioVsApache,
    double DogetServerCpuSPerGb,
    double DogetServerCpuSPerGbOurClient,
    double ApacheServerCpuSPerGb,
    double ApacheBatchesGbpsRatio,
    double OurClientApacheBatchesGbps,
    double ApacheClientGbps,
    double MetricsOverheadRatio,
    bool MetricsGoalMet);

/// <summary><c>bench dedup --json</c>: chunked tables through the real put path: new bytes after edits, chunk sizes, put and cid throughput next to SHA-256 on as many threads (every core), and cid next to SHA-256 on one thread as context.</summary>
public sealed record DedupReport(
    long SizeMib,
    long Rows,
    long TableBytes,
    long ChunkBytes,
    long Chunks,
    long ManifestNodes,
    long Rounds,
    string ScratchDir,
    double PutGbps,
    double CidGbps,
    double Sha256Gbps,
    double PutRatioVsSha256,
    double CidRatioVsSha256,
    double Sha256GbpsOneThread,
    double CidRatioVsSha256OneThread,
    long ChunkSizeP10,
    long ChunkSizeMedian,
    long ChunkSizeP90,
    long ChunkSizeMax,
    [property: JsonPropertyName("chunks_within_2x_target")] double ChunksWithin2xTarget,
    double AppendNewRatio,
    long AppendNewBytes,
    long AppendNewBlocks,
    double InsertNewRatio,
    long InsertNewBytes,
    long InsertNewBlocks,
    double DeleteNewRatio,
    long DeleteNewBytes,
    long DeleteNewBlocks,
    double UpdateNewRatio,
    long UpdateNewBytes,
    long UpdateNewBlocks,
    bool AppendGoalMet,
    bool InsertGoalMet,
    bool DeleteGoalMet,
    bool UpdateGoalMet,
    bool CidGoalMet,
    bool PutGoalMet);

/// <summary><c>bench http --json</c>: the gateway's Arrow stream next to a socket, and raw blocks next to nginx.</summary>
public sealed record HttpReport(
    long TableBytes,
    long Chunks,
    long StreamBytes,
    long Rounds,
    long WarmupTransfers,
    double StreamGbps,
    double SocketGbps,
    double StreamRatioVsSocket,
    bool StreamGoalMet,
    long Blocks,
    long BlockBytes,
    long Connections,
    long WrkThreads,
    long NginxWorkers,
    double Seconds,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? GatewayBlockRps,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? NginxBlockRps,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? BlockRpsRatioVsNginx,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? GatewayCpuUsPerBlock,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? NginxCpuUsPerBlock,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] bool? BlockGoalMet,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? BlocksSkipped,
    IReadOnlyDictionary<string, string> Machine);

/// <summary>One codec of <c>bench parquet --json</c>: our writer next to DuckDB's and ParquetSharp's.</summary>
public sealed record ParquetCodecReport(
    double OursS,
    double DuckdbS,
    double OursCpuS,
    double DuckdbCpuS,
    double TimeRatioVsDuckdb,
    long OursBytes,
    long DuckdbBytes,
    double SizeRatioVsDuckdb,
    bool TimeGoalMet,
    bool SizeGoalMet,
    double ParquetsharpS,
    double ParquetsharpCpuS,
    long ParquetsharpBytes,
    double TimeRatioVsParquetsharp);

/// <summary>One column written alone (zstd) by us and by DuckDB, in <c>bench parquet --json</c>.</summary>
public sealed record ParquetColumnReport(string Column, string Type, double OursS, double DuckdbS, double TimeRatioVsDuckdb);

/// <summary>
/// <c>bench parquet --json</c>: our Parquet writer next to DuckDB's COPY and ParquetSharp, per codec, and
/// each column alone next to DuckDB. The export ratios are the worst codec's (goals ≤ 1.0 then ≤ 0.7
/// against DuckDB, ≤ 0.8 against ParquetSharp).
/// </summary>
public sealed record ParquetReport(
    double ExportRatioVsDuckdb,
    double ExportRatioVsParquetsharp,
    long SizeMib,
    long Rows,
    long Batches,
    long BufferBytes,
    long RowGroupSize,
    long DuckdbThreads,
    string ScratchDir,
    IReadOnlyDictionary<string, ParquetCodecReport> Codecs,
    IReadOnlyList<ParquetColumnReport> Columns);

/// <summary><c>bench native --json</c>: libarrowcid through its C ABI from Python, against limits measured in the same run.</summary>
public sealed record NativeReport(
    string NativeIsa,
    long TableBytes,
    double CidGbps,
    double Sha256Gbps,
    double NativeCidRatioVsSha256,
    double Sha256GbpsOneThread,
    double NativeCidRatioVsSha256OneThread,
    double PutGbps,
    [property: JsonPropertyName("cs_put_gbps")] double CsPutGbps,
    double NativePutRatioVsCs,
    [property: JsonPropertyName("attach_us_1g")] double AttachUs1g,
    [property: JsonPropertyName("attach_us_1k")] double AttachUs1k,
    [property: JsonPropertyName("native_attach_ratio_1g_vs_1k")] double NativeAttachRatio1gVs1k,
    double NativeNotifyP50Us,
    double NativeNotifyP99Us,
    bool CidGoalMet,
    bool PutGoalMet,
    bool AttachGoalMet,
    bool NotifyGoalMet);

/// <summary><c>bench scale --json</c> (issue 43): each cost on a repository of <paramref name="Blocks"/> tables, and on one of 10 beside it where the goal compares them.</summary>
/// <param name="Blocks">Tables (one block each) in the large repository.</param>
/// <param name="BuildS">Seconds its build took (concurrent puts through the repository API).</param>
/// <param name="OpenMs">Opening it in process and reading one table, in ms.</param>
/// <param name="OpenMsSmall">The same on the small repository.</param>
/// <param name="GetUsP50">The median in-process get of a random table, in µs.</param>
/// <param name="GetUsP50Small">The same on the small repository.</param>
/// <param name="CliGetMs">The median <c>arrowcid get CID -o /dev/null</c>, process start included, in ms.</param>
/// <param name="CliGetMsSmall">The same on the small repository.</param>
/// <param name="CliGetRatioVsSmall"><paramref name="CliGetMs"/> over <paramref name="CliGetMsSmall"/> (goal ≤ 1.2).</param>
/// <param name="ServeReadyMs">From starting <c>arrowcid serve</c> to its "serving" line, in ms (goal: at most 200 at a million tables).</param>
/// <param name="ServeReadyMsSmall">The same on the small repository.</param>
/// <param name="ServeIdleRssMib">The node's RSS once ready, in MiB (goal &lt; 512).</param>
/// <param name="ListflightsS">Seconds to list every flight from that node.</param>
/// <param name="ListflightsCount">Flights listed.</param>
/// <param name="ListflightsRssGrowthMib">How far the node's peak RSS rose over its idle RSS during the listing, in MiB (mapped pack pages included).</param>
/// <param name="ListflightsAnonRssGrowthMib">How far its anonymous RSS (heap) stood above idle after the listing, in MiB.</param>
/// <param name="LsJsonS">Seconds of <c>arrowcid ls --json</c>.</param>
/// <param name="LsJsonPeakRssMib">Its peak RSS, in MiB (goal &lt; 128).</param>
/// <param name="LsJsonPeakRssMibSmall">The same on the small repository.</param>
/// <param name="GcS">Seconds of <c>arrowcid gc</c>, which removes every third table (put unpinned) from packs left two-thirds alive.</param>
/// <param name="GcPeakRssMib">Its peak RSS, in MiB (goal &lt; 128).</param>
/// <param name="GcRemovedTables">Tables that gc removed.</param>
/// <param name="OpenMsAfterGc">Opening the large repository in process after that gc, its tombstones in the indexes, in ms.</param>
/// <param name="CliGetMsAfterGc">The median CLI get on it after that gc, in ms.</param>
/// <param name="CliGetMsSmallAfterGc">The same on the small repository, measured beside it.</param>
/// <param name="CliGetRatioVsSmallAfterGc"><paramref name="CliGetMsAfterGc"/> over <paramref name="CliGetMsSmallAfterGc"/> (goal ≤ 1.2, as before the deletions).</param>
/// <param name="VerifyS">Seconds of <c>arrowcid verify</c> (every block hashed).</param>
/// <param name="VerifyPeakRssMib">Its peak RSS, in MiB (goal &lt; 128).</param>
/// <param name="RegistryBytesPerTable">The registry's files over the tables.</param>
/// <param name="StoreBytesPerTable">The block store's files over the tables.</param>
/// <param name="CliGetGoalMet">Whether <paramref name="CliGetRatioVsSmall"/> and <paramref name="CliGetRatioVsSmallAfterGc"/> are at most 1.2.</param>
/// <param name="ServeReadyGoalMet">Whether <paramref name="ServeReadyMs"/> is at most 200.</param>
/// <param name="MemoryGoalMet">Whether <paramref name="LsJsonPeakRssMib"/>, <paramref name="GcPeakRssMib"/> and <paramref name="VerifyPeakRssMib"/> are under 128, <paramref name="ListflightsRssGrowthMib"/> at most 64, and the idle node under 512.</param>
public sealed record ScaleReport(
    int Blocks,
    double BuildS,
    double OpenMs,
    double OpenMsSmall,
    double GetUsP50,
    double GetUsP50Small,
    double CliGetMs,
    double CliGetMsSmall,
    double CliGetRatioVsSmall,
    double ServeReadyMs,
    double ServeReadyMsSmall,
    double ServeIdleRssMib,
    double ListflightsS,
    long ListflightsCount,
    double ListflightsRssGrowthMib,
    double ListflightsAnonRssGrowthMib,
    double LsJsonS,
    double LsJsonPeakRssMib,
    double LsJsonPeakRssMibSmall,
    double GcS,
    double GcPeakRssMib,
    long GcRemovedTables,
    double OpenMsAfterGc,
    double CliGetMsAfterGc,
    double CliGetMsSmallAfterGc,
    double CliGetRatioVsSmallAfterGc,
    double VerifyS,
    double VerifyPeakRssMib,
    double RegistryBytesPerTable,
    double StoreBytesPerTable,
    bool CliGetGoalMet,
    bool ServeReadyGoalMet,
    bool MemoryGoalMet);

/// <summary>
/// <c>bench s3 --json</c> (issue 66): a node keeping blocks in an S3-compatible bucket, each figure
/// a ratio against the same store used raw through the AWS SDK (or a node on local disk) in the same run.
/// </summary>
/// <param name="Location">The prefix measured under (removed after).</param>
/// <param name="Endpoint">The store's endpoint.</param>
/// <param name="TableBytes">Chunk bytes of the large table.</param>
/// <param name="Chunks">Its chunks (objects).</param>
/// <param name="PutS">A DoPut of the table to its acknowledgement, every object in the bucket.</param>
/// <param name="RawPutS">The SDK putting the same bytes as objects of the same sizes, 16 at once.</param>
/// <param name="PutRatioVsRawPut">Raw put time over ArrowCid's (goal ≥ 0.8).</param>
/// <param name="ColdGetS">A DoGet from a node with an empty disk, every block read from the bucket.</param>
/// <param name="RawGetS">The SDK getting the same objects, 16 at once.</param>
/// <param name="ColdGetRatioVsRawGet">Raw get time over ArrowCid's (goal ≥ 0.8).</param>
/// <param name="WarmDogetS">The best DoGet from that node's cache.</param>
/// <param name="LocalDogetS">The best DoGet from a node on local disk without a bucket.</param>
/// <param name="WarmDogetRatioVsLocal">Local DoGet time over the cached one (goal ≥ 0.9).</param>
/// <param name="SmallPutsPerS16">One-row tables put per second by 16 DoPut clients.</param>
/// <param name="RawSmallPutsPerS16">Small objects put per second by 16 raw clients.</param>
/// <param name="SmallPutsPerS16VsRawPut">The first over the second (goal ≥ 3).</param>
/// <param name="CacheHitRatio">The cache policy's hit ratio on a skewed read mix.</param>
/// <param name="OptimalHitRatio">The offline optimum's on the same mix.</param>
/// <param name="CacheHitRatioVsOptimum">The first over the second (goal ≥ 0.9: within 10%).</param>
public sealed record ObjectStorageReport(
    string Location,
    string Endpoint,
    long TableBytes,
    int Chunks,
    [property: JsonPropertyName("put_s")] double PutS,
    [property: JsonPropertyName("raw_put_s")] double RawPutS,
    double PutRatioVsRawPut,
    [property: JsonPropertyName("cold_get_s")] double ColdGetS,
    [property: JsonPropertyName("raw_get_s")] double RawGetS,
    double ColdGetRatioVsRawGet,
    [property: JsonPropertyName("warm_doget_s")] double WarmDogetS,
    [property: JsonPropertyName("local_doget_s")] double LocalDogetS,
    [property: JsonPropertyName("warm_doget_ratio_vs_local")] double WarmDogetRatioVsLocal,
    [property: JsonPropertyName("small_puts_per_s_16")] double SmallPutsPerS16,
    [property: JsonPropertyName("raw_small_puts_per_s_16")] double RawSmallPutsPerS16,
    [property: JsonPropertyName("small_puts_per_s_16_vs_raw_put")] double SmallPutsPerS16VsRawPut,
    double CacheHitRatio,
    double OptimalHitRatio,
    double CacheHitRatioVsOptimum);

/// <summary><c>bench sql --json</c>: SQL over our blocks next to DuckDB over our Parquet export, Flight SQL's first batch, a stored result reused.</summary>
/// <param name="Dir">The scratch folder (removed after).</param>
/// <param name="TableBytes">Bytes of the table's canonical blocks.</param>
/// <param name="Rows">Rows of the table.</param>
/// <param name="ParquetBytes">Bytes of its Parquet export.</param>
/// <param name="ScanS">Median seconds of the scan-heavy query, ours.</param>
/// <param name="ScanDuckdbParquetS">The same by DuckDB over Parquet.</param>
/// <param name="JoinS">Median seconds of the join-heavy query, ours.</param>
/// <param name="JoinDuckdbParquetS">The same by DuckDB over Parquet.</param>
/// <param name="ScanRatioVsDuckdbParquet">Scan, ours over theirs.</param>
/// <param name="JoinRatioVsDuckdbParquet">Join, ours over theirs.</param>
/// <param name="QueryRatioVsDuckdbParquet">The worse of the two (goal at most 1.0).</param>
/// <param name="FirstBatchMsFlightSql">Median milliseconds from GetFlightInfo to the first batch of a small query over Flight SQL, client included (goal at most 20).</param>
/// <param name="FirstRunS">Median seconds of a query run and stored.</param>
/// <param name="CachedS">Median seconds of it asked again.</param>
/// <param name="CachedResultRatio">The repeat over the first run (goal at most 0.05).</param>
/// <param name="QueryGoalMet">Whether the ratio goal is met.</param>
/// <param name="FirstBatchGoalMet">Whether the first-batch goal is met.</param>
/// <param name="CachedGoalMet">Whether the cache goal is met.</param>
public sealed record SqlBenchReport(
    string Dir,
    long TableBytes,
    long Rows,
    long ParquetBytes,
    [property: JsonPropertyName("scan_s")] double ScanS,
    [property: JsonPropertyName("scan_duckdb_parquet_s")] double ScanDuckdbParquetS,
    [property: JsonPropertyName("join_s")] double JoinS,
    [property: JsonPropertyName("join_duckdb_parquet_s")] double JoinDuckdbParquetS,
    double ScanRatioVsDuckdbParquet,
    double JoinRatioVsDuckdbParquet,
    double QueryRatioVsDuckdbParquet,
    double FirstBatchMsFlightSql,
    [property: JsonPropertyName("first_run_s")] double FirstRunS,
    [property: JsonPropertyName("cached_s")] double CachedS,
    double CachedResultRatio,
    bool QueryGoalMet,
    bool FirstBatchGoalMet,
    bool CachedGoalMet);

/// <summary><c>bench names --json</c>: signed names published and resolved (issue 68).</summary>
/// <param name="Dir">The scratch folder (removed after).</param>
/// <param name="Publishes">Publishes timed.</param>
/// <param name="PublishMsP50">Median milliseconds of a version published: node stored and linked, record signed and kept (goal at most 2).</param>
/// <param name="PublishMsP90">Its 90th percentile.</param>
/// <param name="ChainVersions">Versions of the name resolved.</param>
/// <param name="Resolves">Resolves timed.</param>
/// <param name="ResolveVerifyMsP50">Median milliseconds of the name resolved and verified through the gateway by a client (goal at most 20).</param>
/// <param name="PublishGoalMet">Whether the publish goal is met.</param>
/// <param name="ResolveGoalMet">Whether the resolve goal is met.</param>
public sealed record NamesBenchReport(
    string Dir,
    int Publishes,
    [property: JsonPropertyName("publish_ms_p50")] double PublishMsP50,
    [property: JsonPropertyName("publish_ms_p90")] double PublishMsP90,
    int ChainVersions,
    int Resolves,
    [property: JsonPropertyName("resolve_verify_ms_p50")] double ResolveVerifyMsP50,
    bool PublishGoalMet,
    bool ResolveGoalMet);

/// <summary><c>bench all --json</c>: every benchmark of the performance table, interleaved over rounds (issue 69).</summary>
/// <param name="Rounds">How many rounds ran.</param>
/// <param name="Started">When the first run started.</param>
/// <param name="Ended">When the last ended.</param>
/// <param name="Cpus">The machine's processors.</param>
/// <param name="Cli">The arrowcid that ran the benchmarks.</param>
/// <param name="Runs">Every run in order.</param>
/// <param name="Figures">Every figure of the benchmarks run.</param>
public sealed record SuiteReport(int Rounds, DateTimeOffset Started, DateTimeOffset Ended, int Cpus, string Cli, IReadOnlyList<SuiteRunReport> Runs, IReadOnlyList<SuiteFigureReport> Figures);

/// <summary>One run of one benchmark in <see cref="SuiteReport"/>.</summary>
/// <param name="Bench">The benchmark.</param>
/// <param name="Round">Its round, from 1.</param>
/// <param name="Seconds">Its wall time.</param>
/// <param name="LoadStart">The one-minute load average as it started.</param>
/// <param name="LoadEnd">The same as it ended.</param>
/// <param name="Error">Why it gave no figures (failed, or skipped here), or null.</param>
/// <param name="Skipped">Whether it could not run here (no bucket, no node): not a failure.</param>
/// <param name="Output">The benchmark's own JSON, every field of it (the figures the table leaves out too), or null when it gave none.</param>
public sealed record SuiteRunReport(string Bench, int Round, double Seconds, double LoadStart, double LoadEnd, string? Error, bool Skipped, System.Text.Json.JsonElement? Output = null);

/// <summary>A figure over the rounds in <see cref="SuiteReport"/>.</summary>
/// <param name="Area">The performance table's area.</param>
/// <param name="Figure">The figure's JSON name.</param>
/// <param name="Bench">The benchmark it comes from.</param>
/// <param name="Goal">The goal (≥ or ≤ a bound; — for none).</param>
/// <param name="Median">The median of the rounds, or null when no run gave it.</param>
/// <param name="Min">The least.</param>
/// <param name="Max">The greatest.</param>
/// <param name="Values">Each round's value in order.</param>
/// <param name="Met">Whether the median meets the goal (null without one or without values).</param>
/// <param name="WorstMet">Whether the worst round meets it too.</param>
public sealed record SuiteFigureReport(string Area, string Figure, string Bench, string Goal, double? Median, double? Min, double? Max, IReadOnlyList<double> Values, bool? Met, bool? WorstMet);
