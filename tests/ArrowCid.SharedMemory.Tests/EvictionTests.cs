using System.Runtime.InteropServices;
using ArrowCid.Content.Canonical;
using ArrowCid.SharedMemory.Native;

namespace ArrowCid.SharedMemory.Tests;

public sealed class EvictionTests : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Capacity_evicts_the_least_recently_attached_unpinned_unleased_segments()
    {
        long size = CanonicalEncoder.ComputeCidAndLength(Batches.Make(0)).Length;
        using var store = _temp.Open(capacity: size * 3 + size / 2);
        var a = store.Publish(Batches.Make(0)).Cid;
        var b = store.Publish(Batches.Make(1)).Cid;
        var c = store.Publish(Batches.Make(2)).Cid;
        SetAccess(store, a, 1);
        SetAccess(store, b, 2);
        SetAccess(store, c, 3);

        store.Pin(a);                      // oldest, but pinned
        using var leased = store.Attach(b); // next, but leased (attach also makes it the newest)
        SetAccess(store, b, 2);
        store.Publish(Batches.Make(3));     // needs one slot: c must go

        Assert.True(store.Contains(a));
        Assert.True(store.Contains(b));
        Assert.False(store.Contains(c));
        Assert.Equal(3, store.List().Count);
    }

    [Fact]
    public void A_cid_pinned_elsewhere_is_kept_through_eviction_and_listed_as_pinned()
    {
        long size = CanonicalEncoder.ComputeCidAndLength(Batches.Make(0)).Length;
        var keptElsewhere = CanonicalEncoder.ComputeCid(Batches.Make(0));
        using var store = ShmStore.Open(_temp.Options(capacity: size * 2 + size / 2) with { IsPinnedElsewhere = cid => cid == keptElsewhere });
        var a = store.Publish(Batches.Make(0)).Cid;
        var b = store.Publish(Batches.Make(1)).Cid;
        SetAccess(store, a, 1);            // oldest, but pinned by the hook
        SetAccess(store, b, 2);

        store.Publish(Batches.Make(2));    // needs one slot: b must go

        Assert.True(store.Contains(a));
        Assert.False(store.Contains(b));
        Assert.True(store.List().Single(s => s.Cid == a).Pinned);
    }

    [Fact]
    public void Attach_moves_a_segment_to_the_back_of_the_eviction_order()
    {
        long size = CanonicalEncoder.ComputeCidAndLength(Batches.Make(0)).Length;
        using var store = _temp.Open(capacity: size * 2 + size / 2);
        var a = store.Publish(Batches.Make(0)).Cid;
        var b = store.Publish(Batches.Make(1)).Cid;
        SetAccess(store, a, 1);
        SetAccess(store, b, 2);
        store.Attach(a).Dispose();

        store.Publish(Batches.Make(2));

        Assert.True(store.Contains(a));
        Assert.False(store.Contains(b));
    }

    [Fact]
    public async Task A_segment_another_process_is_evicting_is_not_taken_for_a_lease()
    {
        long size = CanonicalEncoder.ComputeCidAndLength(Batches.Make(0)).Length;
        using var store = _temp.Open(capacity: size * 2);
        var a = store.Publish(Batches.Make(0)).Cid;
        var b = store.Publish(Batches.Make(1)).Cid;
        store.Pin(b); // a is the only candidate

        // Play another process's evictor in the middle of removing `a`: it holds the store's
        // eviction lock and a's exclusive lock. Before the eviction lock existed, a publish that
        // needed room saw a's lock refused, took it for a lease and reported the store full.
        var evictionLock = LockedFile.Open(Path.Combine(store.Directory, "evict.lock"), writable: false, create: true, createMode: 0b110_000_000);
        evictionLock.LockExclusive();
        var segment = LockedFile.Open(store.PathOf(a), writable: false);
        Assert.True(segment.TryLockExclusive());
        var publishing = Task.Run(() => store.Publish(Batches.Make(2)));

        // Release only once the publisher waits for the eviction lock (a blocked flock of this
        // process on that inode in /proc/locks), or fail at once if it already gave up.
        long inode = evictionLock.Status().Inode;
        while (!WaitsForFlock(inode))
        {
            Assert.False(publishing.IsCompleted, $"the publish did not wait for the other evictor: {publishing.Exception?.GetBaseException().Message}");
            await Task.Delay(5);
        }

        File.Delete(store.PathOf(a));
        segment.Dispose();
        evictionLock.Dispose();

        var published = await publishing;
        Assert.True(store.Contains(published.Cid));
        Assert.True(store.Contains(b));
        Assert.False(store.Contains(a));
    }

    // /proc/locks lists a blocked request as "N: -> FLOCK ADVISORY WRITE <pid> <maj>:<min>:<inode> 0 EOF".
    private static bool WaitsForFlock(long inode)
    {
        string pid = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string suffix = ":" + inode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (string line in File.ReadLines("/proc/locks"))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 7 && fields[1] == "->" && fields[2] == "FLOCK" && fields[5] == pid && fields[6].EndsWith(suffix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    [Fact]
    public void When_everything_is_pinned_or_leased_publish_reports_the_store_full_and_leaves_no_temp_file()
    {
        long size = CanonicalEncoder.ComputeCidAndLength(Batches.Make(0)).Length;
        using var store = _temp.Open(capacity: size * 2);
        var a = store.Publish(Batches.Make(0)).Cid;
        var b = store.Publish(Batches.Make(1)).Cid;
        store.Pin(a);
        using var lease = store.Attach(b);

        Assert.Throws<ShmStoreFullException>(() => store.Publish(Batches.Make(2)));
        Assert.Equal(2, store.List().Count);
        Assert.Empty(Directory.EnumerateFiles(Path.GetDirectoryName(store.PathOf(a))!, ".tmp-*"));

        lease.Dispose();
        store.Publish(Batches.Make(2));
        Assert.False(store.Contains(b));
    }

    [Fact]
    public void A_released_lease_is_gone_even_while_a_copy_of_its_descriptor_lives_on()
    {
        // A child process being spawned holds a copy of every descriptor between fork and exec
        // (O_CLOEXEC only closes them at exec): a flock lease dropped by close alone would survive
        // in that copy, and eviction would see the released segment as leased. The copy is made
        // here with dup(2), so the window is held open for as long as the test needs it.
        long size = CanonicalEncoder.ComputeCidAndLength(Batches.Make(0)).Length;
        using var store = _temp.Open(capacity: size * 2);
        var a = store.Publish(Batches.Make(0)).Cid;
        var b = store.Publish(Batches.Make(1)).Cid;
        store.Pin(a);
        var lease = store.Attach(b);
        using var copies = DescriptorCopies.Of(store.PathOf(b));
        Assert.NotEmpty(copies.Descriptors);

        lease.Dispose();

        Assert.False(store.List().Single(s => s.Cid == b).Leased);
        store.Publish(Batches.Make(2));
        Assert.False(store.Contains(b));
    }

    [Fact]
    public void Stats_count_segments_pins_and_leases()
    {
        using var store = _temp.Open();
        var a = store.Publish(Batches.Make(0)).Cid;
        store.Publish(Batches.Make(1));
        store.Pin(a);
        using var lease = store.Attach(a);

        var stats = store.Stats();
        Assert.Equal(2, stats.Segments);
        Assert.Equal(1, stats.Pinned);
        Assert.Equal(1, stats.Leased);
        Assert.Equal(2, stats.PublishedSequence);
        Assert.Equal(store.List().Sum(s => s.Bytes), stats.Bytes);
    }

    private static void SetAccess(ShmStore store, ArrowCid.Content.Multiformats.Cid cid, int minute) =>
        File.SetLastAccessTimeUtc(store.PathOf(cid), new DateTime(2020, 1, 1, 0, minute, 0, DateTimeKind.Utc));
}

/// <summary>
/// dup(2) of every descriptor this process has open on a file: the same open file descriptions,
/// as a child between fork and exec holds them. Closed on dispose.
/// </summary>
internal sealed partial class DescriptorCopies : IDisposable
{
    private DescriptorCopies(List<int> descriptors) => Descriptors = descriptors;

    public IReadOnlyList<int> Descriptors { get; }

    public static DescriptorCopies Of(string path)
    {
        var copies = new List<int>();
        foreach (var link in new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos())
        {
            if (int.TryParse(link.Name, System.Globalization.CultureInfo.InvariantCulture, out int fd) && SafeLinkTarget(link) == path)
            {
                int copy = Dup(fd);
                Assert.True(copy >= 0, $"dup({fd}) failed");
                copies.Add(copy);
            }
        }

        return new DescriptorCopies(copies);
    }

    public void Dispose()
    {
        foreach (int fd in Descriptors)
        {
            _ = Close(fd);
        }
    }

    private static string? SafeLinkTarget(FileSystemInfo link)
    {
        try
        {
            return link.LinkTarget;
        }
        catch (IOException)
        {
            return null; // closed since the listing
        }
    }

    [DllImport("libc", EntryPoint = "dup")]
    private static extern int Dup(int fd);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);
}
