using System.Diagnostics;
using System.Diagnostics.Metrics;
using ArrowCid.Content;
using ArrowCid.Registry;

namespace ArrowCid.Node;

/// <summary>
/// A node's metrics, recorded with <see cref="System.Diagnostics.Metrics"/> on the
/// <see cref="ArrowCidMeter"/> meter: calls by face, method and status, bytes in and out, call
/// durations, verification failures; and, read when an exporter collects, what the registry holds,
/// the store's free bytes and the feed's subscribers. The block store, the repository and shared
/// memory record on the same meter (their bytes, group commits, fsyncs, publishes and leases), so
/// one exporter listening to that name sees them all; docs/operations.md lists every series.
/// </summary>
public sealed class NodeMetrics : IDisposable
{
    /// <summary>How long what the registry holds is kept between collections: counting is a scan of its table.</summary>
    public static readonly TimeSpan RegistryTotalsAge = TimeSpan.FromSeconds(30);

    private readonly Meter _meter;
    private readonly Counter<long> _calls;
    private readonly Counter<long> _received;
    private readonly Counter<long> _sent;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _verificationFailures;
    private readonly Counter<long> _restored;
    private readonly ContentNode _node;
    private readonly object _totalsGate = new();
    private IReadOnlyDictionary<BlockKind, RegistryTotal>? _totals;
    private long _totalsAt;

    /// <summary>Records for <paramref name="node"/>.</summary>
    public NodeMetrics(ContentNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        _node = node;
        _meter = new Meter(ArrowCidMeter.Name);
        _calls = _meter.CreateCounter<long>("arrowcid.calls", "{call}", "Calls served, by face (flight, http), method and status");
        _received = _meter.CreateCounter<long>("arrowcid.received", "By", "Bytes received in calls, by face (request messages or bodies)");
        _sent = _meter.CreateCounter<long>("arrowcid.sent", "By", "Bytes sent in calls, by face (response messages or bodies)");
        _duration = _meter.CreateHistogram<double>(
            "arrowcid.call.duration",
            "s",
            "How long calls took, by face and method (DoGet and DoPut from their headers to their status; HTTP requests to their last byte)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300] });
        _verificationFailures = _meter.CreateCounter<long>(
            "arrowcid.verification.failures", "{block}", "Blocks that did not hash to their CID when read (served as errors, never as data)");
        _restored = _meter.CreateCounter<long>(
            "arrowcid.store.restored", "{block}", "Blocks whose copy on the node's disk did not hash to their CID, set aside and read again from the durable tier");
        _meter.CreateObservableGauge(
            "arrowcid.store.records",
            () => Totals().Select(t => new Measurement<long>(t.Value.Records, new KeyValuePair<string, object?>("kind", BlockKindNames.NameOf(t.Key)))),
            "{block}",
            "Blocks the registry records, by kind: table (a table of several chunks, under a manifest), batch (a chunk, or a table of one), table-node, foreign");
        _meter.CreateObservableGauge(
            "arrowcid.store.data",
            () => Totals().GetValueOrDefault(BlockKind.Batch).Bytes,
            "By",
            "Bytes of Arrow data the registry records (its batches and chunks)");
        _meter.CreateObservableGauge("arrowcid.store.free", ObserveFreeBytes, "By", "Bytes free on the block store's file system");
        _meter.CreateObservableGauge("arrowcid.feed.subscribers", () => (long)_node.Subscribers.Count, "{subscriber}", "Subscribers following the change feed now");
    }

    /// <summary>A call ended on a face.</summary>
    /// <param name="face">"flight" or "http".</param>
    /// <param name="method">The method (a Flight method's name, or an HTTP route).</param>
    /// <param name="status">Its status (a gRPC status name, or an HTTP status code).</param>
    /// <param name="duration">How long it took.</param>
    /// <param name="received">Bytes received.</param>
    /// <param name="sent">Bytes sent.</param>
    public void CallEnded(string face, string method, string status, TimeSpan duration, long received, long sent)
    {
        var faceTag = new KeyValuePair<string, object?>("face", face);
        var methodTag = new KeyValuePair<string, object?>("method", method);
        _calls.Add(1, faceTag, methodTag, new KeyValuePair<string, object?>("status", status));
        _duration.Record(duration.TotalSeconds, faceTag, methodTag);
        if (received > 0)
        {
            _received.Add(received, faceTag);
        }

        if (sent > 0)
        {
            _sent.Add(sent, faceTag);
        }
    }

    /// <summary>A block read did not hash to its CID.</summary>
    public void VerificationFailed() => _verificationFailures.Add(1);

    /// <summary>A damaged copy on the node's disk was set aside, and the block read again from the durable tier.</summary>
    public void Restored() => _restored.Add(1);

    /// <inheritdoc/>
    public void Dispose() => _meter.Dispose();

    // Only the store's file system is asked: a scrape does not probe the registry and shared memory too.
    private long ObserveFreeBytes() => _node.Health.StoreFreeBytes() ?? 0;

    // What the registry holds, counted at most every RegistryTotalsAge (the count scans its table).
    private IReadOnlyDictionary<BlockKind, RegistryTotal> Totals()
    {
        lock (_totalsGate)
        {
            if (_totals is null || Stopwatch.GetElapsedTime(_totalsAt) > RegistryTotalsAge)
            {
                try
                {
                    _totals = _node.Registrations.Registry.CountByKind();
                }
                catch (Exception e) when (e is RegistryUnavailableException or System.Data.Common.DbException or InvalidOperationException)
                {
                    // A registry away: the last totals stand (none before the first answer).
                    _totals ??= new Dictionary<BlockKind, RegistryTotal>();
                }

                _totalsAt = Stopwatch.GetTimestamp();
            }

            return _totals;
        }
    }
}
