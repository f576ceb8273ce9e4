using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Memory;
using ArrowCid.Content.Canonical;
using ArrowCid.SharedMemory.Arena;
using ArrowCid.TestSupport;

namespace ArrowCid.SharedMemory.Tests;

/// <summary>
/// The small-batch fast path: batches in slots of the store's arena file, attached in place,
/// leased by counts, evicted (or moved to files) only when unleased, promoted to a file of their
/// own on demand, and refused when a slot is corrupted.
/// </summary>
public sealed class ArenaTests : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_publisher_maps_the_small_arena_two_mebibytes_at_a_time_rather_than_faulting_page_by_page()
    {
        // The small arena is backed at creation; a store into each of its pages would fault alone
        // (a write fault maps one page). The first fill of a slot maps the 2 MiB around it. (4 MiB
        // of 2 KiB slots here; the other tests' small arena is 128 KiB.)
        using var store = ShmStore.Open(_temp.Options(arena: true) with { ArenaSmallSlots = 2048 });
        string arena = Path.Combine(store.Directory, "arena-small");
        int before = ResidentKiB(arena);
        store.Publish(Batches.Make(1));
        Assert.InRange(ResidentKiB(arena) - before, 2048, 2048 + 64);
    }

    [Fact]
    public void A_small_batch_goes_to_the_arena_and_attach_reads_it_in_place_under_a_lease()
    {
        using var store = _temp.Open(arena: true);
        var batch = Batches.Make(1);
        var published = store.Publish(batch);

        var entry = Assert.Single(store.List());
        Assert.NotNull(entry.ArenaOffset);
        Assert.Equal(Path.Combine(store.Directory, "arena-small"), entry.Path); // ~700 bytes: the 2 KiB slots
        Assert.False(File.Exists(published.Path));
        Assert.True(store.Contains(published.Cid));

        var attached = store.Attach(published.Cid);
        // Buffers point into the arena mapping, not into a per-segment mapping or a copy.
        Assert.True(MemoryMarshal.TryGetMemoryManager(attached.Column(0).Buffers[1], out MemoryManager<byte>? manager));
        Assert.IsNotType<MappedFileMemory>(manager);
        Assert.Equal(CanonicalEncoder.Encode(batch), CanonicalEncoder.Encode(attached));
        Assert.True(Assert.Single(store.List()).Leased);
        Assert.False(store.Remove(published.Cid));

        attached.Dispose();
        Assert.False(Assert.Single(store.List()).Leased);
        Assert.True(store.Remove(published.Cid));
        Assert.False(store.Contains(published.Cid));
        Assert.Throws<ShmSegmentNotFoundException>(() => store.Attach(published.Cid));
    }

    [Fact]
    public void Leased_arena_bytes_are_the_slot_in_place_and_hold_it_until_disposed()
    {
        using var store = _temp.Open(arena: true);
        var small = store.Publish(Batches.Make(2));
        var large = store.Publish(Batches.Make(3, rows: 20_000)); // past the 64 KiB slots: a file of its own

        using (var leased = store.TryLeaseArenaBytes(small.Cid))
        {
            Assert.NotNull(leased);
            Assert.Equal(CanonicalEncoder.Encode(Batches.Make(2)), leased.Memory.ToArray());
            // The slot itself, not a copy: the mapping's memory manager, not an array.
            Assert.False(MemoryMarshal.TryGetArray(leased.Memory, out _));
            Assert.Contains("arena-small", leased.Location, StringComparison.Ordinal);
            Assert.True(store.List().Single(s => s.Cid == small.Cid).Leased);
            Assert.False(store.Remove(small.Cid));
        }

        Assert.False(store.List().Single(s => s.Cid == small.Cid).Leased);
        Assert.Null(store.TryLeaseArenaBytes(large.Cid));
        // A manifest node (dag-cbor) is never in an arena; a dag-pb CID is nothing the store holds.
        Assert.Null(store.TryLeaseArenaBytes(Content.Multiformats.Cid.Parse("bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")));
        Assert.Throws<ArgumentException>(() => store.TryLeaseArenaBytes(Content.Multiformats.Cid.Parse("bafybeigdyrzt5sxp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi")));
    }

    [Fact]
    public void A_slot_holds_exactly_the_canonical_stream_at_its_offset()
    {
        using var store = _temp.Open(arena: true);
        var batch = Batches.Make(2, rows: 40);
        var cid = store.Publish(batch).Cid;
        var entry = Assert.Single(store.List());

        // What any Arrow library does: map (here read) the arena file at offset/length.
        byte[] bytes = new byte[entry.Bytes];
        using (var file = File.OpenHandle(entry.Path))
        {
            Assert.Equal(bytes.Length, RandomAccess.Read(file, bytes, entry.ArenaOffset!.Value));
        }

        Assert.Equal(CanonicalEncoder.Encode(batch), bytes);
        Assert.Equal(cid.Hash.Digest.ToArray(), SHA256.HashData(bytes));
        using var reader = new ArrowStreamReader(bytes);
        using var read = reader.ReadNext();
        Assert.Equal(40, read!.Length);
    }

    [Fact]
    public void Publishing_an_arena_batch_twice_announces_it_once()
    {
        using var store = _temp.Open(arena: true);
        var first = store.Publish(Batches.Make(3));
        var second = store.Publish(Batches.Make(3));

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(1, store.PublishedSequence);
        Assert.Single(store.List());
    }

    [Fact]
    public void SegmentFile_promotes_an_arena_batch_to_a_file_of_exactly_its_bytes()
    {
        using var store = _temp.Open(arena: true);
        var batch = Batches.Make(4);
        var published = store.Publish(batch);
        Assert.False(File.Exists(published.Path));

        string path = store.SegmentFile(published.Cid);

        Assert.Equal(published.Path, path);
        Assert.Equal(CanonicalEncoder.Encode(batch), File.ReadAllBytes(path));
        Assert.Equal(path, store.SegmentFile(published.Cid)); // once: the file is reused
        var entry = Assert.Single(store.List()); // one CID, listed once, as its file
        Assert.Null(entry.ArenaOffset);
        using var attached = store.Attach(published.Cid);
        Assert.Equal(batch.Length, attached.Length);
        Assert.Throws<ShmSegmentNotFoundException>(() => store.SegmentFile(CanonicalEncoder.ComputeCid(Batches.Make(5))));
    }

    [Fact]
    public void A_slot_is_never_reused_while_leased_and_an_unlimited_store_moves_evicted_slots_to_files()
    {
        using var store = _temp.Open(arena: true);
        var held = store.Publish(Batches.Make(10));
        using var attached = store.Attach(held.Cid);
        byte[] before = CanonicalEncoder.Encode(attached);

        // Eight times more batches than the arena has slots: every set is refilled many times over.
        var others = Enumerable.Range(11, TempStore.ArenaSlots * 8).Select(seed => store.Publish(Batches.Make(seed))).ToList();

        // The leased slot kept its bytes and its place.
        Assert.Equal(before, CanonicalEncoder.Encode(attached));
        Assert.Contains(store.List(), s => s.Cid == held.Cid && s.ArenaOffset is not null && s.Leased);
        // Nothing was lost: evicted slots went to files, and everything still attaches and verifies.
        Assert.Contains(store.List(), s => s.ArenaOffset is null);
        foreach (var published in others)
        {
            using var again = store.Attach(published.Cid);
            Assert.Equal(published.Cid, CanonicalEncoder.ComputeCid(again));
        }
    }

    [Fact]
    public void An_unlimited_store_moves_what_its_full_small_arena_evicts_into_the_large_arena_before_any_file()
    {
        using var store = _temp.Open(arena: true);

        // Twice the small arena's slots: its sets overflow, the large one (four times as many slots) takes the rest.
        var published = Enumerable.Range(300, TempStore.SmallArenaSlots * 2).Select(seed => store.Publish(Batches.Make(seed))).ToList();
        var listed = store.List();
        Assert.Equal(published.Count, listed.Count);
        Assert.DoesNotContain(listed, s => s.ArenaOffset is null); // no segment file was made
        Assert.Contains(listed, s => s.Path.EndsWith("arena-small", StringComparison.Ordinal));
        Assert.True(listed.Count(s => s.Path.EndsWith("/arena", StringComparison.Ordinal)) >= TempStore.SmallArenaSlots, "the large arena holds what the small one could not");
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(store.Directory, "segments")));
        foreach (var one in published)
        {
            using var again = store.Attach(one.Cid);
            Assert.Equal(one.Cid, CanonicalEncoder.ComputeCid(again));
            Assert.False(store.Publish(Batches.Make(300 + published.IndexOf(one))).Created); // found where it moved: no second copy
        }
    }

    [Fact]
    public void Under_a_capacity_arena_slots_are_evicted_least_recently_used_first_and_never_while_leased()
    {
        long size = CanonicalEncoder.Encode(Batches.Make(20)).Length;
        using var store = _temp.Open(capacity: size * 3, arena: true);
        var a = store.Publish(Batches.Make(20)).Cid;
        var b = store.Publish(Batches.Make(21)).Cid;
        var c = store.Publish(Batches.Make(22)).Cid;
        using (store.Attach(a))
        {
        }

        using var leasedB = store.Attach(b);
        var d = store.Publish(Batches.Make(23)).Cid;

        // c was the least recently used unleased one (a was attached after, b is leased).
        Assert.False(store.Contains(c));
        Assert.True(store.Contains(a));
        Assert.True(store.Contains(b));
        Assert.True(store.Contains(d));
        Assert.DoesNotContain(store.List(), s => s.ArenaOffset is null); // dropped, not moved to a file
    }

    [Fact]
    public void A_corrupted_slot_is_refused()
    {
        using var store = _temp.Open(arena: true);
        var cid = store.Publish(Batches.Make(30, rows: 64)).Cid;
        var entry = Assert.Single(store.List());
        using (var file = File.OpenHandle(entry.Path, FileMode.Open, FileAccess.ReadWrite))
        {
            // A value byte near the end of the body: structurally valid, so only the hash can tell.
            long at = entry.ArenaOffset!.Value + entry.Bytes - 40;
            byte[] one = new byte[1];
            RandomAccess.Read(file, one, at);
            one[0] ^= 0x5A;
            RandomAccess.Write(file, one, at);
        }

        Assert.Throws<ShmSegmentCorruptedException>(() => store.Attach(cid));
        Assert.Throws<ShmSegmentCorruptedException>(() => store.SegmentFile(cid));
        Assert.Throws<ShmSegmentCorruptedException>(() => store.TryLeaseArenaBytes(cid));
        Assert.False(File.Exists(store.PathOf(cid))); // nothing corrupted was promoted
        Assert.False(Assert.Single(store.List()).Leased); // the refused attach left no lease behind
    }

    [Fact]
    public void A_slot_header_with_an_impossible_length_is_refused()
    {
        using var store = _temp.Open(arena: true);
        var cid = store.Publish(Batches.Make(31)).Cid;
        var entry = Assert.Single(store.List());
        Assert.EndsWith("arena-small", entry.Path, StringComparison.Ordinal);
        long header = ShmArena.SlotHeaderOffsetOf(ShmStoreOptions.DefaultArenaSmallSlotBytes, TempStore.SmallArenaSlots, entry.ArenaOffset!.Value);
        using (var file = File.OpenHandle(entry.Path, FileMode.Open, FileAccess.ReadWrite))
        {
            byte[] length = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(length, ShmStoreOptions.DefaultArenaSmallSlotBytes + 1);
            RandomAccess.Write(file, length, header + 4);
        }

        Assert.Throws<ShmSegmentCorruptedException>(() => store.Attach(cid));
    }

    [Fact]
    public void A_truncated_arena_file_is_refused_when_a_store_opens_it()
    {
        using (var store = _temp.Open(arena: true))
        {
            store.Publish(Batches.Make(32));
        }

        string arena = Path.Combine(_temp.Options().ResolveDirectory(), "arena");
        using (var file = File.OpenHandle(arena, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(file, RandomAccess.GetLength(file) - 4096);
        }

        Assert.Throws<ShmSegmentCorruptedException>(() => _temp.Open(arena: true));
    }

    [Fact]
    public void A_batch_attached_from_the_arena_outlives_its_store()
    {
        RecordBatch attached;
        var batch = Batches.Make(33);
        using (var store = _temp.Open(arena: true))
        {
            attached = store.Attach(store.Publish(batch).Cid);
        }

        using (attached)
        {
            Assert.Equal(CanonicalEncoder.Encode(batch), CanonicalEncoder.Encode(attached));
        }
    }

    [Fact]
    public void Batches_go_to_the_smallest_arena_that_fits_and_on_to_the_next_when_it_has_no_room()
    {
        // A small arena of one set: eight leased batches fill it, the ninth goes on to the large arena.
        using var store = ShmStore.Open(_temp.Options(arena: true) with { ArenaSmallSlots = 8 });
        var leased = Enumerable.Range(40, 8).Select(seed => store.Attach(store.Publish(Batches.Make(seed)).Cid)).ToList();
        var ninth = store.Publish(Batches.Make(48));
        var big = store.Publish(Batches.Make(49, rows: 400)); // ~12 KiB: over the 2 KiB slots

        var listed = store.List().ToDictionary(s => s.Cid);
        Assert.All(leased, b => Assert.EndsWith("arena-small", listed[CanonicalEncoder.ComputeCid(b)].Path, StringComparison.Ordinal));
        Assert.EndsWith("arena", listed[ninth.Cid].Path, StringComparison.Ordinal);
        Assert.EndsWith("arena", listed[big.Cid].Path, StringComparison.Ordinal);
        Assert.False(store.Publish(Batches.Make(48)).Created); // found in the large arena: no second copy
        using (var again = store.Attach(ninth.Cid))
        {
            Assert.Equal(ninth.Cid, CanonicalEncoder.ComputeCid(again));
        }

        foreach (var batch in leased)
        {
            batch.Dispose();
        }

        // The small arena has room again: the ninth is still found in the large one (which now
        // records that it holds a block that small), not written a second time.
        Assert.False(store.Publish(Batches.Make(48)).Created);
        Assert.Single(store.List(), s => s.Cid == ninth.Cid);
    }

    [Fact]
    public void A_publish_takes_the_emptier_of_its_two_sets_so_a_set_fills_only_when_both_are_nearly_full()
    {
        // 64 slots: eight sets of eight. A digest's first eight bytes pick its first set, the next
        // eight its second (modulo the sets), so digests can be made to share sets.
        Directory.CreateDirectory(_temp.BaseDirectory);
        string path = Path.Combine(_temp.BaseDirectory, "arena-balance");
        using var arena = ShmArena.Open(path, (512, 64, true), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        byte[] bytes = new byte[100];
        var evictedCount = 0;
        ShmArena.PublishOutcome Publish(int first, int second, int serial)
        {
            byte[] digest = new byte[32];
            BinaryPrimitives.WriteUInt64LittleEndian(digest, (ulong)(first + (8 * serial)));
            BinaryPrimitives.WriteUInt64LittleEndian(digest.AsSpan(8), (ulong)(second + (8 * serial)));
            digest[31] = (byte)serial;
            return arena.Publish(digest, bytes, _ => false, (_, _) => evictedCount++);
        }

        // Eight digests whose sets are 0 and 1: four in each, not eight in set 0.
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(ShmArena.PublishOutcome.Created, Publish(0, 1, i));
        }

        Assert.Equal(8, arena.List().Count);

        // Four digests that can only go to set 0 (both choices are set 0) now find four free slots
        // there: nothing is evicted. Taking the first set first, set 0 was full and four were.
        for (int i = 8; i < 12; i++)
        {
            Assert.Equal(ShmArena.PublishOutcome.Created, Publish(0, 0, i));
        }

        Assert.Equal(0, evictedCount);
        Assert.Equal(12, arena.List().Count);
    }

    // Resident KiB of this process's mappings of a file.
    private static int ResidentKiB(string path) => ResidentMappings.KiB((file, _) => file == path);
}
