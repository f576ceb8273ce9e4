using ArrowCid.Flight.Hosting;
using ArrowCid.Registry.ContentAccess;

namespace ArrowCid.Flight.Tests.Reliability;

/// <summary>A Flight node on 127.0.0.1:0 over a fresh repository (in /dev/shm when it exists, so durable writes are cheap).</summary>
internal sealed class ScratchNode : IAsyncDisposable
{
    private ScratchNode(string folder, ContentRepository content, FlightNode node)
    {
        Folder = folder;
        Content = content;
        Node = node;
    }

    public string Folder { get; }

    public ContentRepository Content { get; }

    public FlightNode Node { get; }

    public static async Task<ScratchNode> StartAsync(bool memoryBacked)
    {
        string folder = memoryBacked && Directory.Exists("/dev/shm")
            ? Directory.CreateDirectory(Path.Combine("/dev/shm", $"arrowcid-reliability-{Guid.NewGuid():N}")).FullName
            : Directory.CreateTempSubdirectory("arrowcid-reliability-").FullName;
        var content = ContentRepository.Open(Path.Combine(folder, "repo"));
        try
        {
            var node = await FlightNode.StartAsync(content);
            return new ScratchNode(folder, content, node);
        }
        catch
        {
            content.Dispose();
            throw;
        }
    }

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
            // A file still mapped by a finalising reader; left for the OS to clean.
        }
    }
}
