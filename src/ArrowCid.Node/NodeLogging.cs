using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace ArrowCid.Node;

/// <summary>How a node logs: its request lines (<see cref="Request"/>) and the factories the CLI and the default use.</summary>
public static partial class NodeLogging
{
    /// <summary>The category of request lines.</summary>
    public const string RequestCategory = "ArrowCid.Requests";

    private static readonly Lazy<ILoggerFactory> DefaultFactory = new(() => Create(LogLevel.Warning, json: false));

    /// <summary>Warnings and errors as text on stderr: what a node logs unless told otherwise.</summary>
    public static ILoggerFactory Default => DefaultFactory.Value;

    /// <summary>
    /// Logs at <paramref name="level"/> and above on stderr (stdout stays for what a command prints),
    /// one line each: text (a UTC time, the level, the message) or, with <paramref name="json"/>, a JSON
    /// object a log shipper reads field by field.
    /// </summary>
    public static ILoggerFactory Create(LogLevel level, bool json) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(level);
        builder.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        if (json)
        {
            builder.AddJsonConsole(options =>
            {
                options.UseUtcTimestamp = true;
                options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                options.IncludeScopes = false;
            });
        }
        else
        {
            builder.AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.UseUtcTimestamp = true;
                options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                options.ColorBehavior = LoggerColorBehavior.Disabled;
            });
        }
    });

    /// <summary>
    /// One request, as it ended, at Information. What came from the client (the method's route, the
    /// subject) is written printable: a control character becomes <c>?</c>, so no request can forge
    /// a log line, and a subject is cut at 256 characters.
    /// </summary>
    public static void Request(ILogger log, string face, string method, string subject, string status, long received, long sent, double milliseconds, string peer)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (log.IsEnabled(LogLevel.Information))
        {
            string printableMethod = Printable(method);
            string printableSubject = Printable(subject);
            WriteRequest(log, face, printableMethod, printableSubject, status, received, sent, milliseconds, peer);
        }
    }

    private static string Printable(string text)
    {
        if (text.Length <= MaxLogged && !text.Any(char.IsControl))
        {
            return text;
        }

        var cut = text.Length > MaxLogged ? text[..MaxLogged] : text;
        return string.Create(cut.Length, cut, static (span, source) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
            }
        });
    }

    private const int MaxLogged = 256;

    /// <summary>One request, as it ended, at Information.</summary>
    /// <param name="log">The request logger.</param>
    /// <param name="face">flight or http.</param>
    /// <param name="method">The Flight method, or the HTTP method and route.</param>
    /// <param name="subject">What it was about (a CID, a name), or "-".</param>
    /// <param name="status">Its status.</param>
    /// <param name="received">Bytes received.</param>
    /// <param name="sent">Bytes sent.</param>
    /// <param name="milliseconds">How long it took.</param>
    /// <param name="peer">The client's address.</param>
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{Face} {Method} {Subject} {Status} received={Received} sent={Sent} {Milliseconds:0.###}ms peer={Peer}")]
    private static partial void WriteRequest(ILogger log, string face, string method, string subject, string status, long received, long sent, double milliseconds, string peer);

    /// <summary>The category of what the node itself reports (not a request's line).</summary>
    public const string NodeCategory = "ArrowCid.Node";

    /// <summary>A block's copy on the node's disk did not hash to its CID, and is read from the durable tier again, at Warning.</summary>
    /// <param name="log">The node's logger.</param>
    /// <param name="cid">The block.</param>
    /// <param name="store">The durable tier, described (never a credential).</param>
    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "{Cid}: the copy on this node's disk does not hash to its CID; set aside in quarantine/ and read from {Store} again")]
    public static partial void RestoringFromTier(ILogger log, string cid, string store);
}
