using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Tests.Service;
using ArrowCid.Flight.Tests.Support;

namespace ArrowCid.Flight.Tests.Operations;

/// <summary>
/// A node's log (issue 44): one line per request with its face, method, subject, status, bytes,
/// duration and peer; text or JSON; and never a token, a password or an authorization header, even
/// at the most verbose level, whichever way a client sends them.
/// </summary>
public sealed class RequestLogTests
{
    private const string Token = "tok-5ee5ab1e-do-not-log";
    private const string Password = "pw-0ddba11-do-not-log";

    [Fact]
    public async Task Every_request_gets_a_line_and_no_secret_is_ever_logged()
    {
        await using var node = await ServeProcess.StartAsync("--log-level", "trace", "--token", $"{Token}:write", "--user", $"ann:{Password}:write");
        using (var client = new FlightClient(node.Location))
        {
            string issued = await client.AuthenticateBasicAsync("ann", Password);
            client.Token = issued;
            using var batch = TestBatches.Small(91);
            var put = await client.PutAsync(batch.Schema, [batch]);
            await client.GetAsync(put.Table);

            // A wrong password and a wrong token are refused, and not logged either.
            using var wrong = new FlightClient(node.Location);
            await Assert.ThrowsAsync<Grpc.RpcException>(() => wrong.AuthenticateBasicAsync("ann", Password + "x"));
            wrong.Token = Token + "x";
            await Assert.ThrowsAsync<Grpc.RpcException>(() => wrong.ListActionsAsync());

            using var http = new HttpClient { BaseAddress = node.Gateway };
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{put.Table}?format=raw");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            using (var answer = await http.SendAsync(request))
            {
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            }

            // The one path that takes a token in its query.
            using var events = new CancellationTokenSource();
            using (var feed = await http.GetAsync($"/api/v1/events?access_token={Token}", HttpCompletionOption.ResponseHeadersRead))
            {
                Assert.Equal(HttpStatusCode.OK, feed.StatusCode);
            }
        }

        await node.TerminateAsync();
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromMinutes(2)));
        string log = node.Output;

        Assert.Contains(log.Split('\n'), l => l.Contains("flight DoPut ", StringComparison.Ordinal) && l.Contains(" OK received=", StringComparison.Ordinal) && l.Contains("peer=ipv4:127.0.0.1:", StringComparison.Ordinal));
        Assert.Contains(log.Split('\n'), l => l.Contains("flight DoGet bafy", StringComparison.Ordinal) || l.Contains("flight DoGet bafk", StringComparison.Ordinal));
        Assert.Contains(log.Split('\n'), l => l.Contains("flight Handshake ", StringComparison.Ordinal) && l.Contains(" UNAUTHENTICATED ", StringComparison.Ordinal));
        Assert.Contains(log.Split('\n'), l => l.Contains("http GET /ipfs/{cid} " + "bafk", StringComparison.Ordinal) && l.Contains(" 200 ", StringComparison.Ordinal));
        Assert.Contains(log.Split('\n'), l => l.Contains("http GET /api/v1/events ", StringComparison.Ordinal));

        string basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"ann:{Password}"));
        foreach (string secret in new[] { Token, Password, basic, "Bearer ", "authorization", "Authorization" })
        {
            Assert.DoesNotContain(secret, log, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Json_lines_carry_the_request_fields_one_object_a_line()
    {
        await using var node = await ServeProcess.StartAsync("--log-format", "json");
        using (var client = new FlightClient(node.Location))
        {
            await client.ListActionsAsync();
        }

        await node.TerminateAsync();
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromMinutes(2)));
        var lines = node.Output.Split('\n').Where(l => l.StartsWith("stderr: {", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l["stderr: ".Length..])).ToList();
        var request = lines.Single(j => j.RootElement.GetProperty("Category").GetString() == "ArrowCid.Requests");
        var state = request.RootElement.GetProperty("State");
        Assert.Equal(("flight", "ListActions", "OK"), (state.GetProperty("Face").GetString(), state.GetProperty("Method").GetString(), state.GetProperty("Status").GetString()));
        Assert.Equal("Information", request.RootElement.GetProperty("LogLevel").GetString());
        Assert.True(DateTimeOffset.TryParse(request.RootElement.GetProperty("Timestamp").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
    }
}
