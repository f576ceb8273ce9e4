using ArrowCid.Flight.Tests.Service;
using ArrowCid.Registry;
using ArrowCid.Repository;
using ArrowCid.TestSupport;
using ArrowCid.Wire;

namespace ArrowCid.Node.Tests;

/// <summary>
/// <see cref="NameHistory"/>, which <c>arrowcid log</c>, <c>arrowcid_log</c> describe a name's
/// versions with, over a walk of the registry a page at a time: every version once, newest first,
/// each with the bytes the version before it lacks, across page boundaries.
/// </summary>
public sealed class NameHistoryTests : IDisposable
{
    private readonly TempDirectory _folder = new();
    private readonly ContentRepository _content;

    public NameHistoryTests() => _content = ContentRepository.Open(Path.Combine(_folder.Path, "repo"));

    [Fact]
    public void Versions_walked_in_pages_are_described_one_ahead_with_what_each_adds()
    {
        // 23 versions: a small table named 10 times, a chunked one once, the small one 12 more.
        using var small = TestBatches.Small(seed: 1);
        var one = _content.PutStream(small.Schema, [small]).Table.Cid;
        using var large = TestBatches.Large(1L << 20, seed: 2);
        var other = _content.PutStream(large.Schema, [large]).Table.Cid;
        var named = Enumerable.Repeat(one, 10).Append(other).Concat(Enumerable.Repeat(one, 12)).ToList();
        foreach (var cid in named)
        {
            _content.Repository.AddVersion("feed", cid);
        }

        var entries = NameHistory.Describe(_content, _content.Repository.Registry.WalkVersions("feed", window: 4)).ToList();

        Assert.Equal(Enumerable.Range(1, 23).Reverse().Select(v => (long)v), entries.Select(e => e.Version));
        Assert.Equal(Enumerable.Reverse(named).Select(c => c.ToString()), entries.Select(e => e.Cid));
        long smallBytes = entries[^1].NewBytes!.Value;
        Assert.True(smallBytes > 0, "the oldest version's bytes are all new");

        // Version 12 (the small table again) adds back its bytes; version 11 adds the large one's; the repeats add nothing.
        Assert.Equal(smallBytes, entries.Single(e => e.Version == 12).NewBytes);
        Assert.True(entries.Single(e => e.Version == 11).NewBytes > smallBytes);
        Assert.All(entries.Where(e => e.Version is not (1 or 11 or 12)), e => Assert.Equal(0, e.NewBytes));

        // The same as one page holding every version.
        static (long, string, long?, long?, long?) Key(VersionLogEntry e) => (e.Version, e.Cid, e.Rows, e.Bytes, e.NewBytes);
        Assert.Equal(entries.Select(Key), NameHistory.Describe(_content, _content.Repository.Registry.WalkVersions("feed", window: 100)).Select(Key));
        Assert.Empty(NameHistory.Describe(_content, _content.Repository.Registry.WalkVersions("nothing", window: 4)));
    }

    public void Dispose()
    {
        _content.Dispose();
        _folder.Dispose();
    }
}
