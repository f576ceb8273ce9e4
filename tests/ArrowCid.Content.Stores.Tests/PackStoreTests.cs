using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.Content.Stores.Packs;

namespace ArrowCid.Content.Stores.Tests;

/// <summary>The block store contract, with every block small enough to be packed.</summary>
public sealed class PackedDirectoryBlockStoreTests : BlockStoreContractTests, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("arrowcid-packed-").FullName;
    private readonly List<DirectoryBlockStore> _stores = [];

    public void Dispose()
    {
        _stores.ForEach(s => s.Dispose());
        Directory.Delete(_root, recursive: true);
    }

    protected override IBlockStore CreateEmptyStore()
    {
        var store = new DirectoryBlockStore(Path.Combine(_root, Guid.NewGuid().ToString("N")), verifyOnRead: true, packThreshold: DirectoryBlockStore.MaxPackThreshold);
        _stores.Add(store);
        return store;
    }
}

/// <summary>Pack files: alignment, recovery from the packs alone, torn tails, deletions, compaction and leases.</summary>
public sealed class PackStoreTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("arrowcid-packs-").FullName;
    private readonly Random _random = new(16);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Blocks_lie_64_byte_aligned_and_the_index_is_rebuilt_from_the_packs_alone()
    {
        var blocks = Blocks(50);
        using (var packs = new PackStore(_folder))
        {
            foreach (var (cid, bytes) in blocks)
            {
                var at = packs.Append(cid, bytes);
                Assert.Equal(0, at.Offset % PackFormat.Alignment);
            }

            packs.Sync();
        }

        using var reopened = new PackStore(_folder);
        foreach (var (cid, bytes) in blocks)
        {
            var at = reopened.Find(cid) ?? throw new InvalidOperationException($"{cid} lost");
            byte[] read = new byte[at.Length];
            Assert.True(reopened.TryRead(at, read));
            Assert.Equal(bytes, read);
            var mapped = reopened.Map(at)!.Value;
            using (mapped.Reference)
            {
                Assert.Equal(bytes, mapped.Memory.ToArray());
            }
        }
    }

    [Fact]
    public void A_torn_tail_is_cut_on_open_and_whole_records_before_it_stay()
    {
        var blocks = Blocks(5);
        string pack;
        long whole;
        PackedBlock first;
        using (var packs = new PackStore(_folder))
        {
            foreach (var (cid, bytes) in blocks)
            {
                packs.Append(cid, bytes);
            }

            packs.Sync();
            first = packs.Find(blocks[0].Cid)!.Value;
            pack = packs.PathOf(first.Pack);
        }

        // A writer that died mid-append: a copy of the first record whose body never reached the
        // disk (zeros), then half a header. The seal written on close precedes both.
        whole = new FileInfo(pack).Length;
        byte[] record = File.ReadAllBytes(pack).AsSpan((int)first.RecordOffset, (int)(first.Offset - first.RecordOffset + PackFormat.Align(first.Length))).ToArray();
        record.AsSpan((int)(first.Offset - first.RecordOffset)).Clear();
        using (var file = new FileStream(pack, FileMode.Append))
        {
            file.Write(record);
            file.Write(record.AsSpan(0, 8));
        }

        using var reopened = new PackStore(_folder);
        Assert.Equal(whole + PackFormat.Alignment, new FileInfo(pack).Length); // cut, then sealed
        Assert.Empty(reopened.ListTornTails());
        foreach (var (cid, bytes) in blocks)
        {
            var at = reopened.Find(cid)!.Value;
            Assert.True(reopened.IsIntact(cid, at));
        }
    }

    [Fact]
    public void A_pack_whose_writer_is_alive_is_never_cut_and_its_appends_are_seen_by_another_instance()
    {
        using var writer = new PackStore(_folder);
        using var reader = new PackStore(_folder);
        var (cid, bytes) = Blocks(1)[0];
        writer.Append(cid, bytes);
        writer.Sync();

        var at = reader.Find(cid) ?? throw new InvalidOperationException("another instance's append was not seen");
        Assert.True(reader.IsIntact(cid, at));
        Assert.Equal(0, reader.RecoverDeadPacks());
        Assert.Empty(reader.ListTornTails());
    }

    [Fact]
    public void A_deletion_is_a_tombstone_that_survives_reopening()
    {
        var blocks = Blocks(10);
        using (var packs = new PackStore(_folder))
        {
            foreach (var (cid, bytes) in blocks)
            {
                packs.Append(cid, bytes);
            }

            packs.Sync();
            Assert.True(packs.Delete(blocks[3].Cid));
            Assert.False(packs.Delete(blocks[3].Cid));
            Assert.Null(packs.Find(blocks[3].Cid));
        }

        using var reopened = new PackStore(_folder);
        Assert.Null(reopened.Find(blocks[3].Cid));
        Assert.Equal(9, reopened.Enumerate().Count());
    }

    [Fact]
    public void Compaction_rewrites_a_mostly_dead_pack_and_a_lease_taken_before_still_reads_its_bytes()
    {
        var blocks = Blocks(40);
        using var packs = new PackStore(_folder);
        foreach (var (cid, bytes) in blocks)
        {
            packs.Append(cid, bytes);
        }

        packs.Sync();
        var kept = blocks.Take(5).Select(b => CidKey.Of(b.Cid)).ToHashSet();
        var (leasedCid, leasedBytes) = blocks[^1];
        var lease = packs.Map(packs.Find(leasedCid)!.Value)!.Value;
        string oldPack = packs.PathOf(packs.Find(leasedCid)!.Value.Pack);

        var report = packs.Compact(kept.Contains);

        Assert.Equal(1, report.PacksRewritten);
        Assert.Equal(35, report.Removed);
        Assert.False(File.Exists(oldPack));
        Assert.True(report.BytesFreed > 0);
        using (lease.Reference)
        {
            // The pack file is gone; the mapping the lease holds is not.
            Assert.Equal(leasedBytes, lease.Memory.ToArray());
        }

        using var reopened = new PackStore(_folder);
        Assert.Equal(kept, reopened.Enumerate().Select(CidKey.Of).ToHashSet());
        foreach (var (cid, bytes) in blocks.Take(5))
        {
            var at = reopened.Find(cid)!.Value;
            byte[] read = new byte[at.Length];
            Assert.True(reopened.TryRead(at, read));
            Assert.Equal(bytes, read);
        }
    }

    [Fact]
    public void A_full_pack_is_sealed_and_the_next_append_starts_another()
    {
        using var packs = new PackStore(_folder, packLimit: 1 << 16);
        var blocks = Blocks(200);
        foreach (var (cid, bytes) in blocks)
        {
            packs.Append(cid, bytes);
        }

        packs.Sync();
        Assert.True(Directory.GetFiles(_folder, "*.pack").Length > 1);
        Assert.Equal(blocks.Select(b => b.Cid).ToHashSet(), packs.Enumerate().ToHashSet());
    }

    [Fact]
    public void Log_entries_are_read_back_in_order_after_a_reopen_and_between_two_positions()
    {
        var payloads = Enumerable.Range(0, 4).Select(i => new byte[] { (byte)i, 1, 2, 3 }).ToList();
        var positions = new List<PackLogPosition>();
        using (var packs = new PackStore(_folder))
        {
            foreach (var (cid, bytes) in Blocks(3))
            {
                packs.Append(cid, bytes);
            }

            positions.AddRange(payloads.Select(p => packs.AppendLogEntry(p)));
            packs.Sync();
        }

        using var reopened = new PackStore(_folder);
        ulong pack = positions[0].Pack;
        Assert.Equal([pack], reopened.ListLogPacks());
        var all = reopened.ReadLogEntries(pack, -1);
        Assert.Equal(positions, all.Select(e => e.At));
        Assert.Equal(payloads, all.Select(e => e.Payload.ToArray()));
        Assert.Equal(positions[1..3], reopened.ReadLogEntries(pack, positions[0].Offset, positions[3].Offset).Select(e => e.At));
        Assert.Equal(positions[2..], reopened.ReadLogEntries(pack, positions[1].Offset + 1).Select(e => e.At));
        Assert.Equal(positions[..2], reopened.ReadLogEntries(pack, -1, positions[2].Offset - 1).Select(e => e.At));
        Assert.Empty(reopened.ReadLogEntries(pack, positions[^1].Offset));
        Assert.Equal(3, reopened.Enumerate().Count());
    }

    [Fact]
    public void A_torn_log_entry_is_cut_on_open_and_the_entries_before_it_stay()
    {
        PackLogPosition first;
        using (var packs = new PackStore(_folder))
        {
            first = packs.AppendLogEntry([1, 2, 3]);
            packs.Sync();
        }

        // A writer that died mid-append: a whole header, then a payload whose last bytes never reached the disk.
        string path = Path.Combine(_folder, $"{first.Pack:x16}.pack");
        long whole = new FileInfo(path).Length;
        byte[] payload = new byte[300];
        _random.NextBytes(payload);
        int bodyLength = payload.Length + PackFormat.LogEntryCheckLength;
        byte[] record = new byte[PackFormat.LogEntryRecordLength(bodyLength)];
        PackFormat.WriteHead(record, PackRecordType.LogEntry, null, bodyLength);
        int head = PackFormat.HeaderLength;
        PackFormat.WriteLogEntryBody(record.AsSpan(head), payload);
        record.AsSpan(head + 200, 100).Clear();
        using (var file = new FileStream(path, FileMode.Append))
        {
            file.Write(record);
        }

        using var reopened = new PackStore(_folder);
        Assert.Equal(whole + PackFormat.Alignment, new FileInfo(path).Length); // cut, then sealed
        Assert.Empty(reopened.ListTornTails());
        Assert.Equal([first], reopened.ReadLogEntries(first.Pack, -1).Select(e => e.At));
    }

    [Fact]
    public void A_log_entry_damaged_before_a_seal_is_skipped_and_the_records_after_it_stay()
    {
        var blocks = Blocks(3);
        PackLogPosition damaged;
        PackLogPosition whole;
        using (var packs = new PackStore(_folder))
        {
            damaged = packs.AppendLogEntry([1, 2, 3, 4]);
            foreach (var (cid, bytes) in blocks)
            {
                packs.Append(cid, bytes);
            }

            whole = packs.AppendLogEntry([5, 6]);
            packs.Sync();
        }

        // Bit rot in the first entry's payload, long after the pack was sealed.
        string path = Path.Combine(_folder, $"{damaged.Pack:x16}.pack");
        long length = new FileInfo(path).Length;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = damaged.Offset + PackFormat.HeaderLength + 1;
            file.WriteByte(0xEE);
        }

        using var reopened = new PackStore(_folder);
        Assert.Equal(length, new FileInfo(path).Length);
        Assert.Equal(blocks.Select(b => b.Cid).ToHashSet(), reopened.Enumerate().ToHashSet());
        Assert.Equal([whole], reopened.ReadLogEntries(damaged.Pack, -1).Select(e => e.At));
    }

    [Fact]
    public void Compaction_drops_applied_log_entries_and_leaves_a_pack_holding_one_not_applied()
    {
        var blocks = Blocks(20);
        PackLogPosition logged;
        using (var packs = new PackStore(_folder))
        {
            foreach (var (cid, bytes) in blocks)
            {
                packs.Append(cid, bytes);
            }

            logged = packs.AppendLogEntry([9, 9, 9]);
            packs.Sync();

            // Nothing kept: the pack is all dead weight but for an entry not applied yet.
            var held = packs.Compact(_ => false, logAppliedThrough: _ => logged.Offset - 1);
            Assert.Equal(0, held.PacksRewritten);
            Assert.True(File.Exists(packs.PathOf(logged.Pack)));
            Assert.Single(packs.ReadLogEntries(logged.Pack, -1));

            var rewritten = packs.Compact(_ => false, logAppliedThrough: _ => logged.Offset);
            Assert.Equal(1, rewritten.PacksRewritten);
            Assert.False(File.Exists(packs.PathOf(logged.Pack)));
        }

        using var reopened = new PackStore(_folder);
        Assert.Empty(reopened.ListLogPacks());
        Assert.Empty(reopened.Enumerate());
    }

    [Fact]
    public void A_crashed_writers_preallocated_zeros_read_as_the_pack_end_and_appends_follow_the_records()
    {
        var blocks = Blocks(10);
        var (crashed, logicalEnd, entry) = CrashedPackCopy(blocks);
        string pack = Path.Combine(crashed, $"{entry.Pack:x16}.pack");
        Assert.True(new FileInfo(pack).Length > logicalEnd, "the open pack was not preallocated");

        PackedBlock appended;
        using (var packs = OpenWithoutRecovery(crashed, entry.Pack))
        {
            Assert.Empty(packs.ListTornTails());
            Assert.Equal(0, packs.RecoverDeadPacks()); // trimmed and sealed, not cut
            Assert.Equal(logicalEnd + PackFormat.Alignment, new FileInfo(pack).Length);
            AssertIntact(packs, blocks);
            Assert.Equal([entry], packs.ReadLogEntries(entry.Pack, -1).Select(e => e.At));

            // The pack is adopted: the next record starts after the seal, not after the zeros that were there.
            var (cid, bytes) = Blocks(1)[0];
            appended = packs.Append(cid, bytes);
            Assert.Equal(entry.Pack, appended.Pack);
            Assert.Equal(logicalEnd + PackFormat.Alignment, appended.RecordOffset);
            packs.Sync();
            blocks.Add((cid, bytes));
        }

        // Sealed on close: trimmed to its records and a seal.
        Assert.Equal(appended.Offset + PackFormat.Align(appended.Length) + PackFormat.Alignment, new FileInfo(pack).Length);
        using var reopened = new PackStore(crashed);
        Assert.Empty(reopened.ListTornTails());
        AssertIntact(reopened, blocks);
    }

    [Fact]
    public void A_sealed_pack_whose_zeros_were_not_trimmed_is_trimmed_without_another_seal()
    {
        var blocks = Blocks(4);
        PackedBlock last;
        using (var packs = new PackStore(_folder))
        {
            foreach (var (cid, bytes) in blocks)
            {
                packs.Append(cid, bytes);
            }

            last = packs.Find(blocks[^1].Cid)!.Value;
        }

        // The writer died after its seal and before the trim: the zeros are still there.
        string pack = Path.Combine(_folder, $"{last.Pack:x16}.pack");
        long sealedEnd = new FileInfo(pack).Length;
        Assert.Equal(last.Offset + PackFormat.Align(last.Length) + PackFormat.Alignment, sealedEnd);
        using (var file = new FileStream(pack, FileMode.Append))
        {
            file.Write(new byte[20_000]);
        }

        using var reopened = new PackStore(_folder);
        Assert.Equal(sealedEnd, new FileInfo(pack).Length);
        Assert.Empty(reopened.ListTornTails());
        AssertIntact(reopened, blocks);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_record_torn_just_before_the_preallocated_zeros_is_cut(bool headerTorn)
    {
        var blocks = Blocks(6);
        var (crashed, logicalEnd, entry) = CrashedPackCopy(blocks);
        string pack = Path.Combine(crashed, $"{entry.Pack:x16}.pack");
        long length = new FileInfo(pack).Length;
        long expectedEnd;
        using (var file = new FileStream(pack, FileMode.Open, FileAccess.ReadWrite))
        {
            if (headerTorn)
            {
                // Half the header of one more record reached the disk, inside the preallocated zeros.
                byte[] head = new byte[PackFormat.MaxHeadLength];
                PackFormat.WriteHead(head, PackRecordType.Block, blocks[0].Cid, blocks[0].Bytes.Length);
                file.Position = logicalEnd;
                file.Write(head.AsSpan(0, 8));
                expectedEnd = logicalEnd;
            }
            else
            {
                // The log entry (the pack's last record, right before the zeros) reached the disk without its check.
                file.Position = entry.Offset + PackFormat.HeaderLength + 3;
                file.Write(new byte[PackFormat.LogEntryCheckLength]);
                expectedEnd = entry.Offset;
            }
        }

        Assert.Equal(length, new FileInfo(pack).Length);
        using var packs = OpenWithoutRecovery(crashed, entry.Pack);
        Assert.Equal(headerTorn ? 1 : 0, packs.ListTornTails().Count); // a torn body is found by its check, on recovery
        Assert.Equal(1, packs.RecoverDeadPacks());
        Assert.Equal(expectedEnd + PackFormat.Alignment, new FileInfo(pack).Length);
        AssertIntact(packs, blocks);
        PackLogPosition[] entries = headerTorn ? [entry] : [];
        Assert.Equal(entries, packs.ReadLogEntries(entry.Pack, -1).Select(e => e.At));
    }

    [Fact]
    public void Adopting_a_pack_another_instance_sealed_after_this_one_last_read_it_keeps_its_records()
    {
        var blocks = Blocks(3);
        using var adopter = new PackStore(_folder);
        using (var writer = new PackStore(_folder))
        {
            writer.Append(blocks[0].Cid, blocks[0].Bytes);
            writer.Sync();
            adopter.Refresh();
            writer.Append(blocks[1].Cid, blocks[1].Bytes);
            writer.Sync();
        }

        // The adopter last read the pack with one block; the writer's second block, acknowledged, must stay.
        adopter.Append(blocks[2].Cid, blocks[2].Bytes);
        adopter.Sync();
        AssertIntact(adopter, blocks);
        adopter.Dispose();
        using var reopened = new PackStore(_folder);
        AssertIntact(reopened, blocks);
    }

    private static void AssertIntact(PackStore packs, List<(Cid Cid, byte[] Bytes)> blocks)
    {
        Assert.Equal(blocks.Select(b => b.Cid).ToHashSet(), packs.Enumerate().ToHashSet());
        foreach (var (cid, _) in blocks)
        {
            Assert.True(packs.IsIntact(cid, packs.Find(cid)!.Value), $"{cid} damaged");
        }
    }

    // A copy of a pack as a writer that died after a sync left it (blocks, then a log entry, then
    // the preallocated zeros): the folder, where the records end, and the entry.
    private (string Folder, long LogicalEnd, PackLogPosition Entry) CrashedPackCopy(List<(Cid Cid, byte[] Bytes)> blocks)
    {
        string crashed = Directory.CreateDirectory(Path.Combine(_folder, "crashed")).FullName;
        using var writer = new PackStore(Path.Combine(_folder, "live"));
        foreach (var (cid, bytes) in blocks)
        {
            writer.Append(cid, bytes);
        }

        var entry = writer.AppendLogEntry([7, 7, 7]);
        writer.Sync();
        File.Copy(writer.PathOf(entry.Pack), Path.Combine(crashed, $"{entry.Pack:x16}.pack"));
        long logicalEnd = entry.Offset + PackFormat.LogEntryRecordLength(3 + PackFormat.LogEntryCheckLength);
        return (crashed, logicalEnd, entry);
    }

    // Opens a folder while its pack's lock is held, so the pack is left as the crash left it; the lock is then released.
    private static PackStore OpenWithoutRecovery(string folder, ulong pack)
    {
        using var held = new FileStream(Path.Combine(folder, $"{pack:x16}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        return new PackStore(folder);
    }

    private List<(Cid Cid, byte[] Bytes)> Blocks(int count) => Enumerable.Range(0, count).Select(_ =>
    {
        byte[] bytes = new byte[1 + _random.Next(2000)];
        _random.NextBytes(bytes);
        return (Cid.ForRaw(bytes), bytes);
    }).ToList();
}
