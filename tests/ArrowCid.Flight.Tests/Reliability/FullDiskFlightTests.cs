using ArrowCid.Flight.Client;
using ArrowCid.Flight.Hosting;
using ArrowCid.Flight.Tests.Service;
using ArrowCid.Grpc;
using ArrowCid.Repository;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

namespace ArrowCid.Flight.Tests.Reliability;

/// <summary>
/// A node whose disk fills (a 6 MiB tmpfs this test mounts; skipped with the reason where the machine
/// does not allow a mount): DoPut is refused with RESOURCE_EXHAUSTED and a message naming no path,
/// the node keeps serving reads, and takes puts again once space is freed, without a restart.
/// </summary>
public sealed class FullDiskFlightTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("arrowcid-full-flight-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_full_node_refuses_puts_with_RESOURCE_EXHAUSTED_serves_reads_and_recovers()
    {
        using var mount = TmpfsMount.TryMount(Path.Combine(_folder, "disk"), "6m", out string? why);
        if (mount is null)
        {
            output.WriteLine(CiEnvironment.SkipOrFail($"cannot mount a tmpfs: {why}"));
            return;
        }

        using var content = ContentRepository.Open(Path.Combine(mount.Path, "repo"));
        await using var node = await FlightNode.StartAsync(content);
        using var client = new FlightClient(node.Location);
        var stored = new List<FlightPutSummary>();
        RpcException? refused = null;
        for (int seed = 0; seed < 200 && refused is null; seed++)
        {
            using var batch = TestBatches.Large(96 << 10, seed);
            try
            {
                stored.Add(await client.PutAsync(batch.Schema, [batch]));
            }
            catch (RpcException e)
            {
                refused = e;
            }
        }

        Assert.NotNull(refused);
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.DoesNotContain(mount.Path, refused.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", refused.Status.Detail, StringComparison.Ordinal);
        Assert.True(stored.Count >= 5, $"only {stored.Count} puts before the disk filled");

        // Reads go on.
        foreach (var put in stored)
        {
            Assert.Single((await client.GetAsync(put.Table)).Batches);
        }

        // Space freed (all but two tables unpinned and collected; the repository sets its 2 MiB
        // reserve aside again from what is freed): puts work again, on the same node.
        foreach (var put in stored.SkipLast(2))
        {
            content.Repository.Unpin(put.Table);
        }

        content.Repository.Gc();
        using var after = TestBatches.Large(96 << 10, 999);
        var again = await client.PutAsync(after.Schema, [after]);
        Assert.Single((await client.GetAsync(again.Table)).Batches);
    }
}
