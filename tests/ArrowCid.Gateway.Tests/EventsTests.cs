using System.Net;
using System.Text.Json;
using ArrowCid.Flight.Service;
using ArrowCid.Node;
using ArrowCid.Registry;
using ArrowCid.Repository;
using static ArrowCid.Gateway.Tests.ApiTests;

namespace ArrowCid.Gateway.Tests;

/// <summary><c>/api/v1/events</c>: the change feed as Server-Sent Events, live, resumable, filtered, kept alive.</summary>
public sealed class EventsTests
{
    /// <summary>Puts straight into the repository announce themselves only through the poll: keep it short.</summary>
    private static readonly NodeOptions Quick = new() { ChangePollInterval = TimeSpan.FromMilliseconds(50) };

    [Fact]
    public async Task A_table_put_after_subscribing_arrives_as_an_event()
    {
        await using var node = await GatewayFixture.StartAsync(service: Quick);
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        using var events = await ServerSentEvents.OpenAsync(node.Http, "/api/v1/events", guard.Token);
        Assert.Equal(HttpStatusCode.OK, events.Response.StatusCode);
        Assert.Equal("text/event-stream", events.Response.Content.Headers.ContentType!.MediaType);
        Assert.StartsWith("subscribed", (await events.NextAsync(guard.Token)).Comments[0], StringComparison.Ordinal);

        var stored = node.Content.PutBatch(Numbers(4, 0), new PutOptions { Tags = Tags(("team", "a")) });

        var message = await events.NextEventAsync(guard.Token);
        Assert.Equal("registered", message.Event);
        using var data = JsonDocument.Parse(message.Data!);
        var root = data.RootElement;
        Assert.Equal(stored.Cid.ToString(), root.GetProperty("cid").GetString());
        Assert.Equal(message.Id, root.GetProperty("sequence").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("batch", root.GetProperty("kind").GetString());
        Assert.Equal(4, root.GetProperty("rows").GetInt64());
        Assert.Equal(stored.Bytes, root.GetProperty("bytes").GetInt64());
        Assert.Equal("a", root.GetProperty("tags").GetProperty("team").GetString());
    }

    [Fact]
    public async Task A_new_version_of_a_name_arrives_with_its_name_and_number()
    {
        await using var node = await GatewayFixture.StartAsync(service: Quick);
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        using var events = await ServerSentEvents.OpenAsync(node.Http, "/api/v1/events?change=versioned", guard.Token);
        await events.NextAsync(guard.Token);

        var put = PutMixed(node, 100, new PutOptions { Name = "sensors" });

        var message = await events.NextEventAsync(guard.Token);
        Assert.Equal("versioned", message.Event);
        using var data = JsonDocument.Parse(message.Data!);
        Assert.Equal(put.Table.Cid.ToString(), data.RootElement.GetProperty("cid").GetString());
        Assert.Equal("sensors", data.RootElement.GetProperty("name").GetString());
        Assert.Equal(1, data.RootElement.GetProperty("version").GetInt64());
        Assert.Equal(put.Table.Bytes, data.RootElement.GetProperty("bytes").GetInt64());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_client_that_reconnects_from_its_last_event_id_loses_and_repeats_nothing(bool header)
    {
        await using var node = await GatewayFixture.StartAsync(service: Quick);
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var before = Enumerable.Range(0, 3).Select(i => node.Content.PutBatch(Numbers(2, i * 10)).Cid.ToString()).ToList();

        // From the start of the feed, until the second table's event: then the client goes away.
        var seen = new List<long>();
        using (var events = await ServerSentEvents.OpenAsync(node.Http, "/api/v1/events?after=0", guard.Token))
        {
            while (true)
            {
                var message = await events.NextEventAsync(guard.Token);
                seen.Add(long.Parse(message.Id!, System.Globalization.CultureInfo.InvariantCulture));
                if (CidOf(message) == before[1])
                {
                    break;
                }
            }
        }

        var after = Enumerable.Range(3, 2).Select(i => node.Content.PutBatch(Numbers(2, i * 10)).Cid.ToString()).ToList();
        string last = seen[^1].ToString(System.Globalization.CultureInfo.InvariantCulture);
        using (var events = header
            ? await ServerSentEvents.OpenAsync(node.Http, "/api/v1/events?after=0", guard.Token, ("Last-Event-ID", last))
            : await ServerSentEvents.OpenAsync(node.Http, "/api/v1/events?after=" + last, guard.Token))
        {
            while (true)
            {
                var message = await events.NextEventAsync(guard.Token);
                seen.Add(long.Parse(message.Id!, System.Globalization.CultureInfo.InvariantCulture));
                if (CidOf(message) == after[^1])
                {
                    break;
                }
            }
        }

        // Exactly the registry's feed of tables, in order, once each.
        var registry = node.Content.Repository.Registry;
        var expected = registry.ChangesSince(0).Where(c => registry.Find(c.Cid)?.Kind == BlockKind.Batch).Select(c => c.Sequence).ToList();
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task Only_changes_of_tables_with_the_tags_asked_for_are_sent()
    {
        await using var node = await GatewayFixture.StartAsync(service: Quick);
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        using var events = await ServerSentEvents.OpenAsync(node.Http, "/api/v1/events?tag=team%3Da", guard.Token);
        await events.NextAsync(guard.Token);

        node.Content.PutBatch(Numbers(2, 0), new PutOptions { Tags = Tags(("team", "b")) });
        var wanted = node.Content.PutBatch(Numbers(2, 10), new PutOptions { Tags = Tags(("team", "a")) });

        Assert.Equal(wanted.Cid.ToString(), CidOf(await events.NextEventAsync(guard.Token)));
    }

    [Fact]
    public async Task A_silent_stream_sends_a_keep_alive_comment()
    {
        await using var node = await GatewayFixture.StartAsync(gateway: new GatewayOptions { EventHeartbeatInterval = TimeSpan.FromMilliseconds(100) });
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        using var events = await ServerSentEvents.OpenAsync(node.Http, "/api/v1/events", guard.Token);
        Assert.StartsWith("subscribed", (await events.NextAsync(guard.Token)).Comments[0], StringComparison.Ordinal);

        var message = await events.NextAsync(guard.Token);
        Assert.False(message.IsEvent);
        Assert.Equal(["keep-alive"], message.Comments);
    }

    [Fact]
    public async Task A_last_event_id_that_is_no_sequence_number_is_400()
    {
        await using var node = await GatewayFixture.StartAsync();
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        using var events = await ServerSentEvents.OpenAsync(node.Http, "/api/v1/events", guard.Token, ("Last-Event-ID", "yesterday"));
        Assert.Equal(HttpStatusCode.BadRequest, events.Response.StatusCode);
    }

    private static string CidOf(SseMessage message)
    {
        using var data = JsonDocument.Parse(message.Data!);
        return data.RootElement.GetProperty("cid").GetString()!;
    }
}
