using System.Collections.Concurrent;
using System.Net;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Flight.Client;
using ArrowCid.Grpc;
using ArrowCid.Flight.Tests.Service;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ApacheFlight = Apache.Arrow.Flight;
using GrpcCore = Grpc.Core;
using ApacheServer = Apache.Arrow.Flight.Server;

namespace ArrowCid.Flight.Tests.ApachePeers;

/// <summary>
/// Our <see cref="FlightClient"/> against the standard .NET Flight server (Apache.Arrow.Flight.AspNetCore
/// on Kestrel and Grpc.AspNetCore): a server that knows nothing of CIDs, holding what is put in memory
/// under its PATH. DoPut, ListFlights, GetFlightInfo, DoGet, ListActions, DoAction and a typed status
/// work as with any Flight client.
/// </summary>
[Trait("Category", "Peers")]
public sealed class ApacheFlightServerTests : IAsyncLifetime
{
    private WebApplication? _server;
    private string? _location;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        // AddFlightServer makes a server per call: what is put lives in one store.
        builder.Services.AddSingleton<FlightStore>();
        builder.Services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = 64 << 20).AddFlightServer<InMemoryFlightServer>();
        _server = builder.Build();
        _server.MapFlightEndpoint();
        await _server.StartAsync();
        string address = _server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _location = address.Replace("http://", "grpc+tcp://", StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.StopAsync();
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task Our_client_puts_lists_reads_and_runs_actions_on_an_Apache_Flight_server()
    {
        using var client = new FlightClient(_location!);
        var sent = new List<RecordBatch> { TestBatches.Small(1, rows: 1000), TestBatches.Small(2, rows: 3000), TestBatches.Small(3, rows: 1) };
        try
        {
            var descriptor = new Protocol.FlightDescriptor { Type = Protocol.FlightDescriptor.Types.DescriptorType.Path, Path = { "trips", "2026" } };
            var results = await client.DoPutAsync(descriptor, TestBatches.SmallSchema, sent);
            Assert.Equal(sent.Count, results.Count);
            Assert.Equal("4001", System.Text.Encoding.UTF8.GetString(results[^1]));

            var listed = new List<string>();
            await foreach (var info in client.ListAsync())
            {
                listed.Add(string.Join("/", info.FlightDescriptor.Path));
            }

            Assert.Equal(["trips/2026"], listed);

            var flight = await client.GetInfoAsync(descriptor);
            Assert.Equal(4001, flight.TotalRecords);
            var received = new List<RecordBatch>();
            try
            {
                await foreach (var batch in client.DoGetAsync(flight.Endpoint.Single().Ticket.Ticket_.Memory))
                {
                    received.Add(batch);
                }

                Assert.Equal(sent.Count, received.Count);
                for (int i = 0; i < sent.Count; i++)
                {
                    Assert.True(ArrayEquality.Equals(sent[i], received[i], out string? difference), difference);
                }
            }
            finally
            {
                received.ForEach(b => b.Dispose());
            }

            Assert.Contains(await client.ListActionsAsync(), a => a.Type == "rows");
            Assert.Equal(["4001"], await client.ActionAsync("rows", "trips/2026"));

            // The server's statuses come through as they are.
            var missing = await Assert.ThrowsAsync<RpcException>(() => client.GetInfoAsync(
                new Protocol.FlightDescriptor { Type = Protocol.FlightDescriptor.Types.DescriptorType.Path, Path = { "nothing" } }));
            Assert.Equal(StatusCode.NotFound, missing.StatusCode);
            var unknownTicket = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                await foreach (var batch in client.DoGetAsync("nothing"u8.ToArray()))
                {
                    batch.Dispose();
                }
            });
            Assert.Equal(StatusCode.NotFound, unknownTicket.StatusCode);

            // ArrowCid's own put reads a node's results; from this server it says the server broke that protocol.
            var notANode = await Assert.ThrowsAsync<RpcException>(() => client.PutAsync(TestBatches.SmallSchema, [sent[2]]));
            Assert.Equal(StatusCode.Internal, notANode.StatusCode);
        }
        finally
        {
            sent.ForEach(b => b.Dispose());
        }
    }

    /// <summary>The smallest useful Flight server on the Apache.Arrow.Flight API: flights held in memory by PATH.</summary>
    private sealed class FlightStore
    {
        public ConcurrentDictionary<string, (global::Apache.Arrow.Schema Schema, List<global::Apache.Arrow.RecordBatch> Batches)> Flights { get; } = new();
    }

    private sealed class InMemoryFlightServer(FlightStore store) : ApacheServer.FlightServer
    {

        private static string Key(ApacheFlight.FlightDescriptor descriptor) => string.Join("/", descriptor.Paths);

        public override async Task DoPut(ApacheServer.FlightServerRecordBatchStreamReader requestStream, GrpcCore.IAsyncStreamWriter<ApacheFlight.FlightPutResult> responseStream, GrpcCore.ServerCallContext context)
        {
            var descriptor = await requestStream.FlightDescriptor;
            var schema = await requestStream.Schema;
            var batches = new List<global::Apache.Arrow.RecordBatch>();
            long rows = 0;
            while (await requestStream.MoveNext(context.CancellationToken))
            {
                batches.Add(requestStream.Current);
                rows += requestStream.Current.Length;
                await responseStream.WriteAsync(new ApacheFlight.FlightPutResult(rows.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }

            store.Flights[Key(descriptor)] = (schema, batches);
        }

        public override Task<ApacheFlight.FlightInfo> GetFlightInfo(ApacheFlight.FlightDescriptor request, GrpcCore.ServerCallContext context) =>
            Task.FromResult(Info(Key(request)));

        public override async Task ListFlights(ApacheFlight.FlightCriteria request, GrpcCore.IAsyncStreamWriter<ApacheFlight.FlightInfo> responseStream, GrpcCore.ServerCallContext context)
        {
            foreach (string key in store.Flights.Keys)
            {
                await responseStream.WriteAsync(Info(key));
            }
        }

        public override async Task DoGet(ApacheFlight.FlightTicket ticket, ApacheServer.FlightServerRecordBatchStreamWriter responseStream, GrpcCore.ServerCallContext context)
        {
            var (schema, batches) = Find(ticket.Ticket.ToStringUtf8());
            await responseStream.SetupStream(schema);
            foreach (var batch in batches)
            {
                await responseStream.WriteAsync(batch);
            }
        }

        public override async Task ListActions(GrpcCore.IAsyncStreamWriter<ApacheFlight.FlightActionType> responseStream, GrpcCore.ServerCallContext context) =>
            await responseStream.WriteAsync(new ApacheFlight.FlightActionType("rows", "The rows a flight holds. Body: its path."));

        public override async Task DoAction(ApacheFlight.FlightAction request, GrpcCore.IAsyncStreamWriter<ApacheFlight.FlightResult> responseStream, GrpcCore.ServerCallContext context)
        {
            long rows = Find(request.Body.ToStringUtf8()).Batches.Sum(b => (long)b.Length);
            await responseStream.WriteAsync(new ApacheFlight.FlightResult(rows.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        private (global::Apache.Arrow.Schema Schema, List<global::Apache.Arrow.RecordBatch> Batches) Find(string key) =>
            store.Flights.TryGetValue(key, out var flight) ? flight : throw new GrpcCore.RpcException(new GrpcCore.Status(GrpcCore.StatusCode.NotFound, $"no flight '{key}'"));

        private ApacheFlight.FlightInfo Info(string key)
        {
            var (schema, batches) = Find(key);
            var endpoint = new ApacheFlight.FlightEndpoint(new ApacheFlight.FlightTicket(key), []);
            return new ApacheFlight.FlightInfo(schema, ApacheFlight.FlightDescriptor.CreatePathDescriptor(key.Split('/')), [endpoint], batches.Sum(b => (long)b.Length), -1);
        }
    }
}
