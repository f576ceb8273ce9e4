using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace ArrowCid.Gateway;

/// <summary>What a response to <c>GET /ipfs/{cid}</c> or <c>/names/{name}</c> carries.</summary>
public enum ResponseFormat
{
    /// <summary>Nothing asked for: no <c>format</c> parameter and no Accept naming a type we offer (or only <c>*/*</c>).</summary>
    Unspecified,

    /// <summary><c>application/vnd.ipld.raw</c> (<c>?format=raw</c>): one block's bytes.</summary>
    Raw,

    /// <summary><c>application/vnd.ipld.car</c> (<c>?format=car</c>): a CARv1 stream of blocks.</summary>
    Car,

    /// <summary><c>application/vnd.apache.arrow.stream</c> (<c>?format=arrow</c>): the table as an Arrow IPC stream.</summary>
    ArrowStream,

    /// <summary><c>application/vnd.apache.arrow.file</c> (<c>?format=arrow-file</c>): the table as an Arrow IPC file.</summary>
    ArrowFile,

    /// <summary><c>application/vnd.apache.parquet</c> (<c>?format=parquet</c>): the table as Parquet.</summary>
    Parquet,

    /// <summary><c>text/csv</c> (<c>?format=csv</c>): the table as CSV.</summary>
    Csv,
}

/// <summary>
/// The format a request asked for and the media-type parameters that came with it (e.g. a CAR's
/// <c>version</c>, <c>order</c>, <c>dups</c>; an Arrow stream's <c>codecs</c>).
/// </summary>
/// <param name="Format">The chosen format.</param>
/// <param name="Parameters">Parameters of the chosen media range, names lower-case; empty for <c>?format=</c>.</param>
public sealed record NegotiatedFormat(ResponseFormat Format, IReadOnlyDictionary<string, string> Parameters)
{
    /// <summary>A parameter's value, or null.</summary>
    public string? Parameter(string name) => Parameters.TryGetValue(name, out string? value) ? value : null;
}

/// <summary>
/// Content negotiation for content URLs: the <c>format</c> query parameter wins (it exists for
/// clients that cannot set headers), else the Accept range with the highest quality among the
/// media types offered (RFC 9110 §12.5.1; the first listed wins a tie). Ranges the gateway does not
/// offer are ignored; if Accept names only such ranges the answer is 406.
/// </summary>
public static class ContentNegotiation
{
    private static readonly Dictionary<string, ResponseFormat> MediaTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["application/vnd.ipld.raw"] = ResponseFormat.Raw,
        ["application/vnd.ipld.car"] = ResponseFormat.Car,
        ["application/vnd.apache.arrow.stream"] = ResponseFormat.ArrowStream,
        ["application/vnd.apache.arrow.file"] = ResponseFormat.ArrowFile,
        ["application/vnd.apache.parquet"] = ResponseFormat.Parquet,
        ["text/csv"] = ResponseFormat.Csv,
    };

    private static readonly Dictionary<string, ResponseFormat> FormatParameters = new(StringComparer.OrdinalIgnoreCase)
    {
        ["raw"] = ResponseFormat.Raw,
        ["car"] = ResponseFormat.Car,
        ["arrow"] = ResponseFormat.ArrowStream,
        ["arrow-stream"] = ResponseFormat.ArrowStream,
        ["arrow-file"] = ResponseFormat.ArrowFile,
        ["parquet"] = ResponseFormat.Parquet,
        ["csv"] = ResponseFormat.Csv,
    };

    private static readonly Dictionary<string, string> NoParameters = [];

    /// <summary>The media type of a format (without parameters).</summary>
    public static string MediaType(ResponseFormat format) => format switch
    {
        ResponseFormat.Raw => "application/vnd.ipld.raw",
        ResponseFormat.Car => "application/vnd.ipld.car",
        ResponseFormat.ArrowStream => "application/vnd.apache.arrow.stream",
        ResponseFormat.ArrowFile => "application/vnd.apache.arrow.file",
        ResponseFormat.Parquet => "application/vnd.apache.parquet",
        ResponseFormat.Csv => "text/csv",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "no media type"),
    };

    /// <summary>Chooses the response format of <paramref name="request"/>.</summary>
    /// <exception cref="GatewayException">400 for an unknown <c>format</c> value or a malformed Accept; 406 when Accept offers nothing we serve.</exception>
    public static NegotiatedFormat Negotiate(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var accept = request.Headers.Accept;
        var formatValues = request.Query["format"];
        if (formatValues.Count > 0)
        {
            string value = formatValues.ToString();
            if (formatValues.Count != 1 || !FormatParameters.TryGetValue(value, out var byParameter))
            {
                throw new GatewayException(StatusCodes.Status400BadRequest, $"format '{value}' is not one of {string.Join(", ", FormatParameters.Keys)}");
            }

            // The parameters of an Accept range for the same format still apply (a CAR's dups, an Arrow stream's codecs).
            var sameFormat = MediaTypeHeaderValue.TryParseList(accept, out var listed)
                ? Ranked(listed).FirstOrDefault(r => r.Format == byParameter)
                : null;
            return new NegotiatedFormat(byParameter, sameFormat?.Parameters ?? NoParameters);
        }

        if (accept.Count == 0)
        {
            return new NegotiatedFormat(ResponseFormat.Unspecified, NoParameters);
        }

        if (!MediaTypeHeaderValue.TryParseList(accept, out var ranges))
        {
            throw new GatewayException(StatusCodes.Status400BadRequest, $"the Accept header '{accept}' is not a list of media ranges");
        }

        bool wildcard = ranges.Any(r => (r.Quality ?? 1.0) > 0 && r.MediaType.Value is "*/*" or "application/*" or "text/*");
        return Ranked(ranges).FirstOrDefault()
            ?? (wildcard
                ? new NegotiatedFormat(ResponseFormat.Unspecified, NoParameters)
                : throw new GatewayException(StatusCodes.Status406NotAcceptable, $"none of '{accept}' is offered: ask for {string.Join(", ", MediaTypes.Keys)} (a CAR as version=1, order=dfs or unk, dups=y or n)"));
    }

    // The offered ranges, highest quality first (the first listed wins a tie); a range whose
    // parameters ask for a variant not served (a CAR of version 2) is not offered.
    private static IEnumerable<NegotiatedFormat> Ranked(IList<MediaTypeHeaderValue> ranges) =>
        ranges
            .Select((range, index) => (Range: range, Index: index, Quality: range.Quality ?? 1.0))
            .Where(r => r.Quality > 0 && MediaTypes.ContainsKey(r.Range.MediaType.Value ?? string.Empty))
            .Select(r => (Format: new NegotiatedFormat(MediaTypes[r.Range.MediaType.Value!], ParametersOf(r.Range)), r.Index, r.Quality))
            .Where(r => r.Format.Format != ResponseFormat.Car || CarRequest.Supports(r.Format.Parameters))
            .OrderByDescending(r => r.Quality)
            .ThenBy(r => r.Index)
            .Select(r => r.Format);

    private static Dictionary<string, string> ParametersOf(MediaTypeHeaderValue range)
    {
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var parameter in range.Parameters)
        {
            string name = parameter.Name.Value ?? string.Empty;
            if (!name.Equals("q", StringComparison.OrdinalIgnoreCase))
            {
                parameters[name.ToLowerInvariant()] = HeaderUtilities.RemoveQuotes(parameter.Value).Value ?? string.Empty;
            }
        }

        return parameters;
    }
}
