using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using ArrowCid.TestSupport;

namespace ArrowCid.Repository.Tests;

public sealed class GroupCommitTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Items_submitted_while_a_commit_runs_share_the_next_one_and_each_gets_its_own_result()
    {
        using var firstCommitMayEnd = new ManualResetEventSlim();
        var groups = new List<int[]>();
        var commits = RecordingCommits(groups, firstCommitMayEnd, i => i * 10);

        var leader = Task.Run(() => commits.Submit(0));
        SpinWait.SpinUntil(() => groups.Count == 1);
        var followers = Enumerable.Range(1, 8).Select(i => Task.Run(() => commits.Submit(i))).ToArray();
        SpinWait.SpinUntil(() => commits.Waiting == 8);
        firstCommitMayEnd.Set();

        Assert.Equal(0, await leader);
        Assert.Equal(Enumerable.Range(1, 8).Select(i => i * 10), await Task.WhenAll(followers));
        Assert.Equal(2, groups.Count);
        Assert.Equal(Enumerable.Range(1, 8), groups[1].Order());
        Assert.Equal(2, commits.Groups);
    }

    [Fact]
    public async Task Submitters_waiting_without_a_thread_all_join_the_next_group_which_a_pool_thread_commits()
    {
        using var firstCommitMayEnd = new ManualResetEventSlim();
        var groups = new List<int[]>();
        var commits = RecordingCommits(groups, firstCommitMayEnd, i => -i);

        var leader = Task.Run(() => commits.SubmitAsync(0));
        SpinWait.SpinUntil(() => groups.Count == 1);

        // Submitted from this one thread while the first group commits: each returns at once, unfinished.
        var followers = Enumerable.Range(1, 100).Select(commits.SubmitAsync).ToArray();
        Assert.All(followers, f => Assert.False(f.IsCompleted));
        Assert.Equal(100, commits.Waiting);
        firstCommitMayEnd.Set();

        Assert.Equal(0, await leader);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => -i), await Task.WhenAll(followers));
        Assert.Equal(Enumerable.Range(1, 100), groups[1]);
        Assert.Equal(2, commits.Groups);
        Assert.Equal(0, commits.Waiting);
    }

    [Fact]
    public async Task A_failed_commit_faults_every_waiting_task_of_its_group()
    {
        var commits = new GroupCommit<int, int>(_ => throw new IOException("disk full"));
        var failed = commits.SubmitAsync(1);
        await Assert.ThrowsAsync<IOException>(() => failed);
        Assert.Equal(1, commits.Groups);
    }

    [Fact]
    public void A_failed_commit_fails_every_item_of_its_group_and_the_next_group_still_commits()
    {
        bool fail = true;
        var commits = new GroupCommit<int, int>(items => fail ? throw new IOException("disk full") : items);
        Assert.Throws<IOException>(() => commits.Submit(1));
        fail = false;
        Assert.Equal(2, commits.Submit(2));
    }

    [Fact]
    public void Concurrent_puts_are_all_durable_and_registered_whatever_groups_they_share()
    {
        var random = new Random(7);
        var blocks = Enumerable.Range(0, 400).Select(_ => Registry.Tests.Support.TestBlocks.RandomBatch(random, 2048)).ToList();
        using (var repo = new LocalRepository(_folder.Path))
        {
            Parallel.ForEach(blocks, new ParallelOptions { MaxDegreeOfParallelism = 16 }, b =>
                repo.PutBlock(b.Cid, b.Bytes, new BlockRecord { Cid = b.Cid, Kind = BlockKind.Batch }));
            Assert.True(repo.CommitGroups <= blocks.Count);
        }

        using var reopened = new LocalRepository(_folder.Path);
        Assert.Equal(blocks.Select(b => b.Cid).ToHashSet(), reopened.Registry.ListCids().ToHashSet());
        foreach (var (cid, bytes) in blocks)
        {
            Assert.Equal(bytes, reopened.GetBlock(cid).ToArray());
        }

        Assert.True(reopened.Verify().IsClean);
    }

    [Fact]
    public void Commit_time_is_summed_and_the_longest_commit_is_taken_once()
    {
        var commits = new GroupCommit<int, int>(items =>
        {
            Thread.Sleep(items[0]);
            return [.. items];
        });

        Assert.Equal(TimeSpan.Zero, commits.TakeLongestCommit());
        commits.Submit(5);
        commits.Submit(250);
        commits.Submit(5);

        var longest = commits.TakeLongestCommit();
        Assert.InRange(longest.TotalMilliseconds, 250, 60_000);
        Assert.True(commits.CommitTime >= TimeSpan.FromMilliseconds(260), $"{commits.CommitTime}");
        Assert.True(commits.CommitTime >= longest);
        // Taken: the next span starts empty, and a shorter commit is its longest.
        Assert.Equal(TimeSpan.Zero, commits.TakeLongestCommit());
        commits.Submit(5);
        Assert.InRange(commits.TakeLongestCommit().TotalMilliseconds, 5, 249);
    }

    // Records each group; the group holding item 0 waits for the event before it ends.
    private static GroupCommit<int, int> RecordingCommits(List<int[]> groups, ManualResetEventSlim firstCommitMayEnd, Func<int, int> result) =>
        new(items =>
        {
            lock (groups)
            {
                groups.Add([.. items]);
            }

            if (items.Contains(0))
            {
                firstCommitMayEnd.Wait();
            }

            return items.Select(result).ToList();
        });
}
