using System.Globalization;
using System.Text;
using ArrowCid.Wire;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Protocol;
using ArrowCid.Registry;
using ArrowCid.Repository;
using Google.Protobuf;

using ArrowCid.Node;

namespace ArrowCid.Flight.Service;

/// <summary>
/// Reads what a Flight request names: a CID from a ticket or a descriptor, a registry query from
/// ListFlights criteria or a CMD descriptor, put options from a DoPut descriptor. The formats are
/// described in docs/flight.md; every malformed input is INVALID_ARGUMENT.
/// </summary>
internal static class FlightRequests
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>What a ticket names (<see cref="FlightTicket"/>): a CID, with a chunk range or not.</summary>
    public static FlightTicket TicketOf(Ticket ticket)
    {
        string text = DecodeText(ticket.Ticket_, "ticket");
        if (!FlightTicket.TryParse(text, out var parsed, out string? problem))
        {
            throw FlightErrors.Invalid($"ticket: {problem}");
        }

        return parsed! with { Cid = ParseCid(parsed!.Cid.ToString(), "ticket") };
    }

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
    /// What a descriptor asks about. PATH: one element that parses as a CID is that CID; otherwise
    /// the elements joined with '/' are a dataset name, its last element may end in <c>@N</c> for
    /// version N (<c>["sensors"]</c>, <c>["plant-3", "temps"]</c>, <c>["plant-3/temps@2"]</c>).
    /// CMD: a JSON object, {"cid": …}, {"name": "NAME" or "NAME@N"}, or a filter (as ListFlights
    /// criteria take).
    /// </summary>
    public static DescriptorTarget TargetOf(FlightDescriptor? descriptor)
    {
        if (descriptor is null)
        {
            throw FlightErrors.Invalid("no flight descriptor");
        }

        switch (descriptor.Type)
        {
            case FlightDescriptor.Types.DescriptorType.Path when descriptor.Path.Count == 0:
                throw FlightErrors.Invalid("a PATH descriptor names a CID or a table name; this one has no elements");
            case FlightDescriptor.Types.DescriptorType.Path when descriptor.Path is [var only] && only.StartsWith("/ipns/", StringComparison.Ordinal):
                return new DescriptorTarget(null, null, Ipns: Names.IpnsName.TryParse(only) ?? throw FlightErrors.Invalid($"descriptor path: '{Shorten(only)}' is not an IPNS name (/ipns/k51…)"));
            case FlightDescriptor.Types.DescriptorType.Path:
                return descriptor.Path.Count == 1 && Cid.TryParse(descriptor.Path[0].Trim(), out _)
                    ? new DescriptorTarget(ParseCid(descriptor.Path[0], "descriptor path"), null)
                    : new DescriptorTarget(null, null, ReferenceOf(string.Join(DatasetName.SegmentSeparator, descriptor.Path), "descriptor path"));
            case FlightDescriptor.Types.DescriptorType.Cmd:
                var command = FlightRequestJson.Read(descriptor.Cmd.Span, WireJsonContext.Default.TableQuery, "descriptor command");
                if (command.Cid is { } cid)
                {
                    return new DescriptorTarget(ParseCid(cid, "descriptor command"), null);
                }

                return command.Name is { } name
                    ? new DescriptorTarget(null, null, ReferenceOf(name, "descriptor command"))
                    : new DescriptorTarget(null, QueryOf(command));
            default:
                throw FlightErrors.Invalid("the descriptor type must be PATH or CMD");
        }
    }

    /// <summary>Parses <c>NAME</c> or <c>NAME@N</c>; a malformed one is INVALID_ARGUMENT naming <paramref name="where"/>.</summary>
    public static DatasetReference ReferenceOf(string text, string where)
    {
        try
        {
            return DatasetReference.Parse(text);
        }
        catch (InvalidDatasetNameException e)
        {
            throw FlightErrors.Invalid($"{where}: {e.Message}");
        }
    }

    /// <summary>
    /// What ListFlights lists. Empty criteria: every name (its latest version), then every table
    /// (not the chunks and nodes of larger tables: a client that wants those asks with a filter).
    /// A UTF-8 JSON filter: the records it selects, or with "names": true only the names.
    /// </summary>
    public static FlightListing ListingOfCriteria(Criteria criteria)
    {
        if (criteria.Expression.IsEmpty)
        {
            return new FlightListing(true, new RegistryQuery { TablesOnly = true });
        }

        var filter = FlightRequestJson.Read(criteria.Expression.Span, WireJsonContext.Default.TableQuery, "criteria expression");
        return filter.Names == true ? new FlightListing(true, null) : new FlightListing(false, QueryOf(filter));
    }

    /// <summary>{"tags":{k:v}, "kind":"batch"|"dataset"|"arrow-stream"|"foreign", "from":time, "before":time, "pinned":bool, "producer":s, "limit":n}.</summary>
    public static RegistryQuery QueryOf(TableQuery filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        BlockKind? kind = filter.Kind switch
        {
            null => null,
            var name when BlockKindNames.TryParse(name, out var known) => known,
            var other => throw FlightErrors.Invalid($"'kind' must be \"batch\", \"table\", \"arrow-stream\" or \"foreign\", not \"{Shorten(other)}\""),
        };
        long? limit = filter.Limit;
        if (limit is < 0 or > int.MaxValue)
        {
            throw FlightErrors.Invalid("'limit' must be between 0 and 2^31-1");
        }

        return new RegistryQuery
        {
            Kind = kind,
            Tags = FlightRequestJson.Tags(filter.Tags),
            CreatedFrom = filter.From,
            CreatedBefore = filter.Before,
            Pinned = filter.Pinned,
            Producer = filter.Producer,
            Limit = (int?)limit,
        };
    }

    /// <summary>
    /// Put options from a DoPut descriptor. PATH: when every element is <c>key=value</c> they are
    /// tags; otherwise the elements joined with '/' are the name the dataset becomes the next
    /// version of (<see cref="FlightDescriptors.IsTagPath"/>). CMD: {"tags":{…}, "name":…, "producer":…,
    /// "provenance":…, "pin":bool}. No descriptor (or an empty PATH) means defaults. A bad name is
    /// INVALID_ARGUMENT here, before anything is stored.
    /// </summary>
    public static PutOptions PutOptionsOf(FlightDescriptor? descriptor, string peer, NodeOptions node)
    {
        ArgumentNullException.ThrowIfNull(node);
        PutOptions options = PutOptionsOf(descriptor, node.RecordClientAddresses ? $"flight {peer}" : "flight");
        node.Limits.CheckTags(options.Tags);
        return options with { MaxTableBytes = node.Limits.MaxDecompressedBytesPerRequest };
    }

    private static PutOptions PutOptionsOf(FlightDescriptor? descriptor, string producer)
    {
        var defaults = new PutOptions { Producer = producer };
        if (descriptor is null)
        {
            return defaults;
        }

        switch (descriptor.Type)
        {
            case FlightDescriptor.Types.DescriptorType.Path when descriptor.Path.Count == 0:
                return defaults;
            case FlightDescriptor.Types.DescriptorType.Path when !FlightDescriptors.IsTagPath(descriptor.Path):
                return defaults with { Name = NameOf(string.Join(DatasetName.SegmentSeparator, descriptor.Path), "DoPut descriptor path") };
            case FlightDescriptor.Types.DescriptorType.Path:
                var tags = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (string element in descriptor.Path)
                {
                    int at = element.IndexOf('=', StringComparison.Ordinal);
                    tags[element[..at]] = element[(at + 1)..];
                }

                return defaults with { Tags = tags };
            case FlightDescriptor.Types.DescriptorType.Cmd when descriptor.Cmd.IsEmpty:
                return defaults;
            case FlightDescriptor.Types.DescriptorType.Cmd:
                var command = FlightRequestJson.Read(descriptor.Cmd.Span, WireJsonContext.Default.PutCommand, "DoPut descriptor command");
                return new PutOptions
                {
                    Tags = FlightRequestJson.Tags(command.Tags),
                    Name = command.Name is { } name ? NameOf(name, "DoPut descriptor command") : null,
                    Producer = command.Producer ?? defaults.Producer,
                    Provenance = command.Provenance,
                    Pin = command.Pin ?? true,
                    ForceVersion = command.ForceVersion ?? false,
                };
            default:
                return defaults;
        }
    }

    /// <summary>
    /// The IP address of a gRPC peer (<c>ipv4:10.0.0.7:51234</c> → <c>10.0.0.7</c>, <c>ipv6:::1:51234</c>
    /// → <c>::1</c>): what limits count per address, as HTTP's remote address is; its port changes
    /// with every connection.
    /// </summary>
    public static string PeerAddress(string peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        int family = peer.IndexOf(':', StringComparison.Ordinal);
        int port = peer.LastIndexOf(':');
        return port > family ? peer[(family + 1)..port] : peer;
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

    private static string NameOf(string text, string where)
    {
        try
        {
            return DatasetName.Validate(text);
        }
        catch (InvalidDatasetNameException e)
        {
            throw FlightErrors.Invalid($"{where}: {e.Message}");
        }
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}

/// <summary>What a ListFlights call lists.</summary>
/// <param name="Names">Whether the names come first, one flight each.</param>
/// <param name="Query">Which batches and datasets follow; null for none.</param>
internal sealed record FlightListing(bool Names, RegistryQuery? Query);

/// <summary>A descriptor names one CID, a dataset name (or one version of it), or a query.</summary>
/// <param name="Cid">The CID, when one is named.</param>
/// <param name="Query">The filter, when one is given.</param>
/// <param name="Name">The dataset name, when one is given.</param>
/// <param name="Ipns">The IPNS name, when the path is <c>/ipns/k51…</c>: the version its record names.</param>
internal sealed record DescriptorTarget(Cid? Cid, RegistryQuery? Query, DatasetReference? Name = null, Names.IpnsName? Ipns = null);
