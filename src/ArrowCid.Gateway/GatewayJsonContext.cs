using System.Text.Json.Serialization;

namespace ArrowCid.Gateway;

/// <summary>Source-generated JSON for every body the gateway writes (camelCase, no reflection).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
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
