using ArrowCid.Repository;
using ArrowCid.TestSupport;

namespace ArrowCid.Node.Tests;

/// <summary>A node composed from a folder, as serve starts one.</summary>
public sealed class NodeHostTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    [Fact]
    public void A_host_keeps_the_settings_given_claims_the_folder_and_announces_where_the_node_is()
    {
        var limits = NodeLimits.Default with { MaxSubscribers = 3 };
        string repository = Path.Combine(_folder.Path, "repo");
        using (var host = NodeHost.Open(new NodeHostOptions
        {
            Repository = repository,
            SharedMemory = false,
            Node = new NodeOptions { RecordClientAddresses = true, Limits = limits },
        }))
        {
            // Every setting as given; the registry and shared memory are the host's (none here).
            Assert.True(host.Node.Options.RecordClientAddresses);
            Assert.Same(limits, host.Node.Options.Limits);
            Assert.Null(host.Node.Options.SharedRegistry);
            Assert.Null(host.SharedMemory);
            Assert.Null(host.RegistryUrl);

            // One node per folder.
            Assert.Throws<InvalidOperationException>(() => NodeHost.Open(new NodeHostOptions { Repository = repository, SharedMemory = false }));

            host.Node.Identity.Location = "grpc+tcp://127.0.0.1:1234";
            host.Announce();
            Assert.Equal("grpc+tcp://127.0.0.1:1234", NodeSettings.Read(host.Repository.Repository.Root)!.Location);
        }

        // Disposed, the folder is free again.
        using var again = NodeHost.Open(new NodeHostOptions { Repository = repository, SharedMemory = false });
        Assert.NotNull(again.Node);
    }

    [Fact]
    public void A_registry_url_that_cannot_be_used_is_an_invalid_argument_and_leaves_the_folder_free()
    {
        string repository = Path.Combine(_folder.Path, "repo");

        var refused = Assert.Throws<NodeException>(() => NodeHost.Open(new NodeHostOptions { Repository = repository, Registry = "nosuch://x", SharedMemory = false }));

        Assert.Equal(NodeErrorKind.InvalidArgument, refused.Kind);
        using var host = NodeHost.Open(new NodeHostOptions { Repository = repository, SharedMemory = false });
        Assert.Null(host.RegistryUrl);
    }

    public void Dispose() => _folder.Dispose();
}
