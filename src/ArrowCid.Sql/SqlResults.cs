using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using ArrowCid.Repository;

namespace ArrowCid.Sql;

/// <summary>How a query's result is stored: under a name (a new version of it), or only by its CID.</summary>
public sealed record SqlStoreOptions
{
    /// <summary>The name whose next version the result becomes, or null.</summary>
    public string? Name { get; init; }

    /// <summary>Run the query even when a stored result of the same query over the same inputs exists.</summary>
    public bool NoCache { get; init; }

    /// <summary>Rows the answer may have; a larger one is refused (<see cref="SqlErrorKind.TooManyRows"/>), never stored cut short.</summary>
    public long MaxRows { get; init; } = long.MaxValue;

    /// <summary>Pin the result (true, as a put does), or leave it for gc once nothing names it: a server's answers, kept while they are asked for again.</summary>
    public bool Pin { get; init; } = true;

    /// <summary>
    /// Where the stored result is made known beyond the repository and its name's version recorded,
    /// as a put's (a node's shared registry and bucket: any node then serves the answer); null: the
    /// repository's own registry. The caller disposes it after the call.
    /// </summary>
    public IPutPublisher? Publisher { get; init; }
}

/// <summary>A stored result: the table's CID, the version recorded under a name, whether an earlier run's result answered, and the tables it was made from.</summary>
/// <param name="Table">The result's table CID.</param>
/// <param name="Version">The name's version the put recorded (null without a name, or when the name's latest already was this table).</param>
/// <param name="Reused">True when a result stored by an earlier run answered, without running the query.</param>
/// <param name="Inputs">Every table the query read, once each, in the order first named.</param>
public sealed record SqlStored(Cid Table, NamedVersion? Version, bool Reused, IReadOnlyList<SqlInput> Inputs);

/// <summary>
/// What a stored result records of how it was made (the registry's provenance text of its table): the
/// query text, every input's reference, name, version and CID, and the engine and its version. A
/// result is found again by the tag <see cref="QueryTag"/> (the SHA-256 of the query text) and reused
/// when every input it records still resolves to the same CID on the same engine version.
/// </summary>
internal static class SqlProvenance
{
    /// <summary>The tag that carries the hex SHA-256 of the query text.</summary>
    public const string QueryTag = "sql.query";

    /// <summary>The engine named in provenance.</summary>
    public const string Engine = "duckdb";

    /// <summary>The hex SHA-256 of a query's text (its UTF-8 bytes, as written).</summary>
    public static string QueryKey(string sql) => Convert.ToHexStringLower(Content.Sha256.HashData(Encoding.UTF8.GetBytes(sql)));

    /// <summary>The provenance text of a result.</summary>
    public static string Write(string sql, IReadOnlyList<SqlInput> inputs, string engineVersion)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("query", sql);
            json.WriteString("engine", Engine);
            json.WriteString("engine_version", engineVersion);
            WriteInputs(json, inputs);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Writes <c>"inputs": [{reference, name, version, cid}, …]</c>: the one form both provenance and a JSON answer give the tables read.</summary>
    public static void WriteInputs(Utf8JsonWriter json, IReadOnlyList<SqlInput> inputs)
    {
        json.WriteStartArray("inputs");
        foreach (var input in inputs)
        {
            json.WriteStartObject();
            json.WriteString("reference", input.Reference);
            if (input.Name is not null)
            {
                json.WriteString("name", input.Name);
                json.WriteNumber("version", input.Version!.Value);
            }

            json.WriteString("cid", input.Cid.ToString());
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary>The query, engine version and inputs a provenance text records, or null when it is not one of ours (or damaged).</summary>
    public static (string Query, string EngineVersion, List<SqlInput> Inputs)? Read(string? provenance)
    {
        if (provenance is null)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(provenance);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || root.GetProperty("engine").GetString() != Engine)
            {
                return null;
            }

            var inputs = new List<SqlInput>();
            foreach (var input in root.GetProperty("inputs").EnumerateArray())
            {
                inputs.Add(new SqlInput(
                    input.GetProperty("reference").GetString()!,
                    input.TryGetProperty("name", out var name) ? name.GetString() : null,
                    input.TryGetProperty("version", out var version) ? version.GetInt64() : null,
                    Cid.Parse(input.GetProperty("cid").GetString()!)));
            }

            return (root.GetProperty("query").GetString()!, root.GetProperty("engine_version").GetString()!, inputs);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or Content.ContentFormatException)
        {
            return null;
        }
    }
}
