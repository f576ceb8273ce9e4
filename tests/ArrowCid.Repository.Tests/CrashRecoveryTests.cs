using System.Collections.Concurrent;
using System.Diagnostics;
using ArrowCid.Content.Multiformats;
using ArrowCid.Registry.Tests.Support;
using ArrowCid.TestSupport;

using ArrowCid.Registry;
using ArrowCid.Repository;

namespace ArrowCid.Repository.Tests;

/// <summary>
/// Nothing lost: a separate process puts blocks in a loop and prints each CID once PutBlock has
/// returned; we SIGKILL it at seeded random points and then hold the repository to every CID it
/// acknowledged. Verify without repair may find orphans (blocks whose rows never got written) but
/// never a missing or damaged entry; repair then leaves a clean repository.
/// </summary>
public sealed class CrashRecoveryTests : IDisposable
{
    private const int Kills = 24;
    private const int Seed = 20240607;
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Every_acknowledged_block_survives_a_sigkill_at_a_random_point()
    {
        var random = new Random(Seed);
        var acknowledged = new HashSet<Cid>();
        int orphansSeen = 0;
        for (int kill = 0; kill < Kills; kill++)
        {
            // Wait for a few acknowledgements (sometimes none), then kill after a short random
            // delay so the kill lands anywhere inside a put: block write, rename, or transaction.
            int acksBeforeKill = random.Next(0, 12);
            int delayMilliseconds = random.Next(0, 25);
            acknowledged.UnionWith(RunAndKill(Seed + kill, acksBeforeKill, delayMilliseconds));

            using var repo = new LocalRepository(_folder.Path);
            var report = repo.Verify();
            Assert.True(report.IsConsistent, $"kill {kill}: missing [{string.Join(", ", report.MissingBlocks)}], corrupt [{string.Join(", ", report.CorruptBlocks)}]");
            orphansSeen += report.OrphanBlocks.Count;
            foreach (var cid in acknowledged)
            {
                Assert.True(cid.Verify(repo.GetBlock(cid).Span), $"kill {kill}: {cid} has wrong bytes");
                Assert.NotNull(repo.GetRecord(cid));
            }

            var repaired = repo.Verify(repair: true);
            Assert.True(repaired.Repaired);
            Assert.True(repo.Verify().IsClean, $"kill {kill}: repair left work behind");
        }

        Assert.True(acknowledged.Count >= Kills, $"only {acknowledged.Count} acknowledgements in {Kills} runs: the child hardly ran");
        _ = orphansSeen;
    }

    [Fact]
    public void Every_acknowledged_put_survives_sigkills_under_16_concurrent_writers()
    {
        // Small blocks and one-chunk tables from 16 threads share group commits, so kills land
        // between a pack append and its sync, inside a sync, and inside the registry transaction.
        const int concurrentKills = 50;
        var random = new Random(Seed + 1);
        var acknowledged = new HashSet<Cid>();
        for (int kill = 0; kill < concurrentKills; kill++)
        {
            var acks = RunAndKill(Seed + 1000 + kill, random.Next(0, 400), random.Next(0, 20), ConcurrentWriters);
            acknowledged.UnionWith(acks);

            using var repo = new LocalRepository(_folder.Path);
            foreach (var cid in acks)
            {
                Assert.True(cid.Verify(repo.GetBlock(cid).Span), $"kill {kill}: {cid} has wrong bytes");
                Assert.NotNull(repo.GetRecord(cid));
            }

            // A full verify re-hashes everything: every tenth kill, and after the last.
            if (kill % 10 == 9)
            {
                var report = repo.Verify();
                Assert.True(report.IsConsistent, $"kill {kill}: missing [{string.Join(", ", report.MissingBlocks)}], corrupt [{string.Join(", ", report.CorruptBlocks)}]");
                Assert.True(repo.Verify(repair: true).Repaired);
                Assert.True(repo.Verify().IsClean, $"kill {kill}: repair left work behind");
            }
        }

        using (var repo = new LocalRepository(_folder.Path))
        {
            foreach (var cid in acknowledged)
            {
                Assert.True(cid.Verify(repo.GetBlock(cid).Span), $"{cid} has wrong bytes at the end");
                Assert.NotNull(repo.GetRecord(cid));
            }

            Assert.NotEmpty(Directory.GetFiles(Path.Combine(_folder.Path, "blocks", "packs"), "*.pack"));
        }

        Assert.True(acknowledged.Count >= concurrentKills, $"only {acknowledged.Count} acknowledgements in {concurrentKills} runs: the child hardly ran");
    }

