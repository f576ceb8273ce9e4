using ArrowCid.Arrow.Arrays;
using ArrowCid.Bench.Flight;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Tests.Service;
using ArrowCid.Grpc;
using Microsoft.AspNetCore.Builder;

namespace ArrowCid.Flight.Tests.ApachePeers;

/// <summary>
/// Our <see cref="FlightClient"/> against the standard .NET Flight server (Apache.Arrow.Flight.AspNetCore
/// on Kestrel and Grpc.AspNetCore; <see cref="InMemoryApacheFlightServer"/>, which bench flight measures
/// our node against): a server that knows nothing of CIDs, holding what is put in memory under its PATH. DoPut, ListFlights, GetFlightInfo, DoGet, ListActions, DoAction and a typed status
/// work as with any Flight client.
/// </summary>
[Trait("Category", "Peers")]
public sealed class ApacheFlightServerTests : IAsyncLifetime
{
    private WebApplication? _server;
    private string? _location;

    public async Task InitializeAsync() => (_server, _location) = await InMemoryApacheFlightServer.StartAsync();

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
}
