using System.Buffers.Binary;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Tests.Multiformats;

/// <summary>
/// <see cref="CidKeySet"/>: what garbage collection keeps, in a few bytes a block. It must never
/// miss a CID it was given (a miss would delete a kept block), and should almost never claim one
/// it was not.
/// </summary>
public sealed class CidKeySetTests
{
    private static Cid Numbered(int n) => NumberedCids.Raw(n);

    [Fact]
    public void Holds_every_cid_added_counts_each_once_and_claims_none_of_a_hundred_thousand_others()
    {
        using var set = new CidKeySet();
        for (int i = 0; i < 100_000; i++)
        {
            set.Add(Numbered(i));
        }

        // Repeats count once.
        for (int i = 0; i < 1_000; i++)
        {
            set.Add(Numbered(i));
        }

        Assert.Equal(100_000, set.Count);
        for (int i = 0; i < 100_000; i++)
        {
            Assert.True(set.Contains(Numbered(i)), $"CID {i} was added");
        }

        // A false "yes" has a chance of 1e5 / 2^48 each: none among these (the CIDs are fixed, so the answer is too).
        int claimed = Enumerable.Range(100_000, 100_000).Count(i => set.Contains(Numbered(i)));
        Assert.Equal(0, claimed);
    }

    [Fact]
    public void Adds_after_a_read_are_found_too()
    {
        using var set = new CidKeySet();
        set.Add(Numbered(1));
        Assert.True(set.Contains(Numbered(1)));
        Assert.False(set.Contains(Numbered(2)));

        set.Add(Numbered(2));
        Assert.True(set.Contains(Numbered(2)));
        Assert.True(set.Contains(Numbered(1)));
        Assert.Equal(2, set.Count);
    }

    [Fact]
    public void A_union_holds_both_sets_and_their_shared_cids_once()
    {
        using var left = new CidKeySet();
        using var right = new CidKeySet();
        left.UnionWith(Enumerable.Range(0, 5_000).Select(Numbered));
        right.UnionWith(Enumerable.Range(2_500, 5_000).Select(Numbered));
        Assert.True(left.Contains(Numbered(0)));

        left.UnionWith(right);
        left.UnionWith(left);

        Assert.Equal(7_500, left.Count);
        Assert.All(Enumerable.Range(0, 7_500), i => Assert.True(left.Contains(Numbered(i))));
        Assert.False(left.Contains(Numbered(7_500)));
        Assert.Equal(5_000, right.Count);
    }

    [Fact]
    public void An_empty_set_holds_nothing()
    {
        using var set = new CidKeySet();
        Assert.Equal(0, set.Count);
        Assert.False(set.Contains(Numbered(0)));
    }

    [Fact]
    public void A_cids_key_is_the_first_sixteen_bytes_of_sha256_of_its_binary_form()
    {
        var cid = Numbered(7);
        var digest = System.Security.Cryptography.SHA256.HashData(cid.Bytes.ToArray());
        Assert.Equal(BinaryPrimitives.ReadUInt128BigEndian(digest), CidKey.Of(cid));
    }

    [Fact]
    public void A_set_spilled_to_a_file_holds_every_cid_counts_each_once_and_leaves_no_file()
    {
        string folder = Directory.CreateTempSubdirectory("cidkeys-").FullName;
        try
        {
            // 1,000 keys a run: a hundred runs, merged sixteen at a time and once more at the first read.
            using var set = new CidKeySet(folder, spillThreshold: 1_000);
            for (int i = 0; i < 100_000; i++)
            {
                set.Add(Numbered(i));
            }

            for (int i = 0; i < 3_000; i++)
            {
                set.Add(Numbered(i));
            }

            Assert.True(set.Spilled);
            Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
            Assert.Equal(100_000, set.Count);
            for (int i = 0; i < 100_000; i++)
            {
                Assert.True(set.Contains(Numbered(i)), $"CID {i} was added");
            }

            Assert.Equal(0, Enumerable.Range(100_000, 100_000).Count(i => set.Contains(Numbered(i))));

            // Adds after a read go to memory, and the next read merges them into the file.
            set.Add(Numbered(200_000));
            Assert.True(set.Contains(Numbered(200_000)));
            Assert.True(set.Contains(Numbered(99_999)));
            Assert.Equal(100_001, set.Count);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Spilled_and_unspilled_sets_unite_either_way()
    {
        string folder = Directory.CreateTempSubdirectory("cidkeys-").FullName;
        try
        {
            using var spilled = new CidKeySet(folder, spillThreshold: 500);
            using var inMemory = new CidKeySet();
            spilled.UnionWith(Enumerable.Range(0, 5_000).Select(Numbered));
            inMemory.UnionWith(Enumerable.Range(2_500, 5_000).Select(Numbered));

            using var intoMemory = new CidKeySet();
            intoMemory.UnionWith(spilled);
            intoMemory.UnionWith(inMemory);
            spilled.UnionWith(inMemory);

            Assert.True(spilled.Spilled);
            Assert.False(intoMemory.Spilled);
            foreach (var set in new[] { spilled, intoMemory })
            {
                Assert.Equal(7_500, set.Count);
                Assert.All(Enumerable.Range(0, 7_500), i => Assert.True(set.Contains(Numbered(i))));
                Assert.False(set.Contains(Numbered(7_500)));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_set_that_cannot_spill_keeps_its_keys_in_memory()
    {
        // A folder that is not there fails every run, as a full disk does: nothing is lost.
        string missing = Path.Combine(Path.GetTempPath(), $"cidkeys-missing-{Guid.NewGuid():N}");
        using var set = new CidKeySet(missing, spillThreshold: 100);
        set.UnionWith(Enumerable.Range(0, 10_000).Select(Numbered));

        Assert.False(set.Spilled);
        Assert.Equal(10_000, set.Count);
        Assert.All(Enumerable.Range(0, 10_000), i => Assert.True(set.Contains(Numbered(i))));
        Assert.False(set.Contains(Numbered(10_000)));
    }

    [Fact]
    public void A_disposed_set_refuses_use()
    {
        var set = new CidKeySet();
        set.Add(Numbered(1));
        set.Dispose();
        set.Dispose();
        Assert.Throws<ObjectDisposedException>(() => set.Contains(Numbered(1)));
        Assert.Throws<ObjectDisposedException>(() => set.Add(Numbered(2)));
    }
}
