using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace ArrowCid.Gateway;

/// <summary>How much of the DAG under a CID a CAR response carries (trustless gateway <c>dag-scope</c>).</summary>
internal enum DagScope
{
    /// <summary>The root block only.</summary>
    Block,

    /// <summary>What it takes to read the entity the CID names: a whole table; a UnixFS (dag-pb) DAG; any other block alone.</summary>
    Entity,

    /// <summary>The whole DAG under the CID, as far as this node holds it.</summary>
    All,
}

/// <summary>
/// The CAR a request asks for (ipfs/specs trustless-gateway: <c>dag-scope</c>,
/// <c>entity-bytes</c>, <c>car-version</c>, <c>car-order</c>, <c>car-dups</c>, and the same
/// <c>version</c>, <c>order</c>, <c>dups</c> as parameters of <c>application/vnd.ipld.car</c>;
/// the query parameters win). This gateway writes CARv1 in depth-first order, with or without
/// duplicate blocks as asked (without when not asked).
/// </summary>
/// <param name="Scope">Which blocks.</param>
/// <param name="Duplicates">Whether a block is sent every time the walk meets it (<c>dups=y</c>).</param>
/// <param name="EntityBytes">The <c>entity-bytes</c> range as given (it narrows nothing here: a table is not a byte array), or null.</param>
internal sealed partial record CarRequest(DagScope Scope, bool Duplicates, string? EntityBytes)
{
    /// <summary>The Content-Type of the answer, every parameter stated.</summary>
    public string ContentType => $"application/vnd.ipld.car; version=1; order=dfs; dups={(Duplicates ? "y" : "n")}";

    /// <summary>
    /// Whether this gateway can answer a CAR with these media-type parameters: <c>version</c> 1
    /// (or absent), <c>order</c> dfs, unk (any order will do) or absent, <c>dups</c> y, n or absent.
    /// Content negotiation skips an Accept range it cannot answer (406 when none is left).
    /// </summary>
    public static bool Supports(IReadOnlyDictionary<string, string> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return ValidVersion(parameters.GetValueOrDefault("version"))
            && ValidOrder(parameters.GetValueOrDefault("order"))
            && ValidDups(parameters.GetValueOrDefault("dups"));
    }

    /// <summary>The CAR asked for by <paramref name="request"/>, whose negotiated format is CAR.</summary>
    /// <exception cref="GatewayException">400 for a query parameter with a value this gateway does not serve.</exception>
    public static CarRequest From(HttpRequest request, NegotiatedFormat format)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(format);
        string? version = Query(request, "car-version") ?? format.Parameter("version");
        string? order = Query(request, "car-order") ?? format.Parameter("order");
        string? dups = Query(request, "car-dups") ?? format.Parameter("dups");
        if (!ValidVersion(version))
        {
            throw new GatewayException(StatusCodes.Status400BadRequest, $"car-version={version} is not served: this gateway writes CARv1 (car-version=1)");
        }

        if (!ValidOrder(order))
        {
            throw new GatewayException(StatusCodes.Status400BadRequest, $"car-order={order} is not served: ask for dfs or unk");
        }

        if (!ValidDups(dups))
        {
            throw new GatewayException(StatusCodes.Status400BadRequest, $"car-dups={dups} is not y or n");
        }

        string? entityBytes = Query(request, "entity-bytes");
        if (entityBytes is not null && !EntityBytesSyntax().IsMatch(entityBytes))
        {
            throw new GatewayException(StatusCodes.Status400BadRequest, $"entity-bytes={entityBytes} is not FROM:TO (integers, TO may be *)");
        }

        var scope = (Query(request, "dag-scope") ?? (entityBytes is null ? "all" : "entity")) switch
        {
            "block" => DagScope.Block,
            "entity" => DagScope.Entity,
            "all" => DagScope.All,
            var other => throw new GatewayException(StatusCodes.Status400BadRequest, $"dag-scope={other} is not block, entity or all"),
        };
        return new CarRequest(scope, dups == "y", entityBytes);
    }

    private static bool ValidVersion(string? version) => version is null or "1";

    private static bool ValidOrder(string? order) => order is null or "dfs" or "unk";

    private static bool ValidDups(string? dups) => dups is null or "y" or "n";

    // A parameter given twice is ambiguous: refuse it rather than pick one.
    private static string? Query(HttpRequest request, string name)
    {
        var values = request.Query[name];
        return values.Count switch
        {
            0 => null,
            1 => values[0],
            _ => throw new GatewayException(StatusCodes.Status400BadRequest, $"{name} is given {values.Count} times"),
        };
    }

    [GeneratedRegex(@"^-?[0-9]{1,19}:(-?[0-9]{1,19}|\*)$", RegexOptions.CultureInvariant)]
    private static partial Regex EntityBytesSyntax();
}
