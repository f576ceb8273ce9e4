using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.Content.Tests.Fuzz;

namespace ArrowCid.Content.Stores.Tests;

public sealed class DirectoryBlockStoreTests : BlockStoreContractTests, IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "arrowcid-store-tests", Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    protected override IBlockStore CreateEmptyStore() => new DirectoryBlockStore(Path.Combine(_root, Guid.NewGuid().ToString("N")), verifyOnRead: true);

    [Fact]
    public void Block_lives_in_the_next_to_last_two_characters_shard_named_by_its_cid()
    {
        var store = new DirectoryBlockStore(_root);
        var (cid, bytes) = RandomBlock();
        store.Put(cid, bytes);
        string text = cid.ToString();
        string expected = Path.Combine(_root, text.Substring(text.Length - 3, 2), text);
        Assert.Equal(expected, store.GetBlockPath(cid));
        Assert.Equal(bytes, File.ReadAllBytes(expected));
        Assert.Empty(store.ListTempFiles());
    }

    [Fact]
    public void Foreign_and_temporary_files_are_ignored_and_stale_temporaries_cleaned()
    {
        var store = new DirectoryBlockStore(_root);
        var (cid, bytes) = RandomBlock();
        store.Put(cid, bytes);
        string shard = Path.GetDirectoryName(store.GetBlockPath(cid))!;
        File.WriteAllText(Path.Combine(shard, "notes.txt"), "x");
        File.WriteAllText(Path.Combine(shard, cid.ToString().ToUpperInvariant()), "x");
        File.WriteAllText(Path.Combine(shard, "." + cid + ".deadwriter.tmp"), "half");
        Directory.CreateDirectory(Path.Combine(_root, "zz"));
        File.WriteAllBytes(Path.Combine(_root, "zz", cid.ToString()), bytes);
        Directory.CreateDirectory(Path.Combine(_root, "not-a-shard"));

        Assert.Equal([cid], store.Enumerate());
        Assert.Single(store.ListTempFiles());
        Assert.Equal(0, store.CleanTempFiles(TimeSpan.FromHours(1)));
        Assert.Equal(1, store.CleanTempFiles(TimeSpan.Zero));
        Assert.Empty(store.ListTempFiles());
        Assert.Equal(bytes, store.Read(cid).ToArray());
    }

    [Fact]
    public void Many_writers_of_the_same_cid_at_once_leave_one_whole_file()
    {
        var (cid, bytes) = RandomBlock(200_000);
        Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            // Separate store instances, as separate processes would have.
            var store = new DirectoryBlockStore(_root, verifyOnRead: true);
            store.Put(cid, i % 2 == 0 ? new MemoryStream(bytes) : new MemoryStream(bytes.ToArray()));
            Assert.Equal(bytes.Length, store.Read(cid).Length);
        });

        var check = new DirectoryBlockStore(_root, verifyOnRead: true);
        Assert.Equal(bytes, check.Read(cid).ToArray());
        Assert.Empty(check.ListTempFiles());
    }

    [Theory]
    [InlineData(new[] { 1 })]
    [InlineData(new[] { 8, 8, 4096, 3 })]
    [InlineData(new[] { 12, 1_048_575, 1, 1_048_576, 3, 700_000, 700_000, 2 })]
    [InlineData(new[] { 40, 5_000_000, 16, 4_194_304, 4_194_303, 9, 1_048_577 })]
    public void PutRaw_names_and_stores_exactly_what_was_written_in_pieces_of_any_size(int[] pieceLengths)
    {
        var store = new DirectoryBlockStore(_root, verifyOnRead: true);
        var random = new Random(pieceLengths.Length);
        var written = new MemoryStream();

        // Small and large pieces in turn, around the pooled staging buffer's size, so pieces are
        // gathered, fill it exactly, overflow it, and pass it by with bytes still gathered.
        var (cid, length) = store.PutRaw(destination =>
        {
            foreach (int pieceLength in pieceLengths)
            {
                byte[] piece = new byte[pieceLength];
                random.NextBytes(piece);
                destination.Write(piece);
                written.Write(piece);
            }
        });

        byte[] expected = written.ToArray();
        Assert.Equal(Cid.ForRaw(expected), cid);
        Assert.Equal(expected.Length, length);
        Assert.Equal(expected, store.Read(cid).ToArray());
        Assert.Empty(store.ListTempFiles());

        // Putting it again replaces the identical file and names it the same.
        Assert.Equal((cid, length), store.PutRaw(destination => destination.Write(expected)));
        Assert.Equal(expected, store.Read(cid).ToArray());
    }

    [Fact]
    public void A_hashed_block_is_stored_as_it_is_and_verifying_refuses_bytes_of_another_cid()
    {
        var store = new DirectoryBlockStore(_root, verifyOnRead: true);
        var (cid, bytes) = RandomBlock();

        store.Put(HashedBlock.Verify(cid, bytes));

        Assert.Equal(bytes, store.Read(cid).ToArray());
        var other = Cid.ForRaw([.. bytes, 1]);
        Assert.Equal(other, Assert.Throws<BlockCorruptedException>(() => HashedBlock.Verify(other, bytes)).Cid);
        Assert.False(store.Has(other));
    }

    [Fact]
    public void Put_replaces_a_damaged_copy()
    {
        var store = new DirectoryBlockStore(_root, verifyOnRead: true);
        var (cid, bytes) = RandomBlock();
        store.Put(cid, bytes);
        File.WriteAllBytes(store.GetBlockPath(cid), [1, 2, 3]);
        Assert.Throws<BlockCorruptedException>(() => store.Read(cid));

        store.Put(cid, bytes);

        Assert.Equal(bytes, store.Read(cid).ToArray());
    }

    [Fact]
    public void Unverified_reads_return_what_is_on_disk()
    {
        var store = new DirectoryBlockStore(_root, verifyOnRead: false);
        var (cid, bytes) = RandomBlock();
        store.Put(cid, bytes);
        File.WriteAllBytes(store.GetBlockPath(cid), [1, 2, 3]);
        Assert.Equal([1, 2, 3], store.Read(cid).ToArray());
    }

    [Fact]
    public void Damaged_block_files_always_give_the_typed_error_on_verified_reads()
    {
        // Seeded fuzz: block files are outside input. Every mutation (flips, truncation,
        // insertions, overwrites) must be caught by Read and by OpenRead-to-end, never returned.
        var store = new DirectoryBlockStore(_root, verifyOnRead: true);
        var random = new Random(4242);
        var mutator = new Mutator(4242);
        for (int i = 0; i < 300; i++)
        {
            byte[] bytes = new byte[1 + random.Next(3000)];
            random.NextBytes(bytes);
            var cid = Cid.ForRaw(bytes);
            store.Put(cid, bytes);
            byte[] damaged = mutator.Mutate(bytes);
            if (damaged.AsSpan().SequenceEqual(bytes))
            {
                continue;
            }

            File.WriteAllBytes(store.GetBlockPath(cid), damaged);

            Assert.Equal(cid, Assert.Throws<BlockCorruptedException>(() => store.Read(cid)).Cid);
            Assert.Throws<BlockCorruptedException>(() => store.TryRead(cid, out _));
            using (var stream = store.OpenRead(cid))
            {
                Assert.Throws<BlockCorruptedException>(() => stream.CopyTo(Stream.Null));
            }

            Assert.False(BlockIntegrity.Matches(cid, new MemoryStream(damaged)));
            store.Delete(cid);
        }
    }
}
