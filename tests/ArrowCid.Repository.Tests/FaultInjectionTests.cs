using ArrowCid.Arrow.IO;
using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using ArrowCid.Repository.Tests.Content;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

namespace ArrowCid.Repository.Tests;

/// <summary>
/// Fault injection at every file operation (docs/reliability.md, "Fault injection"), as SQLite's
/// test suite does: a workload of puts (packed and file blocks, group commits), names, tags, pins,
/// a gc that compacts packs, and a repair runs once to count its file operations under the
/// repository (writes, syncs, renames, maps, creates, deletes, and the registry's commits), then
/// once per operation with that one failing (ENOSPC, then EIO). After each: the operations after
/// the failed one succeed; on reopening, no acknowledged table, name, version, tag or pin is lost;
/// verify is consistent (or verify --repair makes it so without losing any); and a put succeeds.
/// </summary>
public sealed class FaultInjectionTests(ITestOutputHelper output) : IDisposable
{
    // In memory: the workload runs some 300 times, and its syncs on disk would stall other tests' syncs.
    private readonly TempDirectory _folder = TempDirectory.InMemory();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(FileFaultInjector.NoSpace)]
    [InlineData(FileFaultInjector.InputOutput)]
    public void A_fault_at_any_file_operation_loses_nothing_acknowledged(int fault)
    {
        // The count: the workload with nothing failing.
        var counted = Run(Path.Combine(_folder.Path, "count"), failAt: 0, fault);
        Assert.Empty(counted.Failures);
        long points = counted.Operations;
        Assert.True(points > 100, $"only {points} file operations counted: the seam is not where the I/O is");

        int failedOperations = 0;
        int operationsAfter = 0;
        long tried = 0;
        for (long n = 1; n <= points; n++)
        {
            var run = Run(Path.Combine(_folder.Path, $"f{n}"), n, fault);

            // The group commit's background applier makes a registry commit more or fewer, so the
            // last few operations of the count may not exist in another run; every earlier one does.
            Assert.True(run.Failed || n > points - 8, $"operation {n} of {points} was not reached");
            tried += run.Failed ? 1 : 0;
            failedOperations += run.Failures.Count;
            operationsAfter += run.OperationsAfterFault;
            Directory.Delete(run.Root, recursive: true);
        }

        output.WriteLine($"fault {(fault == FileFaultInjector.NoSpace ? "ENOSPC" : "EIO")}: {tried} fault points tried (of {points} counted); {failedOperations} workload operations failed (one per point at most); {operationsAfter} operations after a fault, all succeeded; 0 acknowledged items lost");
    }

    // One workload under an injector failing operation failAt (0: none); checks the promises and returns what it saw.
    private static WorkloadRun Run(string root, long failAt, int fault)
    {
        Directory.CreateDirectory(root);
        var injector = new FileFaultInjector(root) { FailAt = failAt, Fault = fault };
        var acknowledged = new Acknowledged();
        var failures = new List<string>();
        int after = 0;
        using (FileFaults.Install(injector))
        {
            var options = new LocalRepositoryOptions { SpaceReserveBytes = 64 << 10, LockTimeout = TimeSpan.FromSeconds(30) };
            ContentRepository? content = null;
            int step = 0;
            bool Attempt(string what, Action operation)
            {
                step++;
                bool failedBefore = injector.Failed;
                try
                {
                    operation();
                    after += failedBefore ? 1 : 0;
                    return true;
                }
                catch (Exception e) when (Injected(e))
                {
                    // The operation that met the fault fails, and only it: every later one must succeed.
                    Assert.False(failedBefore, $"fault at operation {failAt} ({injector.LastFailed}): step {step} ({what}) after it failed too: {e}");
                    failures.Add(what);
                    return false;
                }
            }

            // Opening is an operation too: one that failed is tried again, as a user would.
            if (!Attempt("open", () => content = ContentRepository.Open(root, options)))
            {
                Assert.True(Attempt("open again", () => content = ContentRepository.Open(root, options)));
            }

            foreach (var (what, operation) in Workload(content!, acknowledged))
            {
                Attempt(what, operation);
            }

            Attempt("close", content!.Dispose);
        }

        Check(root, acknowledged, $"fault at operation {failAt} ({injector.LastFailed}, failing '{string.Join("', '", failures)}')");
        return new WorkloadRun(root, injector.Count, injector.Failed, failures, after);
    }

    // The workload: each step a name and an action; what an action acknowledges is recorded only once it returns.
    private static IEnumerable<(string What, Action Operation)> Workload(ContentRepository content, Acknowledged acknowledged)
    {
        var repository = content.Repository;
        Cid? loose = null;
        Cid? named = null;
        yield return ("put small named", () =>
        {
            var put = content.PutStream(SampleBatches.Schema, [SampleBatches.Build(1, 20)], new PutOptions { Name = "sales", Tags = new Dictionary<string, string> { ["team"] = "north" } });
            acknowledged.Table(put.Table.Cid);
            acknowledged.Version(put.Version!);
            acknowledged.Tag(put.Table.Cid, "team", "north");
            named = put.Table.Cid;
        });
        yield return ("put chunked named unpinned", () =>
        {
            var put = content.PutStream(ChunkedTables.Schema, ChunkedTables.Rows(5, 0, 15_000), new PutOptions { Name = "sales", Pin = false });
            acknowledged.Table(put.Table.Cid);
            acknowledged.Version(put.Version!);
        });
        yield return ("put small unpinned", () =>
        {
            loose = content.PutStream(SampleBatches.Schema, [SampleBatches.Build(2, 30)], new PutOptions { Pin = false }).Table.Cid;
        });
        yield return ("put chunked unpinned", () => content.PutStream(ChunkedTables.Schema, ChunkedTables.Rows(6, 0, 12_000), new PutOptions { Pin = false }));
        yield return ("tag", () =>
        {
            if (named is { } cid && repository.Registry.SetTag(cid, "stage", "raw"))
            {
                acknowledged.Tag(cid, "stage", "raw");
            }
        });
        yield return ("pin", () =>
        {
            if (loose is { } cid && repository.Pin(cid))
            {
                acknowledged.Table(cid);
            }
        });
        yield return ("unpin", () =>
        {
            if (loose is { } cid && repository.Unpin(cid))
            {
                acknowledged.Forget(cid);
            }
        });
        yield return ("gc", () => repository.Gc());
        yield return ("put small pinned", () => acknowledged.Table(content.PutStream(SampleBatches.Schema, [SampleBatches.Build(3, 40)]).Table.Cid));
        yield return ("verify --repair", () => repository.Verify(repair: true));
        yield return ("put small named again", () =>
        {
            var put = content.PutStream(SampleBatches.Schema, [SampleBatches.Build(4, 50)], new PutOptions { Name = "other" });
            acknowledged.Table(put.Table.Cid);
            acknowledged.Version(put.Version!);
        });
    }

    // Reopened with nothing failing: every acknowledged item is there, verify is (or repair makes it) consistent, and a put works.
    private static void Check(string root, Acknowledged acknowledged, string at)
    {
        using var content = ContentRepository.Open(root);
        var report = content.Repository.Verify();
        if (!report.IsConsistent)
        {
            report = content.Repository.Verify(repair: true);
            Assert.True(content.Repository.Verify().IsConsistent, $"{at}: not consistent after repair: {report}");
        }

        foreach (var cid in acknowledged.Tables)
        {
            try
            {
                content.WriteTable(cid, Stream.Null);
            }
            catch (Exception e) when (e is ArrowCid.Content.BlockNotFoundException or ArrowCid.Content.BlockCorruptedException)
            {
                Assert.Fail($"{at}: acknowledged table {cid} lost: {e.Message}");
            }
        }

        foreach (var version in acknowledged.Versions)
        {
            Assert.True(content.Repository.Registry.FindVersion(version.Name, version.Version)?.Cid == version.Cid, $"{at}: {version} lost");
        }

        foreach (var (cid, key, value) in acknowledged.Tags)
        {
            Assert.True(content.Repository.GetRecord(cid)?.Tags.GetValueOrDefault(key) == value, $"{at}: tag {key}={value} of {cid} lost");
        }

        content.PutStream(SampleBatches.Schema, [SampleBatches.Build(99, 10)]);
        Assert.True(content.Repository.Verify().IsConsistent, at);
    }

    // The injected fault, however the layers above wrapped it.
    private static bool Injected(Exception? e) => e switch
    {
        null => false,
        IOException io when io.Message.Contains("(injected at operation", StringComparison.Ordinal) => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(Injected),
        _ => Injected(e.InnerException),
    };

    private sealed record WorkloadRun(string Root, long Operations, bool Failed, List<string> Failures, int OperationsAfterFault);

    private sealed class Acknowledged
    {
        private readonly HashSet<Cid> _tables = [];

        public IEnumerable<Cid> Tables => _tables;

        public List<NamedVersion> Versions { get; } = [];

        public List<(Cid Cid, string Key, string Value)> Tags { get; } = [];

        public void Table(Cid cid) => _tables.Add(cid);

        public void Forget(Cid cid) => _tables.Remove(cid);

        public void Version(NamedVersion version) => Versions.Add(version);

        public void Tag(Cid cid, string key, string value) => Tags.Add((cid, key, value));
    }
}
