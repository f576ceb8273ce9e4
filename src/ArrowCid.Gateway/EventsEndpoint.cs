using System.Globalization;
using System.Text;
using System.Text.Json;
using ArrowCid.Content.Multiformats;
using ArrowCid.Node;
using ArrowCid.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ArrowCid.Wire;

namespace ArrowCid.Gateway;

/// <summary>
/// <c>GET /api/v1/events</c>: the registry's change feed as Server-Sent Events (the WHATWG HTML
/// standard's <c>text/event-stream</c>). Each change is one event: <c>id</c> its sequence number,
/// <c>event</c> what happened (registered, versioned, tagged, …), <c>data</c> a one-line JSON
/// <see cref="ChangeEvent"/>. A client resumes where it left off with <c>Last-Event-ID</c> (what
/// EventSource sends when it reconnects) or <c>?after=SEQ</c>: the feed is numbered without gaps in
/// what it shows, so nothing is lost or repeated. Without either it starts at the newest change.
/// The stream wakes on this node's puts and names (<see cref="ChangeNotifier"/>) and
/// otherwise looks every <see cref="NodeOptions.ChangePollInterval"/> (other processes' changes);
/// a comment line every <see cref="GatewayOptions.EventHeartbeatInterval"/> of silence keeps proxies
/// from closing it. It ends when the client goes away or the gateway stops; no lock is held while it waits.
/// </summary>
internal static class EventsEndpoint
{
    private const int Page = 1000;

    private static readonly BlockKind[] DefaultKinds = [BlockKind.Batch, BlockKind.Dataset, BlockKind.ArrowStream];

    private static readonly BlockKind[] AnyKind = [.. BlockKindNames.All.Select(k => k.Kind)];

    private static readonly byte[] KeepAlive = ": keep-alive\n\n"u8.ToArray();

    public static void Map(IEndpointRouteBuilder routes, GatewayContext context)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(context.Options.EventHeartbeatInterval, TimeSpan.Zero, nameof(GatewayOptions.EventHeartbeatInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(context.Node.Options.ChangePollInterval, TimeSpan.Zero, "ChangePollInterval");
        var listing = new TableListing(context);
        routes.MapGet("/api/v1/events", http => StreamAsync(http, context, listing));
    }

    /// <summary>The path a token may be given on in the query (<c>access_token</c>), for EventSource, which cannot send headers.</summary>
    public static bool AcceptsQueryToken(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && request.Path.Equals("/api/v1/events", StringComparison.Ordinal);

    private static async Task StreamAsync(HttpContext http, GatewayContext context, TableListing listing)
    {
        var request = http.Request;
        var kinds = ApiQuery.Kinds(request, AnyKind);
        if (kinds.Count == 0)
        {
            kinds.UnionWith(DefaultKinds);
        }

        var tags = ApiQuery.Tags(request);
        var changes = ChangeKinds(request);
        var registry = context.Registrations.Registry;

        // The header is what EventSource sends on reconnecting, newer than the URL's 'after'.
        long seen = ResumePoint(request) ?? registry.LatestSequence;
        using IDisposable admitted = Admit(http, context);

        var stopping = http.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        var cancellation = lifetime.Token;

        var response = http.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache, no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        var body = response.Body;
        try
        {
            // A first line sends the headers now, so a client knows it is subscribed before anything changes.
            await WriteAsync(body, Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $": subscribed after {seen}\n\n")), cancellation).ConfigureAwait(false);
            long lastWrite = Environment.TickCount64;
            while (!cancellation.IsCancellationRequested)
            {
                // Taken before reading the feed: a change committed between the read and the wait still wakes us.
                Task wake = context.Node.Changes.NextAsync();
                IReadOnlyList<RegistryChange> page;
                var events = new List<byte[]>();
                using (await context.Node.Subscribers.PageTurnAsync(cancellation).ConfigureAwait(false))
                {
                    // The page is read in turn with other subscribers' pages (a replay storm queues
                    // here), and written to this client after, without holding the turn.
                    page = registry.ChangesSince(seen, Page);
                    foreach (var change in page)
                    {
                        if (changes.Contains(change.Kind) && EventOf(registry, listing, change, kinds, tags) is { } data)
                        {
                            events.Add(Encode(change, data));
                        }
                    }
                }

                if (page.Count > 0)
                {
                    seen = page[^1].Sequence;
                }

                bool wrote = events.Count > 0;
                foreach (byte[] encoded in events)
                {
                    await body.WriteAsync(encoded, cancellation).ConfigureAwait(false);
                }

                if (wrote)
                {
                    await body.FlushAsync(cancellation).ConfigureAwait(false);
                    lastWrite = Environment.TickCount64;
                }

                if (page.Count == Page)
                {
                    continue;
                }

                var silence = TimeSpan.FromMilliseconds(Environment.TickCount64 - lastWrite);
                if (silence >= context.Options.EventHeartbeatInterval)
                {
                    await WriteAsync(body, KeepAlive, cancellation).ConfigureAwait(false);
                    lastWrite = Environment.TickCount64;
                    silence = TimeSpan.Zero;
                }

                var wait = context.Options.EventHeartbeatInterval - silence;
                await WaitAsync(wake, wait < context.Node.Options.ChangePollInterval ? wait : context.Node.Options.ChangePollInterval, cancellation).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested && !http.RequestAborted.IsCancellationRequested)
        {
            // The gateway is stopping: the stream ends; the client reconnects elsewhere with Last-Event-ID.
        }
    }

    /// <summary>Admits the subscriber under its token (or its address on an open node); 429 past a limit.</summary>
    private static IDisposable Admit(HttpContext http, GatewayContext context)
    {
        // The query's token (EventSource sends no headers) counts as the same token sent in the header.
        string? authorization = http.Request.Headers.Authorization is { Count: > 0 } header ? header.ToString()
            : http.Request.Query["access_token"] is { Count: 1 } query ? "Bearer " + query[0]
            : null;
        try
        {
            return context.Node.Subscribers.Admit(authorization, http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        }
        catch (NodeLimitException e)
        {
            http.Response.Headers.RetryAfter = "5";
            throw new GatewayException(StatusCodes.Status429TooManyRequests, e.Message, e);
        }
    }

    /// <summary>Waits for <paramref name="wake"/> or <paramref name="timeout"/>, whichever comes first, leaving no timer behind.</summary>
    private static async Task WaitAsync(Task wake, TimeSpan timeout, CancellationToken cancellation)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var delay = Task.Delay(timeout, timer.Token);
        await Task.WhenAny(wake, delay).ConfigureAwait(false);
        await timer.CancelAsync().ConfigureAwait(false);
    }

    private static async Task WriteAsync(Stream body, byte[] bytes, CancellationToken cancellation)
    {
        await body.WriteAsync(bytes, cancellation).ConfigureAwait(false);
        await body.FlushAsync(cancellation).ConfigureAwait(false);
    }

    /// <summary>The last sequence number the client saw: <c>Last-Event-ID</c>, else <c>after</c>; null for neither.</summary>
    private static long? ResumePoint(HttpRequest request)
    {
        string? header = request.Headers["Last-Event-ID"];
        if (!string.IsNullOrEmpty(header))
        {
            return long.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out long id)
                ? id
                : throw ApiQuery.BadRequest($"Last-Event-ID must be a sequence number this feed gave, not '{ApiQuery.Shorten(header)}'");
        }

        return ApiQuery.Single(request, "after") is null ? null : ApiQuery.Integer(request, "after", 0, 0, long.MaxValue);
    }

