using ArrowCid.Arrow.IO;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores.Packs;
using ArrowCid.TestSupport;

namespace ArrowCid.Content.Stores.Tests;

/// <summary>
/// Pack indexes (issue 43): a sealed pack is found through its persisted index, so an open reads no
/// record it lists; an index that is missing, torn or damaged is rebuilt from its pack, and one
/// that cannot be written loses nothing.
/// </summary>
public sealed class PackIndexTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("arrowcid-pack-index-").FullName;
    private readonly Random _random = new(43);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_sealed_pack_is_found_through_its_index_and_an_open_reads_none_of_its_records()
    {
        var blocks = Blocks(300);
        ulong pack = Fill(blocks);
        Assert.True(File.Exists(IndexOf(pack)), "sealing writes the index");

        using var reopened = new PackStore(_folder);
        AssertHolds(reopened, blocks);
        Assert.Equal(0, reopened.RecordsScanned);
        Assert.Null(reopened.Find(Cid.ForRaw("never stored"u8)));
        Assert.Equal(blocks.Select(b => b.Cid.ToString()).Order(), reopened.Enumerate().Select(c => c.ToString()).Order());
        Assert.Empty(reopened.VerifyIndexes(repair: false));
    }

    [Fact]
    public void A_missing_index_is_rebuilt_from_its_pack()
    {
        var blocks = Blocks(100);
        ulong pack = Fill(blocks);
        File.Delete(IndexOf(pack));

        using (var rebuilt = new PackStore(_folder))
        {
            AssertHolds(rebuilt, blocks);
            Assert.True(rebuilt.RecordsScanned >= blocks.Count, "the pack was read whole");
        }

        Assert.True(File.Exists(IndexOf(pack)), "and indexed again");
        using var again = new PackStore(_folder);
        AssertHolds(again, blocks);
        Assert.Equal(0, again.RecordsScanned);
    }

    [Theory]
    [InlineData(0)]      // the magic
    [InlineData(20)]     // a count in the header
    [InlineData(200)]    // the fanout
    public void An_index_whose_header_does_not_check_is_not_used_and_is_rebuilt(int offset)
    {
        var blocks = Blocks(100);
        ulong pack = Fill(blocks);
        Flip(IndexOf(pack), offset);

        using (var reopened = new PackStore(_folder))
        {
            AssertHolds(reopened, blocks);
            Assert.True(reopened.RecordsScanned >= blocks.Count);
        }

        using var again = new PackStore(_folder);
        Assert.Equal(0, again.RecordsScanned);
        AssertHolds(again, blocks);
    }

    [Fact]
    public void An_index_whose_entries_are_damaged_fails_verify_and_repair_rebuilds_it()
    {
        var blocks = Blocks(100);
        ulong pack = Fill(blocks);
        long length = new FileInfo(IndexOf(pack)).Length;
        Flip(IndexOf(pack), (int)(length / 2));

        using var packs = new PackStore(_folder);
        Assert.Equal([pack], packs.VerifyIndexes(repair: false));
        Assert.Equal([pack], packs.VerifyIndexes(repair: true));
        Assert.Empty(packs.VerifyIndexes(repair: false));
        AssertHolds(packs, blocks);

        using var again = new PackStore(_folder);
        Assert.Equal(0, again.RecordsScanned);
        AssertHolds(again, blocks);
    }

    [Fact]
    public void Deletions_and_an_adopted_packs_new_records_are_kept_across_indexes()
    {
        var first = Blocks(60);
        Fill(first);

        // Another process adopts the sealed pack, deletes some blocks and appends more: the index
        // it writes at its seal covers the old records, the new ones and the tombstones.
        var second = Blocks(40);
        using (var packs = new PackStore(_folder))
        {
            foreach (var (cid, bytes) in second)
            {
                packs.Append(cid, bytes);
            }

            foreach (var (cid, _) in first.Take(10))
            {
                Assert.True(packs.Delete(cid));
            }

            packs.Sync();
        }

        using var reopened = new PackStore(_folder);
        Assert.Equal(0, reopened.RecordsScanned);
        AssertHolds(reopened, [.. first.Skip(10), .. second]);
        Assert.All(first.Take(10), b => Assert.Null(reopened.Find(b.Cid)));
        Assert.Equal(90, reopened.Enumerate().Count());

        // A compaction keeps what is live, and the pack it writes is indexed in turn.
        reopened.Compact(key => !second.Take(5).Any(b => CidKey.Of(b.Cid) == key), liveFraction: 1.0);
        AssertHolds(reopened, [.. first.Skip(10), .. second.Skip(5)]);
        reopened.Dispose();
        using var compacted = new PackStore(_folder);
        Assert.Equal(0, compacted.RecordsScanned);
        AssertHolds(compacted, [.. first.Skip(10), .. second.Skip(5)]);
        Assert.All(second.Take(5), b => Assert.Null(compacted.Find(b.Cid)));
    }

    [Fact]
    public void An_index_that_cannot_be_written_loses_nothing_and_the_pack_is_scanned_instead()
    {
        var blocks = Blocks(80);
        ulong pack;
        // The first write of an index file fails as on a full disk; nothing else is counted.
        var fault = new FileFaultInjector(_folder) { FailAt = 1, Counts = (operation, path) => operation == FileOperation.Write && path.Contains(PackIndex.Extension, StringComparison.Ordinal) };
        using (FileFaults.Install(fault))
        {
            pack = Fill(blocks);
        }

        Assert.True(fault.Failed, "the index write was reached");

        Assert.False(File.Exists(IndexOf(pack)));
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp-*"));
        using var reopened = new PackStore(_folder);
        AssertHolds(reopened, blocks);
    }

    [Fact]
    public void A_block_packed_twice_is_listed_once_and_compaction_keeps_one_copy()
    {
        var shared = Blocks(1)[0];
        var others = Blocks(30);

        Fill([shared, .. others]);

        // The second copy: appended by an instance that never saw the first one's pack.
        string other = Directory.CreateTempSubdirectory("arrowcid-pack-index-other-").FullName;
        try
        {
            using (var elsewhere = new PackStore(other))
            {
                elsewhere.Append(shared.Cid, shared.Bytes);
                elsewhere.Sync();
            }

            foreach (string file in Directory.GetFiles(other, "*.pack").Concat(Directory.GetFiles(other, "*.idx")))
            {
                File.Copy(file, Path.Combine(_folder, Path.GetFileName(file)));
            }
        }
        finally
        {
            Directory.Delete(other, recursive: true);
        }

        using var packs = new PackStore(_folder);
        Assert.Equal(2, packs.ListCopies().Count(c => c.Cid == shared.Cid));
        Assert.Equal(2, packs.CopiesOf(shared.Cid).Count);
        Assert.Equal(others.Count + 1, packs.Enumerate().Count());
        Assert.Equal(1, packs.Enumerate().Count(c => c == shared.Cid));

        packs.Compact(_ => true, liveFraction: 0.0);
        Assert.Single(packs.CopiesOf(shared.Cid));
        AssertHolds(packs, [shared, .. others]);
    }

    [Fact]
    public void Deletions_are_looked_up_in_the_indexes_and_an_open_holds_none_of_them()
    {
        // Two sealed packs; another instance then deletes 300 of the first's blocks and 40 of the
        // second's (more than one window of one pack's tombstones), so its pack's index lists them.
        var first = Blocks(400);
        var second = Blocks(100);
        Fill(first);
        Fill(second);
        var deleted = first.Take(300).Concat(second.Skip(60)).ToList();
        using (var deleting = new PackStore(_folder))
        {
            foreach (var (cid, _) in deleted)
            {
                Assert.True(deleting.Delete(cid));
            }

            deleting.Sync();
            Assert.Equal(deleted.Count, deleting.LooseTombstones);
        }

        using var reopened = new PackStore(_folder);
        Assert.Equal(0, reopened.RecordsScanned);
        Assert.Equal(0, reopened.LooseTombstones);
        Assert.All(deleted, b => Assert.Null(reopened.Find(b.Cid)));
        Assert.All(deleted, b => Assert.Empty(reopened.CopiesOf(b.Cid)));
        var live = first.Skip(300).Concat(second.Take(60)).ToList();
        AssertHolds(reopened, live);
        Assert.Equal(live.Select(b => b.Cid.ToString()).Order(), reopened.Enumerate().Select(c => c.ToString()).Order());
        Assert.Equal(0, reopened.LooseTombstones);

        // A compaction counts the tombstoned records dead, and what it rewrites holds only the live ones.
        reopened.Compact(_ => true, liveFraction: 0.5);
        AssertHolds(reopened, live);
        reopened.Dispose();
        using var compacted = new PackStore(_folder);
        AssertHolds(compacted, live);
        Assert.All(deleted, b => Assert.Null(compacted.Find(b.Cid)));
        Assert.Equal(live.Count, compacted.Enumerate().Count());
    }

    [Fact]
    public void A_deleting_pack_is_sealed_at_its_tombstone_limit_so_memory_holds_no_more()
    {
        // 250 deletions with at most 64 tombstones a pack: packs of them are sealed and indexed on
        // the way (the last at dispose), and the deleting instance never holds 64 in memory.
        var blocks = Blocks(300);
        Fill(blocks);
        var before = Directory.GetFiles(_folder, "*" + PackIndex.Extension).Length;
        using (var deleting = new PackStore(_folder, maxTombstonesPerPack: 64))
        {
            foreach (var (cid, _) in blocks.Take(250))
            {
                Assert.True(deleting.Delete(cid));
                Assert.InRange(deleting.LooseTombstones, 0, 63);
            }
        }

        // The first 64 went to the filled pack, adopted (and indexed again); three packs are new.
        Assert.Equal(before + 3, Directory.GetFiles(_folder, "*" + PackIndex.Extension).Length);
        using var reopened = new PackStore(_folder, maxTombstonesPerPack: 64);
        Assert.Equal(0, reopened.LooseTombstones);
        Assert.All(blocks.Take(250), b => Assert.Null(reopened.Find(b.Cid)));
        AssertHolds(reopened, blocks.Skip(250));
    }

    [Fact]
    public void A_record_read_loose_is_dead_once_an_index_listing_its_tombstone_appears()
    {
        // The writer's pack stays open (its records are read loose by the others); a second
        // instance deletes some of them and seals its own pack, whose index lists the tombstones.
        var blocks = Blocks(50);
        using var writer = new PackStore(_folder);
        foreach (var (cid, bytes) in blocks)
        {
            writer.Append(cid, bytes);
        }

        writer.Sync();
        using var reader = new PackStore(_folder);
        AssertHolds(reader, blocks);
        using (var deleting = new PackStore(_folder))
        {
            foreach (var (cid, _) in blocks.Take(20))
            {
                Assert.True(deleting.Delete(cid));
            }

            deleting.Sync();
        }

        // A fresh instance reads the open pack loose and the deleting pack through its index.
        using var fresh = new PackStore(_folder);
        Assert.Equal(0, fresh.LooseTombstones);
        Assert.All(blocks.Take(20), b => Assert.Null(fresh.Find(b.Cid)));
        AssertHolds(fresh, blocks.Skip(20));
        Assert.Equal(blocks.Skip(20).Select(b => b.Cid.ToString()).Order(), fresh.Enumerate().Select(c => c.ToString()).Order());

        // The reader that held them as live learns of the deletions at its next refresh.
        reader.Refresh();
        Assert.All(blocks.Take(20), b => Assert.Null(reader.Find(b.Cid)));
    }

    [Fact]
    public void A_tombstone_lookup_finds_every_target_listed_and_no_other()
    {
        // Tombstones for three packs, one with far more than a window's worth, written in no order.
        var tombstones = new List<(Cid Cid, ulong TargetPack, long TargetOffset, long RecordOffset, long Length)>();
        var cid = Cid.ForRaw("a tombstone's CID"u8);
        long at = 0;
        foreach (ulong pack in new ulong[] { 0xFFFF_0000_0000_0001, 7, 0x8000_0000_0000_0000 })
        {
            int count = pack == 7 ? 5_000 : 3;
            for (int i = 0; i < count; i++)
            {
                tombstones.Add((cid, pack, (long)_random.Next(1, 1 << 20) * 64, at, 128));
                at += 128;
            }
        }

        var shuffled = tombstones.OrderBy(_ => _random.Next()).ToList();
        string path = Path.Combine(_folder, "tombstones" + PackIndex.Extension);
        PackIndex.Write(path, at + 64, [], shuffled, []);
        using var index = PackIndex.TryOpen(path, at + 64) ?? throw new Xunit.Sdk.XunitException("the index did not open");
        Assert.Equal(tombstones.Count, index.TombstoneCount);

        var targets = tombstones.Select(t => (t.TargetPack, t.TargetOffset)).ToHashSet();
        foreach (var (pack, offset) in targets)
        {
            Assert.True(index.IsTombstoned(pack, offset));
            Assert.Equal(targets.Contains((pack, offset + 64)), index.IsTombstoned(pack, offset + 64));
            Assert.Equal(targets.Contains((pack, offset - 64)), index.IsTombstoned(pack, offset - 64));
            Assert.False(index.IsTombstoned(pack + 1, offset));
        }

        foreach (ulong pack in new ulong[] { 0xFFFF_0000_0000_0001, 7, 0x8000_0000_0000_0000, 8, 0 })
        {
            var offsets = new HashSet<long>();
            index.AddTombstonedOffsets(pack, offsets);
            Assert.Equal(tombstones.Where(t => t.TargetPack == pack).Select(t => t.TargetOffset).ToHashSet(), offsets);
        }

        // Every entry still reads back whole, in target order.
        var read = Enumerable.Range(0, index.TombstoneCount).Select(index.TombstoneAt).ToList();
        Assert.Equal(tombstones.Select(t => (t.TargetPack, t.TargetOffset, t.RecordOffset)).Order(), read.Select(t => (t.TargetPack, t.TargetOffset, t.RecordOffset)));
    }

    // Appends the blocks through one instance, which seals its pack (and indexes it) when disposed.
    private ulong Fill(List<(Cid Cid, byte[] Bytes)> blocks)
    {
        using var packs = new PackStore(_folder);
        foreach (var (cid, bytes) in blocks)
        {
            packs.Append(cid, bytes);
        }

        packs.Sync();
        return packs.Find(blocks[0].Cid)!.Value.Pack;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_lookup_reads_every_entry_under_its_key_and_no_other(bool skewed)
    {
        // Uniform keys (SHA-256's) are found by the first read around the place their bits give;
        // skewed ones (a first byte's keys crowded at one end) need the range narrowed read by read.
        var keys = new List<UInt128>();
        for (int i = 0; i < 60_000; i++)
        {
            UInt128 key = new((ulong)_random.NextInt64() << 1 ^ (ulong)_random.Next(2), (ulong)_random.NextInt64());
            if (skewed)
            {
                // 90% of keys crowded into byte 0x07's last thousandth, the rest spread within 0x07.
                key = (key >> 8) | ((UInt128)0x07 << 120);
                if (i % 10 != 0)
                {
                    key |= (UInt128)0x00FFF00000000000UL << 64;
                }
            }

            keys.Add(key);
        }

        // Some keys twice (a block packed twice), at other records.
        var entries = keys.Select((k, i) => (Key: k, Block: new PackedBlock(9, i * 100L, (i * 100L) + 10, 90))).ToList();
        entries.AddRange(keys.Where((_, i) => i % 97 == 0).Select((k, i) => (Key: k, Block: new PackedBlock(9, 10_000_000L + (i * 100L), 10_000_010L + (i * 100L), 90))));
        string path = Path.Combine(_folder, "lookup" + PackIndex.Extension);
        PackIndex.Write(path, 20_000_000, entries, [], []);
        using var index = PackIndex.TryOpen(path, 20_000_000) ?? throw new Xunit.Sdk.XunitException("the index did not open");

        var expected = entries.ToLookup(e => e.Key, e => e.Block);
        foreach (var key in keys.Take(5_000).Concat(keys.Where((_, i) => i % 97 == 0)))
        {
            Assert.Equal(expected[key].OrderBy(b => b.RecordOffset), index.Find(key, 9));
        }

        for (int i = 0; i < 5_000; i++)
        {
            // Absent keys beside present ones, and at the ends of the first byte's range.
            var near = keys[i] + 1;
            Assert.Equal(expected[near], index.Find(near, 9));
        }

        Assert.Empty(index.Find(UInt128.Zero, 9));
        Assert.Empty(index.Find(UInt128.MaxValue, 9));
        Assert.Empty(index.Find(((UInt128)0x07 << 120) - 1, 9));
        Assert.Empty(index.Find((UInt128)0x08 << 120, 9));
    }

    [Fact]
    public void An_open_holds_no_descriptor_for_its_indexes_and_a_lookup_opens_only_those_it_reads()
    {
        // Small packs: a store of many. A descriptor kept for each index would grow the process's
        // descriptor table, and each growth of a multi-threaded process's table waits for an RCU
        // grace period (milliseconds, three times past 256 descriptors). Small blocks: an index's
        // entries then fill pages of their own ahead of its bloom filter.
        var blocks = Blocks(3000, maxLength: 150);
        using (var writer = new PackStore(_folder, packLimit: 1 << 16))
        {
            foreach (var (cid, bytes) in blocks)
            {
                writer.Append(cid, bytes);
            }
        }

        int indexes = Directory.GetFiles(_folder, "*" + PackIndex.Extension).Length;
        Assert.True(indexes >= 8, $"{indexes} indexes");
        using (var reopened = new PackStore(_folder, packLimit: 1 << 16))
        {
            Assert.Equal(0, reopened.RecordsScanned);
            Assert.Equal(0, OpenIndexDescriptors());

            // A lookup opens the index that holds the key (and any whose bloom filter admits it falsely).
            AssertHolds(reopened, blocks.Take(1));
            int open = OpenIndexDescriptors();
            Assert.InRange(open, 1, indexes / 2);
            AssertHolds(reopened, blocks);
            Assert.Equal(indexes, OpenIndexDescriptors());

            // Every lookup read entries with pread: no page of an index's own mapping came into
            // memory (a touch maps the page cache's whole folio, up to 2 MiB, into the process).
            Assert.Equal(0, ResidentIndexKiB());
        }

        Assert.Equal(0, OpenIndexDescriptors());
    }

    [Fact]
    public void An_index_replaced_or_removed_under_an_open_store_is_still_read_as_it_was_mapped()
    {
        var first = Blocks(60);
        ulong pack = Fill(first);
        using var reader = new PackStore(_folder);

        // Another process adopts the pack, appends and seals it: the index it renames over the old
        // one lists more records at other places. The reader's index is the old one, which it
        // mapped: opened now for a lookup, the file is a different one, so the mapping is read.
        var second = Blocks(30);
        using (var adopter = new PackStore(_folder))
        {
            foreach (var (cid, bytes) in second)
            {
                adopter.Append(cid, bytes);
            }

            Assert.Equal(pack, adopter.Find(second[0].Cid)!.Value.Pack);
        }

        AssertLocates(reader, first);
        Assert.Equal(0, OpenIndexDescriptors());
        reader.Refresh();
        AssertHolds(reader, [.. first, .. second]);

        // Gone altogether (the file deleted): still read from the mapping.
        using var other = new PackStore(_folder);
        File.Delete(IndexOf(pack));
        AssertLocates(other, [.. first, .. second]);
        Assert.Equal(0, OpenIndexDescriptors());
    }

    [Fact]
    public void Whether_a_packs_log_is_applied_is_answered_from_the_header_and_an_older_index_reads_its_entry()
    {
        PackLogPosition last;
        using (var packs = new PackStore(_folder))
        {
            foreach (var (cid, bytes) in Blocks(20))
            {
                packs.Append(cid, bytes);
            }

            packs.AppendLogEntry([1, 2, 3]);
            last = packs.AppendLogEntry([4, 5, 6]);
            packs.Append(Cid.ForRaw("after the log"u8), "after the log"u8);
        }

        using (var reopened = new PackStore(_folder))
        {
            Assert.Equal(0, reopened.RecordsScanned);
            Assert.True(reopened.HasLogEntriesAfter(last.Pack, last.Offset - 1));
            Assert.False(reopened.HasLogEntriesAfter(last.Pack, last.Offset));
            Assert.Equal(0, OpenIndexDescriptors());
        }

        // An index written before the header held the offset (the field zero, the header's check
        // made again): it is used, and the last entry is read from its table.
        string path = IndexOf(last.Pack);
        byte[] index = File.ReadAllBytes(path);
        Assert.Equal(last.Offset + 1, System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(index.AsSpan(44)));
        index.AsSpan(44, 8).Clear();
        System.Security.Cryptography.SHA256.HashData([.. index.AsSpan(0, 64), .. index.AsSpan(128, 1024)], index.AsSpan(64, 32));
        File.WriteAllBytes(path, index);
        using var older = new PackStore(_folder);
        Assert.Equal(0, older.RecordsScanned);
        Assert.True(older.HasLogEntriesAfter(last.Pack, last.Offset - 1));
        Assert.False(older.HasLogEntriesAfter(last.Pack, last.Offset));
        Assert.Equal(1, OpenIndexDescriptors());
    }

    // Found through what the store has read, with no look at the packs (TryLocate: a miss is not retried after a refresh).
    private static void AssertLocates(PackStore packs, IEnumerable<(Cid Cid, byte[] Bytes)> blocks)
    {
        foreach (var (cid, bytes) in blocks)
        {
            Assert.True(packs.TryLocate(cid, out var at), $"{cid} not located");
            byte[] read = new byte[at.Length];
            Assert.True(packs.TryRead(at, read));
            Assert.Equal(bytes, read);
        }
    }

    private static void AssertHolds(PackStore packs, IEnumerable<(Cid Cid, byte[] Bytes)> blocks)
    {
        foreach (var (cid, bytes) in blocks)
        {
            var at = packs.Find(cid) ?? throw new Xunit.Sdk.XunitException($"{cid} not found");
            byte[] read = new byte[at.Length];
            Assert.True(packs.TryRead(at, read));
            Assert.Equal(bytes, read);
        }
    }

    // Resident KiB of this test's index files' whole-file mappings (offset 0; a bloom filter's
    // mapping starts further on), from /proc/self/smaps.
    private int ResidentIndexKiB() => ResidentMappings.KiB((file, offset) =>
        offset == "00000000" && file.StartsWith(_folder, StringComparison.Ordinal) && file.EndsWith(PackIndex.Extension, StringComparison.Ordinal));

    // Descriptors this process holds open on index files of this test's folder.
    private int OpenIndexDescriptors() => new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos()
        .Select(link => link.LinkTarget)
        .Count(target => target is not null && target.StartsWith(_folder, StringComparison.Ordinal) && target.EndsWith(PackIndex.Extension, StringComparison.Ordinal));

    private string IndexOf(ulong pack) => Path.Combine(_folder, pack.ToString("x16", System.Globalization.CultureInfo.InvariantCulture) + PackIndex.Extension);

    private static void Flip(string path, int offset)
    {
        byte[] bytes = File.ReadAllBytes(path);
        bytes[offset] ^= 0x5A;
        File.WriteAllBytes(path, bytes);
    }

    private List<(Cid Cid, byte[] Bytes)> Blocks(int count, int maxLength = 2000) => Enumerable.Range(0, count).Select(_ =>
    {
        byte[] bytes = new byte[1 + _random.Next(maxLength)];
        _random.NextBytes(bytes);
        return (Cid.ForRaw(bytes), bytes);
    }).ToList();
}
