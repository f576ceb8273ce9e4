using ArrowCid.Node;
using ArrowCid.Repository;
using Microsoft.Extensions.Logging;

namespace ArrowCid.Gateway;

/// <summary>
/// What every HTTP handler works with: the node (its content, registry, tokens and change feed, the
/// same the Flight face serves), the gateway's options and its advertised address.
/// </summary>
internal sealed class GatewayContext(ContentNode node, GatewayOptions options)
{
    private Uri? _address;

    /// <summary>Tables' manifest trees as the table JSON needs them, read once per CID (content never changes for a CID).</summary>
    public TableTreeSummaries Tables { get; } = new(cid =>
    {
        // As ContentRepository.OpenTable reads: the walk checks every block against its CID itself.
        using var block = node.Reader.Open(cid, verify: node.Repository.Repository.Blocks.VerifyOnRead);
        return block.Memory.ToArray();
    }, maxChunks: node.Options.Limits.MaxTableChunks);

    /// <summary>Where the code that reads or writes a body synchronously runs: threads of its own, never the pool's.</summary>
    public BlockingBodyWork BlockingBodies { get; } = new();

    /// <summary>The node this gateway is the HTTP face of.</summary>
    public ContentNode Node => node;

    /// <summary>Where the gateway logs the cause of its faults.</summary>
    public ILogger Log { get; } = node.Logging.CreateLogger("ArrowCid.Gateway");

    /// <summary>The gateway's settings.</summary>
    public GatewayOptions Options => options;

    /// <summary>The repository (blocks and registry).</summary>
    public ContentRepository Content => node.Repository;

    /// <summary>Every read of a block: the repository's, or this host's shared memory; mapped, verified, leased.</summary>
    public BlockReader Reader => node.Reader;

    /// <summary>The registry answers come from (the shared one when the node has one) and the step that publishes new content.</summary>
    public ServiceRegistry Registrations => node.Registrations;

    /// <summary>The advertised base address, e.g. <c>http://host:port</c>; set once the port is bound.</summary>
    public Uri Address
    {
        get => Volatile.Read(ref _address) ?? throw new InvalidOperationException("the gateway has not bound its port yet");
        set => Volatile.Write(ref _address, value);
    }
}
