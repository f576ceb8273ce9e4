using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using ArrowCid.Registry;
using ArrowCid.Wire;
using Google.Protobuf;

using ArrowCid.Node;

namespace ArrowCid.Flight.Service;

/// <summary>
/// DoExchange "subscribe": the first message's descriptor is CMD <c>subscribe</c> or
/// <c>{"subscribe":{"tags":{…},"after":N}}</c>. The server answers {"subscribed":true,"sequence":N}
/// at once, then one FlightData per change after N whose app_metadata is
/// {"sequence","cid","change","kind"} — only content carrying the tags, when tags are given. It reads
/// the registry's change feed, waking on puts in this process, on the shared registry's
/// notifications and, as a fallback for other processes, every poll interval.
/// The messages are also an Arrow stream: the confirmation carries <see cref="AnnouncementSchema"/>
/// and each announcement a one-row batch of it, so Flight clients whose DoExchange reader expects a
/// schema first (Apache.Arrow.Flight's) follow it too, and any client can read announcements as a table.
/// </summary>
internal static class FlightSubscriptionStream
{
    private const int Page = 1000;

    /// <summary>An announcement as a row: its sequence, CID, change, kind and rows (null when the record is gone).</summary>
    public static Schema AnnouncementSchema { get; } = new(
    [
        new Field("sequence", ArrowType.Int64, nullable: false),
        new Field("cid", ArrowType.Utf8, nullable: false),
        new Field("change", ArrowType.Utf8, nullable: false),
        new Field("kind", ArrowType.Utf8, nullable: false),
        new Field("rows", ArrowType.Int64),
    ]);

    private static readonly ByteString AnnouncementSchemaMessage =
        UnsafeByteOperations.UnsafeWrap(MessageEncoder.EncodeSchema(AnnouncementSchema, IpcWriteOptions.Default).Metadata);

    public static async Task RunAsync(
        IAsyncStreamReader<FlightData> requests, IServerStreamWriter<FlightData> responses, ServerCallContext context,
        IRegistry registry, ChangeNotifier changes, TimeSpan pollInterval, Subscribers subscribers)
    {
        CancellationToken cancellation = context.CancellationToken;
        if (!await requests.MoveNext(cancellation).ConfigureAwait(false))
        {
            throw FlightErrors.Invalid("DoExchange needs a first message whose descriptor says what to exchange ('subscribe')");
        }

        var (tags, after) = ParseCommand(requests.Current.FlightDescriptor);
        using IDisposable admitted = Admit(subscribers, context);
        long seen = after ?? registry.LatestSequence;
        await responses.WriteAsync(new FlightData
        {
            DataHeader = AnnouncementSchemaMessage,
            AppMetadata = FlightBodies.Json(new SubscriptionStarted(true, seen), WireJsonContext.Default.SubscriptionStarted),
        }, cancellation).ConfigureAwait(false);

        while (!cancellation.IsCancellationRequested)
        {
            Task wake = changes.NextAsync();
            IReadOnlyList<RegistryChange> page;
            var announcements = new List<FlightData>();
            using (await subscribers.PageTurnAsync(cancellation).ConfigureAwait(false))
            {
                // The page is read in turn with other subscribers' pages, and sent after.
                page = registry.ChangesSince(seen, Page);
                foreach (var change in page)
                {
                    BlockRecord? record = registry.Find(change.Cid);
                    if (tags.Count == 0 || (record is not null && tags.All(t => record.Tags.TryGetValue(t.Key, out string? v) && v == t.Value)))
                    {
                        announcements.Add(Announcement(change, record));
                    }
                }
            }

            foreach (FlightData announcement in announcements)
            {
                await responses.WriteAsync(announcement, cancellation).ConfigureAwait(false);
            }

            if (page.Count > 0)
            {
                seen = page[^1].Sequence;
            }

            if (page.Count < Page)
            {
                await Task.WhenAny(wake, Task.Delay(pollInterval, cancellation)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Admits the subscriber under its token (or its address on an open node); RESOURCE_EXHAUSTED past a limit.</summary>
    private static IDisposable Admit(Subscribers subscribers, ServerCallContext context)
    {
        try
        {
            return subscribers.Admit(context.RequestHeaders.GetValue("authorization"), FlightRequests.PeerAddress(context.Peer));
        }
        catch (NodeLimitException e)
        {
            throw new RpcException(StatusCode.ResourceExhausted, e.Message);
        }
    }


    private static (Dictionary<string, string> Tags, long? After) ParseCommand(FlightDescriptor? descriptor)
    {
        if (descriptor is null || descriptor.Type != FlightDescriptor.Types.DescriptorType.Cmd)
        {
            throw FlightErrors.Invalid("DoExchange: the first message needs a CMD descriptor ('subscribe' or {\"subscribe\":{…}})");
        }

        if (descriptor.Cmd.Span.SequenceEqual("subscribe"u8))
        {
            return (new Dictionary<string, string>(), null);
        }

        var command = FlightRequestJson.Read(descriptor.Cmd.Span, WireJsonContext.Default.SubscribeCommand, "DoExchange command");
        if (command.Subscribe is not { } subscribe)
        {
            throw FlightErrors.Invalid("DoExchange: the only exchange is {\"subscribe\":{…}}");
        }

        return subscribe.After is < 0
            ? throw FlightErrors.Invalid("'after' must not be negative")
            : (FlightRequestJson.Tags(subscribe.Tags, "subscribe.tags"), subscribe.After);
    }

    private static FlightData Announcement(RegistryChange change, BlockRecord? record)
    {
        var announcement = new ChangeAnnouncement(
            change.Sequence,
            change.Cid.ToString(),
            RegistryChangeNames.NameOf(change.Kind),
            // The record's kind when it is still there (a deleted one is named by its codec).
            record is not null
                ? BlockKindNames.NameOf(record.Kind)
                : change.Cid.Codec == Content.Multiformats.Multicodec.DagCbor ? "table" : "batch",
            record?.Rows,
            record is null ? null : [.. record.Locations.Where(FlightLocations.IsFlightLocation)]);
        var row = new RecordBatchBuilder(AnnouncementSchema);
        row.AppendRow(announcement.Sequence, announcement.Cid, announcement.Change, announcement.Kind, announcement.Rows);
        using RecordBatch batch = row.Build();
        EncodedMessage message = MessageEncoder.EncodeRecordBatch(batch, IpcWriteOptions.Default);
        return new FlightData
        {
            DataHeader = UnsafeByteOperations.UnsafeWrap(message.Metadata),
            DataBody = UnsafeByteOperations.UnsafeWrap(message.BodyToArray()),
            AppMetadata = FlightBodies.Json(announcement, WireJsonContext.Default.ChangeAnnouncement),
        };
    }
}
