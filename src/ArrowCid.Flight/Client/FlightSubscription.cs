using System.Text.Json;
using ArrowCid.Content.Multiformats;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;

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

        string json = _call.ResponseStream.Current.AppMetadata.ToStringUtf8();
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return new FlightAnnouncement(
            root.GetProperty("sequence").GetInt64(),
            Cid.Parse(root.GetProperty("cid").GetString()!),
            root.GetProperty("change").GetString()!,
            root.GetProperty("kind").GetString()!,
            json);
    }

    /// <inheritdoc />
    public void Dispose() => _call.Dispose();
}
