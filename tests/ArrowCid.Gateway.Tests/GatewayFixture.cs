using ArrowCid.Flight.Hosting;
using ArrowCid.Flight.Service;
using ArrowCid.Node;
using ArrowCid.Repository;

namespace ArrowCid.Gateway.Tests;

/// <summary>
/// A node on 127.0.0.1:0 (Flight and its HTTP gateway) over a fresh repository in a temporary
/// folder, with an <see cref="HttpClient"/> pointed at the gateway.
/// </summary>
public sealed class GatewayFixture : IAsyncDisposable
{
    private GatewayFixture(string folder, ContentRepository content, FlightNode flight, GatewayNode gateway)
    {
        Folder = folder;
        Content = content;
        Flight = flight;
        Gateway = gateway;
        Http = new HttpClient { BaseAddress = gateway.Address, Timeout = TimeSpan.FromMinutes(2) };
    }

    public string Folder { get; }

    public ContentRepository Content { get; }

    public FlightNode Flight { get; }

    public GatewayNode Gateway { get; }

    /// <summary>A client of the gateway (HTTP/1.1).</summary>
    public HttpClient Http { get; }

    public static async Task<GatewayFixture> StartAsync(NodeOptions? service = null, GatewayOptions? gateway = null)
    {
        string folder = Directory.CreateTempSubdirectory("arrowcid-gateway-").FullName;
        var content = ContentRepository.Open(Path.Combine(folder, "repo"));
        FlightNode? flight = null;
        try
        {
            flight = await FlightNode.StartAsync(content, new FlightNodeOptions { Node = service ?? new NodeOptions() });
            var http = await GatewayNode.StartAsync(flight.Node, gateway ?? new GatewayOptions());
            return new GatewayFixture(folder, content, flight, http);
        }
        catch
        {
            if (flight is not null)
            {
                await flight.DisposeAsync();
            }

            content.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Gateway.DisposeAsync();
        await Flight.DisposeAsync();
        Content.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still mapped by a finalising reader; the temp folder is cleaned by the OS.
        }
    }
}
