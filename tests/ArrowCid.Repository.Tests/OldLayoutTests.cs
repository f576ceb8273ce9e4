using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using ArrowCid.Registry.Tests.Support;
using ArrowCid.TestSupport;

namespace ArrowCid.Repository.Tests;

/// <summary>A repository written before packs (one file per block) opens and reads in place, and takes packed blocks beside its files.</summary>
public sealed class OldLayoutTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_file_per_block_repository_reads_in_place_and_mixes_with_packs()
    {
        var random = new Random(3);
        var old = Enumerable.Range(0, 30).Select(_ => TestBlocks.RandomBatch(random, 2048)).ToList();
        using (var repo = new LocalRepository(_folder.Path, new LocalRepositoryOptions { PackThreshold = 0 }))
        {
            foreach (var (cid, bytes) in old)
            {
                repo.PutBlock(cid, bytes, new BlockRecord { Cid = cid, Kind = BlockKind.Batch, Pinned = true });
            }
        }

        // Main's layout exactly: blocks/<ss>/<cid>, no pack holds anything.
        foreach (var (cid, bytes) in old)
        {
            string text = cid.ToString();
            Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(_folder.Path, "blocks", text[^3..^1], text)));
        }

        // No pack holds a block; this build's pack holds only the log of the puts' registry rows,
        // all applied, so removing it leaves main's layout (which had no packs) with nothing lost.
        string packs = Path.Combine(_folder.Path, "blocks", "packs");
        using (var store = new ArrowCid.Content.Stores.Packs.PackStore(packs))
        {
            Assert.Empty(store.Enumerate());
        }

        Directory.Delete(packs, recursive: true);

        using var reopened = new LocalRepository(_folder.Path);
        var fresh = Enumerable.Range(0, 30).Select(_ => TestBlocks.RandomBatch(random, 2048)).ToList();
        foreach (var (cid, bytes) in fresh)
        {
            reopened.PutBlock(cid, bytes, new BlockRecord { Cid = cid, Kind = BlockKind.Batch });
        }

        foreach (var (cid, bytes) in old.Concat(fresh))
        {
            Assert.Equal(bytes, reopened.GetBlock(cid).ToArray());
        }

        Assert.All(old, b => Assert.False(reopened.Blocks.TryGetPacked(b.Cid, out _)));
        Assert.All(fresh, b => Assert.True(reopened.Blocks.TryGetPacked(b.Cid, out _)));
        Assert.True(reopened.Verify().IsClean);

        // The unpinned new blocks go at the next collection; the old pinned files stay.
        var gc = reopened.GcListed();
        Assert.Equal(fresh.Select(b => b.Cid).ToHashSet(), gc.RemovedRecords.ToHashSet());
        Assert.Equal(old.Select(b => b.Cid).ToHashSet(), reopened.Blocks.Enumerate().ToHashSet());
        Assert.True(reopened.Verify().IsClean);
    }
}
