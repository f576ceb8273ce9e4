using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using ArrowCid.Node;
using Microsoft.Extensions.Logging;

namespace ArrowCid.Gateway.Tests;

/// <summary>
/// A body the client framed wrong is the client's error (issue 65): an overflowing chunk size is a
/// 400 naming it, not a 500; that and a client leaving mid-upload leave the request's line in the
/// log and nothing at error level, no stack trace a client could flood the log with.
/// </summary>
public sealed class MalformedBodyTests
{
    [Theory]
    [InlineData("text/csv")]
    [InlineData("application/vnd.apache.arrow.stream")]
    [InlineData("application/vnd.apache.parquet")]
    public async Task An_overflowing_chunk_size_is_400_and_logs_no_error(string contentType)
    {
        var log = new CapturedLog();
        await using var node = await GatewayFixture.StartAsync(new NodeOptions { Logging = log.Factory });
        string answer = await SendAsync(node, $"POST /api/v1/tables HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {contentType}\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\nabc\r\n", readAnswer: true);

        Assert.StartsWith("HTTP/1.1 400 ", answer, StringComparison.Ordinal);
        Assert.Contains("the request body could not be read: Bad chunk size data", answer, StringComparison.Ordinal);
        await log.WaitForRequestLineAsync();
        Assert.Empty(log.AtErrorOrAbove);
    }

    [Fact]
    public async Task A_client_leaving_mid_upload_logs_its_request_line_and_no_error()
    {
        var log = new CapturedLog();
        await using var node = await GatewayFixture.StartAsync(new NodeOptions { Logging = log.Factory });
        await SendAsync(node, "POST /api/v1/tables HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\na,b\n1,2\n", readAnswer: false);

        await log.WaitForRequestLineAsync();
        Assert.Empty(log.AtErrorOrAbove);
    }

    private static async Task<string> SendAsync(GatewayFixture node, string request, bool readAnswer)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", node.Http.BaseAddress!.Port);
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));
        if (!readAnswer)
        {
            return string.Empty;
        }

        var buffer = new byte[4096];
        int read = await socket.ReceiveAsync(buffer);
        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    private sealed class CapturedLog : ILoggerProvider
    {
        private readonly ConcurrentQueue<(LogLevel Level, string Category, string Text)> _entries = new();
        private readonly SemaphoreSlim _requestLines = new(0);

        public CapturedLog() => Factory = LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(this));

        public ILoggerFactory Factory { get; }

        public IEnumerable<string> AtErrorOrAbove => _entries.Where(e => e.Level >= LogLevel.Error).Select(e => $"{e.Category}: {e.Text}");

        /// <summary>The request's line is logged as the request ends: the gate after which nothing more of it is logged.</summary>
        public async Task WaitForRequestLineAsync() =>
            Assert.True(await _requestLines.WaitAsync(TimeSpan.FromMinutes(1)), $"the request's line was never logged; the log:\n{string.Join('\n', _entries.Select(e => $"{e.Level} {e.Category}: {e.Text}"))}");

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose() => _requestLines.Dispose();

        private sealed class Logger(CapturedLog log, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                log._entries.Enqueue((logLevel, category, formatter(state, exception) + (exception is null ? string.Empty : " " + exception)));
                if (category == NodeLogging.RequestCategory)
                {
                    log._requestLines.Release();
                }
            }
        }
    }
}
