using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ApacheArrow = Apache.Arrow;
using ApacheFlight = Apache.Arrow.Flight;
using ApacheServer = Apache.Arrow.Flight.Server;
using GrpcCore = Grpc.Core;

namespace ArrowCid.Bench.Flight;

/// <summary>
/// The smallest useful Flight server on the standard .NET stack (Apache.Arrow.Flight.AspNetCore on
/// Grpc.AspNetCore and Kestrel): DoPut keeps a flight's batches in memory under its PATH, DoGet sends
/// them back as they came, GetFlightInfo and ListFlights describe them, DoAction "rows" counts them.
/// The peer <c>bench flight</c> measures our node against, and that our client is tested against.
/// </summary>
internal sealed class InMemoryApacheFlightServer(InMemoryApacheFlightServer.Store store) : ApacheServer.FlightServer
{
    /// <summary>Starts the server on loopback (HTTP/2 without TLS, port chosen by the system); returns it and its grpc+tcp location.</summary>
    public static async Task<(WebApplication Server, string Location)> StartAsync(int maxMessageSize = 64 << 20)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        // AddFlightServer makes a server per call: what is put lives in one store.
        builder.Services.AddSingleton<Store>();
        builder.Services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = maxMessageSize).AddFlightServer<InMemoryApacheFlightServer>();
        var server = builder.Build();
        server.MapFlightEndpoint();
        await server.StartAsync().ConfigureAwait(false);
        string address = server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return (server, address.Replace("http://", "grpc+tcp://", StringComparison.Ordinal));
    }

    public override async Task DoPut(ApacheServer.FlightServerRecordBatchStreamReader requestStream, GrpcCore.IAsyncStreamWriter<ApacheFlight.FlightPutResult> responseStream, GrpcCore.ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        var descriptor = await requestStream.FlightDescriptor.ConfigureAwait(false);
        var schema = await requestStream.Schema.ConfigureAwait(false);
        var batches = new List<ApacheArrow.RecordBatch>();
        long rows = 0;
        while (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            batches.Add(requestStream.Current);
            rows += requestStream.Current.Length;
            await responseStream.WriteAsync(new ApacheFlight.FlightPutResult(rows.ToString(CultureInfo.InvariantCulture))).ConfigureAwait(false);
        }

        store.Flights[Key(descriptor)] = (schema, batches);
    }

    public override Task<ApacheFlight.FlightInfo> GetFlightInfo(ApacheFlight.FlightDescriptor request, GrpcCore.ServerCallContext context) =>
        Task.FromResult(Info(Key(request)));

    public override async Task ListFlights(ApacheFlight.FlightCriteria request, GrpcCore.IAsyncStreamWriter<ApacheFlight.FlightInfo> responseStream, GrpcCore.ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(responseStream);
        foreach (string key in store.Flights.Keys)
        {
            await responseStream.WriteAsync(Info(key)).ConfigureAwait(false);
        }
    }

    public override async Task DoGet(ApacheFlight.FlightTicket ticket, ApacheServer.FlightServerRecordBatchStreamWriter responseStream, GrpcCore.ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        ArgumentNullException.ThrowIfNull(responseStream);
        var (schema, batches) = Find(ticket.Ticket.ToStringUtf8());
        await responseStream.SetupStream(schema).ConfigureAwait(false);
        foreach (var batch in batches)
        {
            await responseStream.WriteAsync(batch).ConfigureAwait(false);
        }
    }

    public override async Task ListActions(GrpcCore.IAsyncStreamWriter<ApacheFlight.FlightActionType> responseStream, GrpcCore.ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(responseStream);
        await responseStream.WriteAsync(new ApacheFlight.FlightActionType("rows", "The rows a flight holds. Body: its path.")).ConfigureAwait(false);
    }

    public override async Task DoAction(ApacheFlight.FlightAction request, GrpcCore.IAsyncStreamWriter<ApacheFlight.FlightResult> responseStream, GrpcCore.ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responseStream);
        long rows = Find(request.Body.ToStringUtf8()).Batches.Sum(b => (long)b.Length);
        await responseStream.WriteAsync(new ApacheFlight.FlightResult(rows.ToString(CultureInfo.InvariantCulture))).ConfigureAwait(false);
    }

    private static string Key(ApacheFlight.FlightDescriptor descriptor) => string.Join("/", descriptor.Paths);

    private (ApacheArrow.Schema Schema, List<ApacheArrow.RecordBatch> Batches) Find(string key) =>
        store.Flights.TryGetValue(key, out var flight) ? flight : throw new GrpcCore.RpcException(new GrpcCore.Status(GrpcCore.StatusCode.NotFound, $"no flight '{key}'"));

    private ApacheFlight.FlightInfo Info(string key)
    {
        var (schema, batches) = Find(key);
        var endpoint = new ApacheFlight.FlightEndpoint(new ApacheFlight.FlightTicket(key), []);
        return new ApacheFlight.FlightInfo(schema, ApacheFlight.FlightDescriptor.CreatePathDescriptor(key.Split('/')), [endpoint], batches.Sum(b => (long)b.Length), -1);
    }

    /// <summary>What the server holds, by PATH (one per application).</summary>
    internal sealed class Store
    {
        public ConcurrentDictionary<string, (ApacheArrow.Schema Schema, List<ApacheArrow.RecordBatch> Batches)> Flights { get; } = new();
    }
}
