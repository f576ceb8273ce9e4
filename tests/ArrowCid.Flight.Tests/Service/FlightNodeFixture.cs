using ArrowCid.Flight.Client;
using ArrowCid.Flight.Hosting;
using ArrowCid.Flight.Service;
using ArrowCid.Node;
using ArrowCid.Repository;

namespace ArrowCid.Flight.Tests.Service;

/// <summary>
/// A Flight node on 127.0.0.1:0 over a fresh repository in a temporary folder (in /dev/shm when
/// asked for and present, so durable writes are cheap).
/// </summary>
public sealed class FlightNodeFixture : IAsyncDisposable
{
    private FlightNodeFixture(string folder, ContentRepository content, FlightNode node)
    {
        Folder = folder;
        Content = content;
        Node = node;
    }

    public string Folder { get; }

    public ContentRepository Content { get; }

    public FlightNode Node { get; }

    public string Location => Node.Location;

    public static async Task<FlightNodeFixture> StartAsync(
        NodeOptions? service = null, int maxMessageSize = FlightNodeOptions.DefaultMaxMessageSize, bool memoryBacked = false)
    {
        string folder = memoryBacked && Directory.Exists("/dev/shm")
            ? Directory.CreateDirectory(Path.Combine("/dev/shm", $"arrowcid-flight-{Guid.NewGuid():N}")).FullName
            : Directory.CreateTempSubdirectory("arrowcid-flight-").FullName;
        var content = ContentRepository.Open(Path.Combine(folder, "repo"));
        try
        {
            var node = await FlightNode.StartAsync(content, new FlightNodeOptions { Node = service ?? new NodeOptions(), MaxMessageSize = maxMessageSize });
            return new FlightNodeFixture(folder, content, node);
        }
        catch
        {
            content.Dispose();
            throw;
        }
    }

    public FlightClient Client(string? token = null) => new(Location, new FlightClientOptions { Token = token });

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
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
