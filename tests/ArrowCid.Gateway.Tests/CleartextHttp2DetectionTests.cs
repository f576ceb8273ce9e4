using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace ArrowCid.Gateway.Tests;

/// <summary>
/// The first-bytes check before Kestrel's HTTP layer: a client that sent its whole request and
/// closed its side at once (its FIN there before the check reads, as on a loaded machine) is still
/// handed on with every byte, and a client that sends nothing is closed at the deadline.
/// </summary>
public sealed class CleartextHttp2DetectionTests
{
    [Fact]
    public async Task A_request_followed_at_once_by_the_client_s_FIN_is_handed_on_whole()
    {
        byte[] request = Encoding.ASCII.GetBytes("POST /api/v1/tables HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\na,b\n");
        var received = new Pipe();
        await received.Writer.WriteAsync(request);
        await received.Writer.CompleteAsync();

        // Kestrel fires ConnectionClosed when the FIN arrives: here it already has.
        using var closed = new CancellationTokenSource();
        await closed.CancelAsync();
        var connection = new DefaultConnectionContext("c", new Duplex(received.Reader, new Pipe().Writer), new Duplex(new Pipe().Reader, new Pipe().Writer))
        {
            ConnectionClosed = closed.Token,
        };

        byte[]? handedOn = null;
        await CleartextHttp2Detection.DetectAsync(connection, async next =>
        {
            var read = await next.Transport.Input.ReadAsync();
            handedOn = read.Buffer.ToArray();
            next.Transport.Input.AdvanceTo(read.Buffer.End);
        }, TimeSpan.FromMinutes(5));

        Assert.Equal(request, handedOn);
        Assert.Null(connection.Features.Get<Microsoft.AspNetCore.Http.Features.ITlsConnectionFeature>());
    }

    [Fact]
    public async Task A_client_that_sends_nothing_is_closed_at_the_deadline_and_not_handed_on()
    {
        var received = new Pipe();
        var connection = new DefaultConnectionContext("c", new Duplex(received.Reader, new Pipe().Writer), new Duplex(new Pipe().Reader, new Pipe().Writer));
        bool handedOn = false;

        // A deadline already past: the gate is the abort, not a clock.
        await CleartextHttp2Detection.DetectAsync(connection, _ =>
        {
            handedOn = true;
            return Task.CompletedTask;
        }, TimeSpan.Zero);

        Assert.False(handedOn);
    }

    private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
