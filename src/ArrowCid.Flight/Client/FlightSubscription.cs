using ArrowCid.Content.Multiformats;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using ArrowCid.Wire;

namespace ArrowCid.Flight.Client;

/// <summary>A live subscription (a DoExchange call): read announcements; dispose to end it.</summary>
public sealed class FlightSubscription : IDisposable
{
    private readonly GrpcCall<FlightData, FlightData> _call;

    internal FlightSubscription(GrpcCall<FlightData, FlightData> call, long startSequence)
    {
        _call = call;
        StartSequence = startSequence;
    }

    /// <summary>The registry sequence the subscription started after: every later change is announced.</summary>
    public long StartSequence { get; }

    /// <summary>The next announcement; null when the server ended the subscription.</summary>
    public async Task<FlightAnnouncement?> NextAsync(CancellationToken cancellationToken = default)
    {
        if (!await _call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var body = _call.ResponseStream.Current.AppMetadata;
        var announcement = FlightClient.ReadBody(body, WireJsonContext.Default.ChangeAnnouncement, "an announcement");
        return new FlightAnnouncement(
            announcement.Sequence,
            FlightClient.ParseCid(announcement.Cid, "an announcement"),
            announcement.Change ?? string.Empty,
            announcement.Kind ?? string.Empty,
            body.ToStringUtf8());
    }

    /// <inheritdoc />
    public void Dispose() => _call.Dispose();
}
