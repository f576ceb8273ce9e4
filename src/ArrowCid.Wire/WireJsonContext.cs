using System.Text.Json.Serialization;

namespace ArrowCid.Wire;

/// <summary>
/// Source-generated JSON (no reflection) for every document ArrowCid writes or reads, with one
/// naming policy, snake_case, one time format (<see cref="WireTimeConverter"/>), and absent
/// members left out unless a model says otherwise (delegated routing keeps the names its spec gives).
/// Write and read through <see cref="WireJson"/>.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    MaxDepth = WireJson.MaxDepth,
    Converters = [typeof(WireTimeConverter)])]
// Flight
[JsonSerializable(typeof(PutResultBody))]
[JsonSerializable(typeof(FlightInfoMetadata))]
[JsonSerializable(typeof(SqlAnswerMetadata))]
[JsonSerializable(typeof(PinResult))]
[JsonSerializable(typeof(TagBody))]
[JsonSerializable(typeof(DeleteResult))]
[JsonSerializable(typeof(BlockVerifyResult))]
[JsonSerializable(typeof(RepositoryVerifyResult))]
[JsonSerializable(typeof(NodeStats))]
[JsonSerializable(typeof(NameVersionEntry))]
[JsonSerializable(typeof(SubscriptionStarted))]
[JsonSerializable(typeof(ChangeAnnouncement))]
[JsonSerializable(typeof(PutCommand))]
[JsonSerializable(typeof(TableQuery))]
[JsonSerializable(typeof(SubscribeCommand))]
// HTTP
[JsonSerializable(typeof(ProblemBody))]
[JsonSerializable(typeof(ReadinessBody))]
[JsonSerializable(typeof(TablePage))]
[JsonSerializable(typeof(TableDetail))]
[JsonSerializable(typeof(NamePage))]
[JsonSerializable(typeof(ChangeEvent))]
[JsonSerializable(typeof(PeerRecord))]
[JsonSerializable(typeof(ProvidersBody))]
[JsonSerializable(typeof(PeersBody))]
[JsonSerializable(typeof(NameVersionsBody))]
[JsonSerializable(typeof(PutReport))]
// CLI
[JsonSerializable(typeof(IReadOnlyList<PutReport>))]
[JsonSerializable(typeof(IReadOnlyList<KeyReport>))]
[JsonSerializable(typeof(NameResolution))]
[JsonSerializable(typeof(IReadOnlyList<RecordEntry>))]
[JsonSerializable(typeof(RecordEntry))]
[JsonSerializable(typeof(IReadOnlyList<NameVersionEntry>))]
[JsonSerializable(typeof(IReadOnlyList<VersionLogEntry>))]
[JsonSerializable(typeof(TableDiff))]
[JsonSerializable(typeof(GcSummary))]
[JsonSerializable(typeof(BucketGcSummary))]
[JsonSerializable(typeof(BucketVerifySummary))]
[JsonSerializable(typeof(VerifySummary))]
[JsonSerializable(typeof(ShmSegmentEntry))]
[JsonSerializable(typeof(ShmStatSummary))]
[JsonSerializable(typeof(ShmNoticeEntry))]
[JsonSerializable(typeof(ShmPublishReport))]
[JsonSerializable(typeof(FlightGetSummary))]
[JsonSerializable(typeof(CarExportSummary))]
[JsonSerializable(typeof(ParquetExportSummary))]
[JsonSerializable(typeof(RebuildSummary))]
[JsonSerializable(typeof(CarImportSummary))]
[JsonSerializable(typeof(PullSummary))]
[JsonSerializable(typeof(FlightInfoSummary))]
[JsonSerializable(typeof(IReadOnlyList<FlightInfoSummary>))]
[JsonSerializable(typeof(NodeSettingsFile))]
// Parquet key-value metadata: a table's chunk CIDs (arrowcid.cids)
[JsonSerializable(typeof(IReadOnlyList<string>))]
// Benchmark reports
[JsonSerializable(typeof(IngestReport))]
[JsonSerializable(typeof(SqlBenchReport))]
[JsonSerializable(typeof(NamesBenchReport))]
[JsonSerializable(typeof(SuiteReport))]
[JsonSerializable(typeof(ObjectStorageReport))]
[JsonSerializable(typeof(ScaleReport))]
[JsonSerializable(typeof(DedupReport))]
[JsonSerializable(typeof(ChunkReport))]
[JsonSerializable(typeof(CidReport))]
[JsonSerializable(typeof(IpcReport))]
[JsonSerializable(typeof(ShmReport))]
[JsonSerializable(typeof(NativeReport))]
[JsonSerializable(typeof(FlightBenchReport))]
[JsonSerializable(typeof(HttpReport))]
[JsonSerializable(typeof(ParquetReport))]
public sealed partial class WireJsonContext : JsonSerializerContext;
