using ArrowCid.Content.Multiformats;
using ArrowCid.Content;
using ArrowCid.Content.Stores;
using ArrowCid.Registry.Tests.Support;
using ArrowCid.TestSupport;
using static ArrowCid.Registry.Tests.Support.TestBlocks;

using ArrowCid.Registry;
using ArrowCid.Repository;

namespace ArrowCid.Repository.Tests;

/// <summary>
/// Seeded fuzz of the repository's untrusted input, its block files: random truncations, bit flips,
/// extensions and replacements must each be reported as corrupt by verify, refused on read, and
/// repaired away, while untouched blocks stay intact.
/// </summary>
public sealed class DamagedRepositoryFuzzTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 0)]
    [InlineData(3, 0)]
    [InlineData(1, LocalRepositoryOptions.DefaultPackThreshold)]
    [InlineData(2, LocalRepositoryOptions.DefaultPackThreshold)]
    [InlineData(3, LocalRepositoryOptions.DefaultPackThreshold)]
    public void Every_damaged_file_is_found_refused_and_repaired(int seed, int packThreshold)
    {
        var random = new Random(seed);
        using var repo = new LocalRepository(Path.Combine(_folder.Path, $"{seed}-{packThreshold}"), new LocalRepositoryOptions { PackThreshold = packThreshold });
        var blocks = Enumerable.Range(0, 40).Select(_ => RandomBatch(random, 2000)).ToList();
        foreach (var (cid, bytes) in blocks)
        {
            repo.PutBlock(cid, bytes, BatchRecord(cid));
        }

        var damaged = new HashSet<Cid>();
        foreach (var (cid, bytes) in blocks.Where(_ => random.Next(3) == 0))
        {
            StoredBlocks.Overwrite(repo.Blocks, cid, Damage(bytes, random));
            damaged.Add(cid);
        }

        var report = repo.Verify();
        Assert.Equal(damaged, report.CorruptBlocks.ToHashSet());
        Assert.Empty(report.MissingBlocks);
        foreach (var cid in damaged)
        {
            Assert.Throws<BlockCorruptedException>(() => repo.GetBlock(cid));
        }

        repo.Verify(repair: true);
        Assert.True(repo.Verify().IsClean);
        foreach (var (cid, bytes) in blocks.Where(b => !damaged.Contains(b.Cid)))
        {
            Assert.Equal(bytes, repo.GetBlock(cid).ToArray());
        }

        Assert.Equal(blocks.Count - damaged.Count, repo.Registry.ListCids().Count);
    }

    private static byte[] Damage(byte[] bytes, Random random)
    {
        switch (random.Next(4))
        {
            case 0:
                return bytes[..random.Next(bytes.Length)];
            case 1:
                byte[] flipped = (byte[])bytes.Clone();
                flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
                return flipped;
            case 2:
                return [.. bytes, (byte)random.Next(256)];
            default:
                byte[] other = new byte[bytes.Length];
                random.NextBytes(other);
                return other;
        }
    }
}