    [Fact]
    public void A_put_killed_halfway_leaves_its_chunks_held_while_it_lives_and_collectable_once_dead()
    {
        var start = new ProcessStartInfo(BuildOutputs.DotnetHost, [BuildOutputs.AssemblyPath("ArrowCid.Repository.CrashChild", "ArrowCid.Repository.CrashChild"), _folder.Path, "hold-put"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start the crash child");
        try
        {
            // The child's line is the gate: its chunks are stored and held by its guard.
            string line = child.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"the child ended: {child.StandardError.ReadToEnd()}");
            string[] words = line.Split(' ');
            Assert.True(words.Length >= 4 && words[0] == "chunks" && words[^1] == "end", line);
            var chunks = words[1..^1].Select(Cid.Parse).ToList();

            using (var repo = new LocalRepository(_folder.Path))
            {
                var whileLive = repo.GcListed();
                Assert.Empty(whileLive.RemovedRecords.Intersect(chunks));
                Assert.Equal(0, whileLive.AbandonedGuards);
                Assert.All(chunks, cid => Assert.True(repo.Blocks.Has(cid), $"{cid} went while its put was alive"));

                // Held, not pinned: no registry pin outlives the put.
                Assert.All(chunks, cid => Assert.False(repo.GetRecord(cid)!.Pinned, $"{cid} is pinned"));
            }

            child.Kill(entireProcessTree: true);
            Assert.True(child.WaitForExit(ChildTimeout), "the crash child survived SIGKILL");

            using (var repo = new LocalRepository(_folder.Path))
            {
                var afterDeath = repo.GcListed();
                Assert.Equal(1, afterDeath.AbandonedGuards);
                Assert.Superset(afterDeath.RemovedRecords.ToHashSet(), chunks.ToHashSet());
                Assert.All(chunks, cid => Assert.False(repo.Blocks.Has(cid)));
                Assert.Empty(Directory.GetFiles(Path.Combine(_folder.Path, "guards")));
                Assert.True(repo.Verify().IsClean);
            }
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
                child.WaitForExit(ChildTimeout);
            }
        }
    }

    private const int ConcurrentWriters = 16;

    /// <summary>Starts the child, kills it, and returns the CIDs it acknowledged (complete lines only).</summary>
    private List<Cid> RunAndKill(int seed, int acksBeforeKill, int delayMilliseconds, int? writers = null)
    {
        string[] arguments = [BuildOutputs.AssemblyPath("ArrowCid.Repository.CrashChild", "ArrowCid.Repository.CrashChild"), _folder.Path, seed.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        if (writers is { } count)
        {
            arguments = [.. arguments, count.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        }

        var start = new ProcessStartInfo(BuildOutputs.DotnetHost, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start the crash child");
        try
        {
            return CollectAndKill(child, acksBeforeKill, delayMilliseconds);
        }
        finally
        {
            // Whatever happened above, never leave a writer running past the test.
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
                child.WaitForExit(ChildTimeout);
            }
        }
    }

    private static List<Cid> CollectAndKill(Process child, int acksBeforeKill, int delayMilliseconds)
    {
        var lines = new BlockingCollection<string>();
        var reader = Task.Run(() =>
        {
            while (child.StandardOutput.ReadLine() is { } line)
            {
                lines.Add(line);
            }

            lines.CompleteAdding();
        });
        var errors = Task.Run(() => child.StandardError.ReadToEnd());

        var acks = new List<Cid>();
        var clock = Stopwatch.StartNew();
        bool ready = false;
        while ((!ready || acks.Count < acksBeforeKill) && clock.Elapsed < ChildTimeout && !lines.IsCompleted)
        {
            if (lines.TryTake(out string? line, 100))
            {
                ready |= line == "ready";
                if (ParseAck(line) is { } cid)
                {
                    acks.Add(cid);
                }
            }
        }

        Assert.True(ready && !child.HasExited, $"the crash child stopped early or never got ready ({acks.Count} acks): {(child.HasExited ? errors.Result : string.Empty)}");
        Thread.Sleep(delayMilliseconds);
        child.Kill(entireProcessTree: true);
        Assert.True(child.WaitForExit(ChildTimeout), "the crash child survived SIGKILL");
        Assert.True(reader.Wait(ChildTimeout), "the crash child's output never ended");

        // Lines already in the pipe when the kill landed were acknowledged too.
        foreach (string line in lines)
        {
            if (ParseAck(line) is { } cid)
            {
                acks.Add(cid);
            }
        }

        return acks;
    }

    private static Cid? ParseAck(string line)
    {
        string[] parts = line.Split(' ');
        return parts.Length == 3 && parts[0] == "ack" && parts[2] == "end" && Cid.TryParse(parts[1], out var cid) ? cid : null;
    }
}
