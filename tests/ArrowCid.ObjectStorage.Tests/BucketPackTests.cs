using System.Buffers.Binary;
using System.Security.Cryptography;
using ArrowCid.Content;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.ObjectStorage.Tests;

/// <summary>The layout of a pack object: built, its index read back from its tail, and damage refused naming where.</summary>
public sealed class BucketPackTests
{
    [Fact]
    public void A_pack_lists_each_block_where_its_bytes_lie_and_is_named_by_its_hash()
    {
        var blocks = Blocks(5, seed: 1);
        var (bytes, entries) = BucketPack.Build(blocks);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), entries[0].At.Pack);
        Assert.True(BucketPack.IsId(entries[0].At.Pack));
        Assert.Equal(blocks.Select(b => b.Cid), entries.Select(e => e.Cid));
        foreach (var (block, entry) in blocks.Zip(entries))
        {
            Assert.True(bytes.AsSpan((int)entry.At.Offset, entry.At.Length).SequenceEqual(block.Bytes.Span));
        }

        // Read from the whole pack, or from a tail holding just the index and trailer.
        Assert.Equal(entries, BucketPack.ReadIndex(bytes, bytes.Length, entries[0].At.Pack));
        long blockBytes = blocks.Sum(b => (long)b.Bytes.Length);
        Assert.Equal(entries, BucketPack.ReadIndex(bytes.AsSpan((int)blockBytes), bytes.Length, entries[0].At.Pack));
        Assert.Equal(bytes.Length - blockBytes, BucketPack.TailLengthOf(bytes.AsSpan(bytes.Length - BucketPack.TrailerLength), bytes.Length, "p"));
        Assert.Empty(BucketPack.ReadJournal(bytes, bytes.Length, entries[0].At.Pack));
    }

    [Fact]
    public void A_pack_carries_a_journal_after_its_index_and_both_are_read_from_its_tail()
    {
        var blocks = Blocks(3, seed: 4);
        byte[] journal = "ACJRNL1\n and what follows"u8.ToArray();
        var (bytes, entries) = BucketPack.Build(blocks, journal);
        string pack = entries[0].At.Pack;
        int tail = BucketPack.TailLengthOf(bytes.AsSpan(bytes.Length - BucketPack.TrailerLength), bytes.Length, pack);
        Assert.Equal(journal, BucketPack.ReadJournal(bytes.AsSpan(bytes.Length - tail), bytes.Length, pack));
        Assert.Equal(entries, BucketPack.ReadIndex(bytes.AsSpan(bytes.Length - tail), bytes.Length, pack));
        Assert.NotEqual(pack, BucketPack.Build(blocks).Entries[0].At.Pack);

        // The check covers the journal too.
        bytes[^(BucketPack.TrailerLength + 2)] ^= 0x01;
        Assert.Throws<ContentFormatException>(() => BucketPack.ReadJournal(bytes, bytes.Length, pack));
    }

    [Fact]
    public void The_same_blocks_make_the_same_pack()
    {
        var blocks = Blocks(3, seed: 2);
        Assert.Equal(BucketPack.Build(blocks).Bytes, BucketPack.Build(blocks).Bytes);
        Assert.NotEqual(BucketPack.Build(blocks).Entries[0].At.Pack, BucketPack.Build(blocks.Take(2).ToList()).Entries[0].At.Pack);
    }

    [Fact]
    public void A_damaged_index_or_trailer_is_refused_naming_the_pack()
    {
        var (bytes, entries) = BucketPack.Build(Blocks(4, seed: 3));
        string pack = entries[0].At.Pack;

        // A byte of the index changed: its check fails.
        byte[] index = (byte[])bytes.Clone();
        index[^(BucketPack.TrailerLength + 3)] ^= 0x5a;
        var error = Assert.Throws<ContentFormatException>(() => BucketPack.ReadIndex(index, index.Length, pack));
        Assert.Contains(pack, error.Message, StringComparison.Ordinal);
        Assert.Contains("check", error.Message, StringComparison.Ordinal);

        // Not a pack at all.
        byte[] foreign = new byte[100];
        Assert.Contains("trailer", Assert.Throws<ContentFormatException>(() => BucketPack.ReadIndex(foreign, foreign.Length, pack)).Message, StringComparison.Ordinal);

        // A trailer claiming an index longer than the pack.
        byte[] longer = (byte[])bytes.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(longer.AsSpan(longer.Length - BucketPack.TrailerLength + 4), bytes.Length);
        Assert.Contains("beyond", Assert.Throws<ContentFormatException>(() => BucketPack.ReadIndex(longer, longer.Length, pack)).Message, StringComparison.Ordinal);

        // Shorter than a trailer.
        Assert.Throws<ContentFormatException>(() => BucketPack.ReadIndex(new byte[3], 3, pack));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0123")]
    [InlineData("ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg")]
    public void What_is_not_a_pack_id_is_told_apart(string text) => Assert.False(BucketPack.IsId(text));

    /// <summary>Random raw blocks of 1 to <paramref name="maxBytes"/> bytes, the same for a seed.</summary>
    internal static List<HashedBlock> Blocks(int count, int seed, int maxBytes = 5_000)
    {
        var random = new Random(seed);
        var blocks = new List<HashedBlock>();
        for (int i = 0; i < count; i++)
        {
            byte[] bytes = new byte[random.Next(1, maxBytes)];
            random.NextBytes(bytes);
            blocks.Add(HashedBlock.Verify(Cid.ForRaw(bytes), bytes));
        }

        return blocks;
    }
}
