using System.Runtime.InteropServices;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Printing;
using ArrowCid.Content.Canonical;

namespace ArrowCid.SharedMemory.Tests;

public sealed class PublishAttachTests : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Publish_writes_the_canonical_bytes_under_the_cid_and_attach_returns_the_same_batch()
    {
        using var store = _temp.Open();
        var batch = Batches.Make(1);
        var published = store.Publish(batch);

        Assert.Equal(CanonicalEncoder.ComputeCid(batch), published.Cid);
        Assert.True(published.Created);
        Assert.Equal(1, published.Sequence);
        Assert.Equal(CanonicalEncoder.Encode(batch), File.ReadAllBytes(published.Path));
        using var attached = store.Attach(published.Cid);
        Assert.Equal(ArrayPrinter.Format(batch), ArrayPrinter.Format(attached));
    }

    [Fact]
    public void Attached_buffers_point_into_the_mapping_and_the_lease_ends_with_the_batch()
    {
        using var store = _temp.Open();
        var cid = store.Publish(Batches.Make(2)).Cid;
        var attached = store.Attach(cid);

        var values = attached.Column(0).Buffers[1];
        Assert.True(MemoryMarshal.TryGetMemoryManager(values, out MappedFileMemory? mapping));
        Assert.NotNull(attached.Owner);
        Assert.Equal(1, attached.Owner!.References);
        Assert.False(store.Remove(cid)); // leased
        attached.Dispose();
        Assert.Equal(0, attached.Owner.References);
        Assert.True(store.Remove(cid));
        Assert.Throws<ShmSegmentNotFoundException>(() => store.Attach(cid));
    }

    [Fact]
    public void Publishing_an_existing_cid_writes_nothing_and_announces_nothing()
    {
        using var store = _temp.Open();
        var first = store.Publish(Batches.Make(3));
        var stamp = File.GetLastWriteTimeUtc(first.Path);
        var second = store.Publish(Batches.Make(3));

        Assert.Equal(first.Cid, second.Cid);
        Assert.False(second.Created);
        Assert.Equal(1, store.PublishedSequence);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(first.Path));
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(first.Path)!, ".tmp-*"));
    }

    [Fact]
    public void Segments_and_folders_are_owner_only()
    {
        using var store = _temp.Open();
        var published = store.Publish(Batches.Make(4));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(published.Path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(store.Directory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(published.Path)!));
    }

    [Fact]
    public void The_environment_variable_moves_the_store_and_an_explicit_folder_wins()
    {
        string fromEnvironment = Path.Combine(_temp.BaseDirectory, "env");
        Environment.SetEnvironmentVariable(ShmStoreOptions.DirectoryEnvironmentVariable, fromEnvironment);
        try
        {
            Assert.Equal(Path.Combine(fromEnvironment, "s"), new ShmStoreOptions { StoreName = "s" }.ResolveDirectory());
            Assert.Equal(Path.Combine(_temp.BaseDirectory, "s"), new ShmStoreOptions { StoreName = "s", BaseDirectory = _temp.BaseDirectory }.ResolveDirectory());
        }
        finally
        {
            Environment.SetEnvironmentVariable(ShmStoreOptions.DirectoryEnvironmentVariable, null);
        }

        Assert.Equal($"/dev/shm/arrowcid-{Native.LinuxNative.EffectiveUserId()}/default", new ShmStoreOptions().ResolveDirectory());
        Assert.Throws<ArgumentException>(() => new ShmStoreOptions { StoreName = "../x" }.ResolveDirectory());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Many_threads_publishing_the_same_and_different_batches_leave_one_segment_per_cid(bool arena)
    {
        using var store = _temp.Open(arena: arena);
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => store.Publish(Batches.Make(i % 8)));

        Assert.Equal(8, store.List().Count);
        Assert.Equal(8, store.PublishedSequence);
        // Threads of one store share its descriptors: the writer lock must still keep them apart,
        // or two would append the same sequence and a notice would be lost.
        var subscription = store.Subscribe();
        var announced = new List<Content.Multiformats.Cid>();
        while (subscription.TryNext(out var notice))
        {
            announced.Add(notice!.Cid);
        }

        Assert.Equal(Enumerable.Range(0, 8).Select(i => CanonicalEncoder.ComputeCid(Batches.Make(i)).ToString()).Order(StringComparer.Ordinal), announced.Select(c => c.ToString()).Order(StringComparer.Ordinal));
        for (int i = 0; i < 8; i++)
        {
            using var batch = store.Attach(CanonicalEncoder.ComputeCid(Batches.Make(i)));
            Assert.Equal(16, batch.Length);
        }
    }

    [Fact]
    public void A_registry_records_the_cid_with_its_shared_memory_location()
    {
        string repository = Path.Combine(_temp.BaseDirectory, "repo");
        using var repo = ArrowCid.Repository.LocalRepository.Open(repository);
        // The store knows nothing of registries: its Published hook is where one records a batch.
        using var store = ShmStore.Open(_temp.Options() with
        {
            Published = published => repo.Registry.Upsert(new ArrowCid.Registry.BlockRecord
            {
                Cid = published.Cid,
                Kind = ArrowCid.Registry.BlockKind.Batch,
                Schema = published.Batch.Schema.ToString(),
                Rows = published.Batch.Length,
                Bytes = published.Bytes,
                Producer = "test",
                Tags = published.Tags,
                Locations = ["shm:" + published.Path],
            }),
        });
        var published = store.Publish(Batches.Make(5), Batches.Tags("source=unit"));

        var record = repo.Registry.Find(published.Cid);
        Assert.NotNull(record);
        Assert.Equal(16, record!.Rows);
        Assert.Equal(published.Bytes, record.Bytes);
        Assert.Equal("unit", record.Tags["source"]);
        Assert.Contains("shm:" + published.Path, record.Locations);
    }
}
