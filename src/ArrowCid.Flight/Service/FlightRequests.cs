using System.Globalization;
using System.Text;
using System.Text.Json;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Protocol;
using ArrowCid.Registry;
using ArrowCid.Registry.ContentAccess;
using Google.Protobuf;

namespace ArrowCid.Flight.Service;

/// <summary>
/// Reads what a Flight request names: a CID from a ticket or a descriptor, a registry query from
/// ListFlights criteria or a CMD descriptor, put options from a DoPut descriptor. The formats are
/// described in docs/flight.md; every malformed input is INVALID_ARGUMENT.
/// </summary>
internal static class FlightRequests
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The CID a ticket carries as UTF-8 text.</summary>
    public static Cid CidOfTicket(Ticket ticket) => ParseCid(DecodeText(ticket.Ticket_, "ticket"), "ticket");

    /// <summary>Parses CID text; only batch (raw) and dataset (dag-cbor) CIDs name content here.</summary>
    public static Cid ParseCid(string text, string where)
    {
        text = text.Trim();
        if (!Cid.TryParse(text, out var cid))
        {
            throw FlightErrors.Invalid($"{where}: '{Shorten(text)}' is not a CID");
        }

        return cid.Codec is Multicodec.Raw or Multicodec.DagCbor
            ? cid.ToV1()
            : throw FlightErrors.Invalid($"{where}: {cid} is {Multicodec.NameOf(cid.Codec)}, not a batch (raw) or dataset (dag-cbor) CID");
    }

    /// <summary>
    /// What a descriptor asks about: a PATH descriptor's first element is a CID; a CMD descriptor is
    /// a JSON object, either {"cid": …} or a filter (as ListFlights criteria take).
    /// </summary>
    public static DescriptorTarget TargetOf(FlightDescriptor? descriptor)
    {
        if (descriptor is null)
        {
            throw FlightErrors.Invalid("no flight descriptor");
        }

        switch (descriptor.Type)
        {
            case FlightDescriptor.Types.DescriptorType.Path:
                return descriptor.Path.Count == 1
                    ? new DescriptorTarget(ParseCid(descriptor.Path[0], "descriptor path"), null)
                    : throw FlightErrors.Invalid($"a PATH descriptor names one CID; this one has {descriptor.Path.Count} elements");
            case FlightDescriptor.Types.DescriptorType.Cmd:
                var json = FlightJson.ParseObject(descriptor.Cmd.Span, "descriptor command");
                return FlightJson.OptionalString(json, "cid") is { } cid
                    ? new DescriptorTarget(ParseCid(cid, "descriptor command"), null)
                    : new DescriptorTarget(null, QueryOf(json));
            default:
                throw FlightErrors.Invalid("the descriptor type must be PATH or CMD");
        }
    }

    /// <summary>ListFlights criteria: empty lists everything; otherwise a UTF-8 JSON filter.</summary>
    public static RegistryQuery QueryOfCriteria(Criteria criteria) =>
        criteria.Expression.IsEmpty ? new RegistryQuery() : QueryOf(FlightJson.ParseObject(criteria.Expression.Span, "criteria expression"));

    /// <summary>{"tags":{k:v}, "kind":"batch"|"dataset"|"arrow-stream"|"foreign", "from":time, "before":time, "pinned":bool, "producer":s, "limit":n}.</summary>
    public static RegistryQuery QueryOf(JsonElement filter)
    {
        BlockKind? kind = FlightJson.OptionalString(filter, "kind") switch
        {
            null => null,
            var name when BlockKindNames.TryParse(name, out var known) => known,
            var other => throw FlightErrors.Invalid($"'kind' must be \"batch\", \"dataset\", \"arrow-stream\" or \"foreign\", not \"{Shorten(other)}\""),
        };
        long? limit = FlightJson.OptionalLong(filter, "limit");
        if (limit is < 0 or > int.MaxValue)
        {
            throw FlightErrors.Invalid("'limit' must be between 0 and 2^31-1");
        }

        return new RegistryQuery
        {
            Kind = kind,
            Tags = FlightJson.StringMap(filter, "tags"),
            CreatedFrom = Time(filter, "from"),
            CreatedBefore = Time(filter, "before"),
            Pinned = FlightJson.OptionalBool(filter, "pinned"),
            Producer = FlightJson.OptionalString(filter, "producer"),
            Limit = (int?)limit,
        };
    }

    /// <summary>
    /// Put options from a DoPut descriptor: PATH elements are <c>key=value</c> tags; a CMD is
    /// {"tags":{…}, "producer":…, "provenance":…, "pin":bool}. No descriptor means defaults.
    /// </summary>
    public static PutOptions PutOptionsOf(FlightDescriptor? descriptor, string peer)
    {
        var defaults = new PutOptions { Producer = $"flight {peer}" };
        if (descriptor is null)
        {
            return defaults;
        }

        switch (descriptor.Type)
        {
            case FlightDescriptor.Types.DescriptorType.Path:
                var tags = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (string element in descriptor.Path)
                {
                    int at = element.IndexOf('=', StringComparison.Ordinal);
                    if (at <= 0)
                    {
                        throw FlightErrors.Invalid($"DoPut descriptor path element '{Shorten(element)}' is not a key=value tag");
                    }

                    tags[element[..at]] = element[(at + 1)..];
                }

                return defaults with { Tags = tags };
            case FlightDescriptor.Types.DescriptorType.Cmd when descriptor.Cmd.IsEmpty:
                return defaults;
            case FlightDescriptor.Types.DescriptorType.Cmd:
                var json = FlightJson.ParseObject(descriptor.Cmd.Span, "DoPut descriptor command");
                return new PutOptions
                {
                    Tags = FlightJson.StringMap(json, "tags"),
                    Producer = FlightJson.OptionalString(json, "producer") ?? defaults.Producer,
                    Provenance = FlightJson.OptionalString(json, "provenance"),
                    Pin = FlightJson.OptionalBool(json, "pin") ?? true,
                };
            default:
                return defaults;
        }
    }

    /// <summary>Strict UTF-8 text of a bytes field.</summary>
    public static string DecodeText(ByteString bytes, string what)
    {
        if (bytes.Length > 4096)
        {
            throw FlightErrors.Invalid($"{what} is {bytes.Length} bytes; a CID or command is far shorter");
        }

        try
        {
            return StrictUtf8.GetString(bytes.Span);
        }
        catch (DecoderFallbackException)
        {
            throw FlightErrors.Invalid($"{what} is not UTF-8 text");
        }
    }

    private static DateTimeOffset? Time(JsonElement filter, string name)
    {
        string? text = FlightJson.OptionalString(filter, name);
        if (text is null)
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw FlightErrors.Invalid($"'{name}' is not an ISO 8601 time: '{Shorten(text)}'");
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}

/// <summary>A descriptor names one CID or a query.</summary>
/// <param name="Cid">The CID, when one is named.</param>
/// <param name="Query">The filter, otherwise.</param>
internal sealed record DescriptorTarget(Cid? Cid, RegistryQuery? Query);