    /// <summary>Every <c>change=…</c> (repeatable); every kind of change when none is given.</summary>
    private static HashSet<RegistryChangeKind> ChangeKinds(HttpRequest request)
    {
        var all = Enum.GetValues<RegistryChangeKind>();
        var kinds = new HashSet<RegistryChangeKind>();
        foreach (string? value in request.Query["change"])
        {
            var matching = all.Where(k => RegistryChangeNames.NameOf(k) == value).ToList();
            if (matching.Count == 0)
            {
                throw ApiQuery.BadRequest($"'change' must be one of {string.Join(", ", all.Select(RegistryChangeNames.NameOf))}, not '{ApiQuery.Shorten(value ?? string.Empty)}'");
            }

            kinds.UnionWith(matching);
        }

        return kinds.Count > 0 ? kinds : [.. all];
    }

    /// <summary>The event for a change, or null when the filters leave it out.</summary>
    private static ChangeEvent? EventOf(IRegistry registry, TableListing listing, RegistryChange change, HashSet<BlockKind> kinds, Dictionary<string, string> tags)
    {
        var record = registry.Find(change.Cid);

        // A deleted record is named by its codec.
        var kind = record?.Kind ?? (change.Cid.Codec == Multicodec.DagCbor ? BlockKind.Dataset : BlockKind.Batch);
        if (!kinds.Contains(kind) || (tags.Count > 0 && (record is null || !ApiQuery.HasTags(record.Tags, tags))))
        {
            return null;
        }

        // The version this change recorded: the one of the same instant (both are written in one transaction).
        var version = change.Kind == RegistryChangeKind.Versioned
            ? registry.ListVersionsOf(change.Cid).FirstOrDefault(v => v.Created == change.At)
            : null;
        return new ChangeEvent(
            change.Sequence, RegistryChangeNames.NameOf(change.Kind), change.Cid.ToString(), BlockKindNames.NameOf(kind), change.At,
            record?.Rows, record is null ? null : listing.SizeOf(record).Bytes, record?.Tags, version?.Name, version?.Version);
    }

    private static byte[] Encode(RegistryChange change, ChangeEvent data)
    {
        // Compact JSON has no line breaks (they are escaped in strings): one data line.
        string json = WireJson.ToText(data, WireJsonContext.Default.ChangeEvent);
        return Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"id: {change.Sequence}\nevent: {data.Change}\ndata: {json}\n\n"));
    }
}
