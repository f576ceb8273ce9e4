using System.Text.Json.Serialization;

namespace ArrowCid.Gateway;

/// <summary>Source-generated JSON for every body the gateway writes (no reflection), in snake_case: the one naming policy of ArrowCid's JSON, as the CLI's --json and Flight's bodies write it (delegated routing keeps the names its spec gives).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProblemBody))]
[JsonSerializable(typeof(TablePage))]
[JsonSerializable(typeof(TableDetail))]
[JsonSerializable(typeof(NamePage))]
[JsonSerializable(typeof(ChangeEvent))]
[JsonSerializable(typeof(PeerRecord))]
[JsonSerializable(typeof(ProvidersBody))]
[JsonSerializable(typeof(PeersBody))]
[JsonSerializable(typeof(NameVersionsBody))]
[JsonSerializable(typeof(TableCreatedBody))]
internal sealed partial class GatewayJsonContext : JsonSerializerContext;
