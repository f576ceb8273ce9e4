using ArrowCid.TestSupport;

namespace ArrowCid.Repository.Tests;

public sealed class RepositoryLockTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Threads_of_one_instance_share_its_shared_hold_and_an_exclusive_hold_waits_for_the_last_of_them()
    {
        string path = Path.Combine(_folder.Path, LocalRepository.LockFileName);
        var puts = new RepositoryLock(path, TimeSpan.FromSeconds(30));
        // Another instance (as another process would): it gives up quickly while the file is held.
        var collector = new RepositoryLock(path, TimeSpan.FromMilliseconds(50));

        var first = puts.Shared();
        var second = await Task.Run(puts.Shared);
        Assert.ThrowsAny<IOException>(() => collector.Exclusive().Dispose());

        // Let go twice by mistake: still only one holder's part, so the other's hold stands.
        first.Dispose();
        first.Dispose();
        Assert.ThrowsAny<IOException>(() => collector.Exclusive().Dispose());
        using (collector.Shared())
        {
            // Shared holds of different instances go together.
        }

        second.Dispose();
        collector.Exclusive().Dispose();

        // Taken again after the last holder let go.
        using (puts.Shared())
        {
            Assert.ThrowsAny<IOException>(() => collector.Exclusive().Dispose());
        }
    }

    [Fact]
    public void A_lock_held_past_the_timeout_says_the_repository_is_busy_and_what_to_do()
    {
        string path = Path.Combine(_folder.Path, LocalRepository.LockFileName);
        var gc = new RepositoryLock(path, TimeSpan.FromSeconds(30));
        var put = new RepositoryLock(path, TimeSpan.FromMilliseconds(50));
        using (gc.Exclusive())
        {
            var busy = Assert.Throws<RepositoryBusyException>(() => put.Shared().Dispose());
            Assert.StartsWith("the repository is busy: another process (a gc or repair) held its lock for more than 0.05 s; try again", busy.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(_folder.Path, busy.Message, StringComparison.Ordinal);
        }
    }
}
