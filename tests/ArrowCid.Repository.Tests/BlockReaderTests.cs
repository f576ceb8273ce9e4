using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Memory;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content;
using ArrowCid.Content.Stores;
using ArrowCid.Repository.Tests.Content;
using ArrowCid.SharedMemory;
using ArrowCid.TestSupport;

namespace ArrowCid.Repository.Tests;

/// <summary>
/// <see cref="BlockReader"/> from each place a block lives — a repository block file, a
/// shared-memory segment file, an arena slot — and its one verification policy: damaged bytes are
/// <see cref="BlockCorruptedException"/> wherever they are, a file is hashed again once its
/// (length, write time) stamp changes or when the stamp is too fresh to trust, arena slots are
/// hashed at every open, and a block that goes away between a check and the open is simply absent.
/// </summary>
public sealed class BlockReaderTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _shmBase = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "arrowcid-reader-" + Guid.NewGuid().ToString("N"));
    private readonly DirectoryBlockStore _blocks;

    public BlockReaderTests() => _blocks = new DirectoryBlockStore(Path.Combine(_temp.Path, "blocks"));

    public void Dispose()
    {
        _temp.Dispose();
        if (Directory.Exists(_shmBase))
        {
            Directory.Delete(_shmBase, recursive: true);
        }
    }

    [Fact]
    public void A_repository_block_is_mapped_checked_and_leased()
    {
        var (cid, bytes) = StoreBlock(1);
        var reader = new BlockReader(_blocks);

        using (var block = reader.Open(cid))
        {
            Assert.Equal(bytes, block.Memory.ToArray());
            Assert.Equal((cid, BlockLocation.RepositoryFile, _blocks.GetBlockPath(cid)), (block.Cid, block.Location, block.Where));
            Assert.Equal(1, block.Lease.References);

            // A batch read over the block holds its own reference: the mapping outlives the block.
            using var ipc = new ArrowStreamReader(block.Memory, lease: block.Lease);
            using var batch = ipc.ReadNext()!;
            Assert.Equal(2, block.Lease.References);
            block.Dispose();
            block.Dispose(); // once only
            Assert.Equal(1, block.Lease.References);
            Assert.Equal(9, batch.Length);
        }

        Assert.True(reader.Has(cid));
    }

    [Fact]
    public void A_small_block_held_briefly_is_read_into_a_buffer_checked_and_leased_like_a_mapping()
    {
        var (cid, bytes) = StoreBlock(11);
        var reader = new BlockReader(_blocks);

        using (var block = reader.Open(cid, access: BlockAccess.Read))
        {
            Assert.Equal(bytes, block.Memory.ToArray());
            Assert.True(MemoryMarshal.TryGetArray(block.Memory, out _), "read into a buffer, not mapped");
            Assert.Equal((BlockLocation.RepositoryFile, _blocks.GetBlockPath(cid)), (block.Location, block.Where));

            // A batch read over it keeps the buffer after the block is let go, as it keeps a mapping.
            using var ipc = new ArrowStreamReader(block.Memory, lease: block.Lease);
            using var batch = ipc.ReadNext()!;
            block.Dispose();
            Assert.Equal(1, block.Lease.References);
            Assert.Equal(bytes, block.Memory.ToArray());
            Assert.Equal(9, batch.Length);
        }

        // Verified as a mapping is: damaged bytes are refused unless the caller hashes them itself.
        CorruptInPlace(_blocks.GetBlockPath(cid), keepWriteTime: false);
        Assert.Throws<BlockCorruptedException>(() => reader.Open(cid, access: BlockAccess.Read));
        using var unverified = reader.Open(cid, verify: false, access: BlockAccess.Read);
        Assert.Equal(bytes.Length, unverified.Memory.Length);
        Assert.NotEqual(bytes, unverified.Memory.ToArray());
    }

    [Fact]
    public void A_verified_block_sent_often_is_kept_mapped_and_every_open_gets_the_same_bytes_from_one_mapping()
    {
        var (cid, bytes) = StoreBlock(31);
        File.SetLastWriteTimeUtc(_blocks.GetBlockPath(cid), DateTime.UtcNow - TimeSpan.FromHours(1));
        var reader = new BlockReader(_blocks);

        // Not yet verified here: read into a buffer and hashed, as BlockAccess.Read.
        using (var first = reader.Open(cid, access: BlockAccess.Keep))
        {
            Assert.True(MemoryMarshal.TryGetArray(first.Memory, out _), "read, not kept, before it was verified");
            Assert.Equal(bytes, first.Memory.ToArray());
            Assert.Equal(0, reader.KeptMappings);
        }

        using var second = reader.Open(cid, access: BlockAccess.Keep);
        using var third = reader.Open(cid, access: BlockAccess.Keep);
        Assert.False(MemoryMarshal.TryGetArray(second.Memory, out _), "mapped once verified");
        Assert.Equal(1, reader.KeptMappings);
        Assert.True(Unsafe.AreSame(ref MemoryMarshal.GetReference(second.Memory.Span), ref MemoryMarshal.GetReference(third.Memory.Span)), "one mapping serves both");
        Assert.Equal(bytes, third.Memory.ToArray());
        Assert.Equal((cid, BlockLocation.RepositoryFile, _blocks.GetBlockPath(cid)), (third.Cid, third.Location, third.Where));

        // Letting go of a block keeps the mapping; forgetting the block drops it, and a block still
        // held keeps its bytes until it is disposed.
        second.Dispose();
        Assert.Equal(bytes, third.Memory.ToArray());
        reader.Forget(cid);
        Assert.Equal(0, reader.KeptMappings);
        Assert.Equal(bytes, third.Memory.ToArray());

        // Without verification Keep is Read: nothing is kept.
        using var unverified = reader.Open(cid, verify: false, access: BlockAccess.Keep);
        Assert.True(MemoryMarshal.TryGetArray(unverified.Memory, out _));
        Assert.Equal(0, reader.KeptMappings);
    }

    [Fact]
    public void A_kept_block_whose_file_changes_on_disk_is_dropped_and_the_damage_caught()
    {
        var (cid, bytes) = StoreBlock(32);
        string path = _blocks.GetBlockPath(cid);
        var settled = DateTime.UtcNow - TimeSpan.FromHours(1);
        File.SetLastWriteTimeUtc(path, settled);
        var reader = new BlockReader(_blocks);
        reader.Open(cid).Dispose();
        using (var kept = reader.Open(cid, access: BlockAccess.Keep))
        {
            Assert.Equal(1, reader.KeptMappings);
            Assert.Equal(bytes, kept.Memory.ToArray());
        }

        // Changed in place (the kept mapping shows the new bytes): its new stamp sends the open back to hashing.
        CorruptInPlace(path, keepWriteTime: false);
        File.SetLastWriteTimeUtc(path, settled + TimeSpan.FromMinutes(1));
        Assert.Throws<BlockCorruptedException>(() => reader.Open(cid, access: BlockAccess.Keep));
        Assert.Equal(0, reader.KeptMappings);

        // Deleted: absent, and the mapping is dropped.
        var (other, _) = StoreBlock(33);
        File.SetLastWriteTimeUtc(_blocks.GetBlockPath(other), settled);
        reader.Open(other).Dispose();
        reader.Open(other, access: BlockAccess.Keep).Dispose();
        Assert.Equal(1, reader.KeptMappings);
        File.SetAttributes(_blocks.GetBlockPath(other), FileAttributes.Normal);
        File.Delete(_blocks.GetBlockPath(other));
        Assert.Null(reader.TryOpen(other, access: BlockAccess.Keep));
        Assert.Equal(0, reader.KeptMappings);
    }

    [Fact]
    public void Kept_mappings_make_room_only_by_dropping_one_that_has_gone_unused_for_the_idle_time()
    {
        var (a, aBytes) = StoreBlock(34);
        var (b, bBytes) = StoreBlock(35);
        var stamp = new FileStamp(aBytes.Length, DateTime.UnixEpoch);
        var kept = new KeptMappings(maxCount: 1, maxBytes: 1 << 20);
        var now = DateTime.UtcNow;

        var aMapping = MappedFileMemory.Open(_blocks.GetBlockPath(a));
        using (kept.TryKeep(a, stamp, aMapping, now))
        {
        }

        // Full, and a was used a moment ago: b is not kept (a scan over more than fits keeps what it has).
        using var bMapping = MappedFileMemory.Open(_blocks.GetBlockPath(b));
        Assert.False(kept.HasRoomFor(bBytes.Length, now + TimeSpan.FromSeconds(1)));
        Assert.Null(kept.TryKeep(b, stamp, bMapping, now + TimeSpan.FromSeconds(1)));
        var held = kept.TryAcquire(a, stamp, now + TimeSpan.FromSeconds(2));
        Assert.NotNull(held);

        // a idle long enough: it makes room for b, and the reference still held keeps its bytes.
        var later = now + TimeSpan.FromSeconds(2) + KeptMappings.IdleTime;
        Assert.True(kept.HasRoomFor(bBytes.Length, later));
        using (kept.TryKeep(b, stamp, bMapping, later))
        {
        }

        Assert.Equal(1, kept.Count);
        Assert.Null(kept.TryAcquire(a, stamp, later));
        Assert.Equal(aBytes, held.Value.Memory.ToArray());
        held.Value.Reference.Dispose();
        Assert.Throws<ObjectDisposedException>(() => aMapping.GetSpan());

        // A stamp other than the one kept under drops the mapping.
        Assert.Null(kept.TryAcquire(b, stamp with { Length = 1 }, later));
        Assert.Equal(0, kept.Count);
    }

    [Fact]
    public void A_block_over_the_read_limit_is_mapped_even_when_held_briefly()
    {
        byte[] bytes = new byte[BlockReader.ReadLimit + 1];
        new Random(12).NextBytes(bytes);
        var cid = Cid.ForRaw(bytes);
        _blocks.Put(cid, bytes);
        var reader = new BlockReader(_blocks);

        using var block = reader.Open(cid, access: BlockAccess.Read);

        Assert.False(MemoryMarshal.TryGetArray(block.Memory, out _), "mapped, not read");
        Assert.True(block.Memory.Span.SequenceEqual(bytes));
    }

    [Fact]
    public void A_verified_file_is_opened_for_reading_into_the_callers_memory_only_while_its_stamp_holds()
    {
        var (cid, bytes) = StoreBlock(21);
        string path = _blocks.GetBlockPath(cid);
        var settled = DateTime.UtcNow - TimeSpan.FromHours(1);
        File.SetLastWriteTimeUtc(path, settled);
        var reader = new BlockReader(_blocks);

        // Never hashed here yet: the caller must open it (which hashes it).
        Assert.Null(reader.TryOpenVerifiedFile(cid));
        reader.Open(cid, access: BlockAccess.Read).Dispose();

        using (var file = reader.TryOpenVerifiedFile(cid))
        {
            Assert.NotNull(file);
            Assert.Equal((cid, bytes.Length, path), (file.Cid, file.Length, file.Path));
            byte[] into = new byte[bytes.Length + 7];
            file.ReadInto(into);
            Assert.Equal(bytes, into[..bytes.Length]);
            Assert.Throws<ArgumentException>(() => file.ReadInto(new byte[bytes.Length - 1]));
        }

        // Rewritten (a new write time): no longer verified, and the open that hashes it catches the damage.
        CorruptInPlace(path, keepWriteTime: false);
        File.SetLastWriteTimeUtc(path, settled + TimeSpan.FromMinutes(1));
        Assert.Null(reader.TryOpenVerifiedFile(cid));
        Assert.Throws<BlockCorruptedException>(() => reader.Open(cid, access: BlockAccess.Read));
        Assert.Null(reader.TryOpenVerifiedFile(cid));

        // Forgotten, or gone: null.
        var (other, _) = StoreBlock(22);
        File.SetLastWriteTimeUtc(_blocks.GetBlockPath(other), settled);
        reader.Open(other).Dispose();
        Assert.NotNull(reader.TryOpenVerifiedFile(other));
        reader.Forget(other);
        Assert.Null(reader.TryOpenVerifiedFile(other));
        Assert.Null(reader.TryOpenVerifiedFile(Cid.ForRaw([4, 5, 6])));
    }

    [Fact]
    public void A_verified_file_that_shrinks_after_it_was_opened_is_refused_rather_than_read_short()
    {
        var (cid, bytes) = StoreBlock(23);
        string path = _blocks.GetBlockPath(cid);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - TimeSpan.FromHours(1));
        var reader = new BlockReader(_blocks);
        reader.Open(cid).Dispose();
        using var file = reader.TryOpenVerifiedFile(cid);
        Assert.NotNull(file);

        File.SetAttributes(path, FileAttributes.Normal);
        using (var shrink = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(shrink, bytes.Length - 10);
        }

        var error = Assert.Throws<BlockCorruptedException>(() => file.ReadInto(new byte[bytes.Length]));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_over_the_read_limit_is_never_offered_for_reading_into_the_callers_memory()
    {
        byte[] bytes = new byte[BlockReader.ReadLimit + 1];
        new Random(13).NextBytes(bytes);
        var cid = Cid.ForRaw(bytes);
        _blocks.Put(cid, bytes);
        File.SetLastWriteTimeUtc(_blocks.GetBlockPath(cid), DateTime.UtcNow - TimeSpan.FromHours(1));
        var reader = new BlockReader(_blocks);
        reader.Open(cid).Dispose();

        Assert.Null(reader.TryOpenVerifiedFile(cid));
    }

    [Fact]
    public void A_missing_block_is_null_or_not_found()
    {
        var reader = new BlockReader(_blocks);
        var unknown = Cid.ForRaw([1, 2, 3]);

        Assert.False(reader.Has(unknown));
        Assert.Null(reader.TryOpen(unknown));
        Assert.Equal(unknown, Assert.Throws<BlockNotFoundException>(() => reader.Open(unknown)).Cid);
    }

    [Fact]
    public void A_corrupted_file_is_refused_unless_the_caller_hashes_it_itself()
    {
        var (cid, bytes) = StoreBlock(2);
        var reader = new BlockReader(_blocks);
        CorruptInPlace(_blocks.GetBlockPath(cid), keepWriteTime: false);

        var error = Assert.Throws<BlockCorruptedException>(() => reader.Open(cid));
        Assert.Contains(_blocks.GetBlockPath(cid), error.Message, StringComparison.Ordinal);
        using var unchecked_ = reader.Open(cid, verify: false);
        Assert.NotEqual(bytes, unchecked_.Memory.ToArray());
        Assert.Equal(bytes.Length, unchecked_.Memory.Length);
    }

    [Fact]
    public void A_settled_file_is_trusted_while_its_stamp_holds_and_hashed_again_once_it_changes()
    {
        var (cid, _) = StoreBlock(3);
        string path = _blocks.GetBlockPath(cid);
        var settled = DateTime.UtcNow - TimeSpan.FromHours(1);
        File.SetLastWriteTimeUtc(path, settled);
        var reader = new BlockReader(_blocks);
        reader.Open(cid).Dispose(); // hashed, and the stamp remembered

        // Same length and write time: the bytes are not hashed again (hot content stays cheap).
        CorruptInPlace(path, keepWriteTime: true);
        reader.Open(cid).Dispose();

        // Forgotten (as the verify action does), or the stamp moved: hashed again, and caught.
        reader.Forget(cid);
        Assert.Throws<BlockCorruptedException>(() => reader.Open(cid));
        File.SetLastWriteTimeUtc(path, settled + TimeSpan.FromMinutes(1));
        Assert.Throws<BlockCorruptedException>(() => reader.Open(cid));
    }

    [Fact]
    public void A_file_rewritten_with_a_stamp_too_fresh_to_trust_is_hashed_again()
    {
        // File systems keep write times at a coarse clock: a same-length rewrite within one tick of
        // the hash keeps the stamp. A stamp that new is never remembered, so the rewrite is caught.
        var (cid, _) = StoreBlock(4);
        string path = _blocks.GetBlockPath(cid);
        var fresh = DateTime.UtcNow;
        File.SetLastWriteTimeUtc(path, fresh);
        var reader = new BlockReader(_blocks);
        reader.Open(cid).Dispose();

        CorruptInPlace(path, keepWriteTime: true);
        Assert.Equal(fresh, File.GetLastWriteTimeUtc(path));

        Assert.Throws<BlockCorruptedException>(() => reader.Open(cid));
    }

    [Fact]
    public void A_block_collected_between_the_check_and_the_open_is_absent()
    {
        var (cid, _) = StoreBlock(5);
        var reader = new BlockReader(_blocks);
        Assert.True(reader.Has(cid));

        _blocks.Delete(cid);

        Assert.Null(reader.TryOpen(cid));
        Assert.Throws<BlockNotFoundException>(() => reader.Open(cid));
    }

    [Fact]
    public void An_empty_block_is_empty_bytes_and_an_empty_file_under_another_cid_is_corrupt()
    {
        var reader = new BlockReader(_blocks);
        var empty = Cid.ForRaw([]);
        _blocks.Put(empty, []);
        using (var block = reader.Open(empty))
        {
            Assert.True(block.Memory.IsEmpty);
        }

        var (cid, _) = StoreBlock(6);
        string path = _blocks.GetBlockPath(cid);
        File.SetAttributes(path, FileAttributes.Normal);
        File.WriteAllBytes(path, []);
        Assert.Throws<BlockCorruptedException>(() => reader.Open(cid));
    }

    [Fact]
    public void A_segment_file_is_read_when_the_repository_lacks_the_block_and_checked_like_any_file()
    {
        using var store = OpenStore(arena: false);
        using var batch = SampleBatches.Build(7, 9);
        var cid = store.Publish(batch).Cid;
        var reader = new BlockReader(_blocks, store);

        Assert.True(reader.Has(cid));
        using (var block = reader.Open(cid))
        {
            Assert.Equal((BlockLocation.SegmentFile, store.PathOf(cid)), (block.Location, block.Where));
            Assert.Equal(CanonicalEncoder.Encode(batch), block.Memory.ToArray());
        }

        // The repository's copy comes first when there is one.
        _blocks.Put(cid, CanonicalEncoder.Encode(batch));
        using (var block = reader.Open(cid))
        {
            Assert.Equal(BlockLocation.RepositoryFile, block.Location);
        }

        _blocks.Delete(cid);
        CorruptInPlace(store.PathOf(cid), keepWriteTime: false);
        Assert.Throws<BlockCorruptedException>(() => reader.Open(cid));
    }

    [Fact]
    public void An_arena_slot_is_leased_in_place_for_as_long_as_the_block_is_held()
    {
        using var store = OpenStore(arena: true);
        using var batch = SampleBatches.Build(8, 4);
        var cid = store.Publish(batch).Cid;
        var reader = new BlockReader(_blocks, store);

        using (var block = reader.Open(cid))
        {
            Assert.Equal(BlockLocation.ArenaSlot, block.Location);
            Assert.Equal(CanonicalEncoder.Encode(batch), block.Memory.ToArray());
            Assert.True(Assert.Single(store.List()).Leased);
        }

        Assert.False(Assert.Single(store.List()).Leased);
    }

    [Fact]
    public void A_corrupted_arena_slot_is_refused_even_unverified_and_leaves_no_lease()
    {
        using var store = OpenStore(arena: true);
        using var batch = SampleBatches.Build(9, 4);
        var cid = store.Publish(batch).Cid;
        var entry = Assert.Single(store.List());
        FlipByte(entry.Path, entry.ArenaOffset!.Value + entry.Bytes - 24);

        var reader = new BlockReader(_blocks, store);

        // A slot is refilled in place, so it has no stamp to trust: it is hashed whatever the caller asks.
        Assert.Throws<BlockCorruptedException>(() => reader.Open(cid));
        Assert.Throws<BlockCorruptedException>(() => reader.Open(cid, verify: false));
        Assert.False(Assert.Single(store.List()).Leased);
    }

    [Fact]
    public void A_block_evicted_from_shared_memory_between_the_check_and_the_open_is_absent()
    {
        using var store = OpenStore(arena: true);
        using var batch = SampleBatches.Build(10, 4);
        var cid = store.Publish(batch).Cid;
        var reader = new BlockReader(_blocks, store);
        Assert.True(reader.Has(cid));

        Assert.True(store.Remove(cid));

        Assert.False(reader.Has(cid));
        Assert.Null(reader.TryOpen(cid));
    }

    [Fact]
    public void Only_raw_sha256_blocks_are_looked_for_in_shared_memory()
    {
        using var store = OpenStore(arena: true);
        var reader = new BlockReader(_blocks, store);
        var manifest = Cid.ForDagCbor([0xA0]);

        // The store refuses other CIDs outright; the reader does not ask it.
        Assert.False(reader.Has(manifest));
        Assert.Null(reader.TryOpen(manifest));
    }

    private (Cid Cid, byte[] Bytes) StoreBlock(int seed)
    {
        using var batch = SampleBatches.Build(seed, 9);
        byte[] bytes = CanonicalEncoder.Encode(batch);
        var cid = Cid.ForRaw(bytes);
        _blocks.Put(cid, bytes);
        return (cid, bytes);
    }

    // Flips a byte near the end of a block file (a value byte: the stream still parses, only the hash can tell), keeping the length.
    private static void CorruptInPlace(string path, bool keepWriteTime)
    {
        var written = File.GetLastWriteTimeUtc(path);
        File.SetAttributes(path, FileAttributes.Normal);
        FlipByte(path, new FileInfo(path).Length - 20);
        if (keepWriteTime)
        {
            File.SetLastWriteTimeUtc(path, written);
        }
    }

    private static void FlipByte(string path, long at)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        byte[] one = new byte[1];
        RandomAccess.Read(file, one, at);
        one[0] ^= 0x5A;
        RandomAccess.Write(file, one, at);
    }

    private ShmStore OpenStore(bool arena) => ShmStore.Open(new ShmStoreOptions
    {
        BaseDirectory = _shmBase,
        StoreName = "reader",
        // A small arena (the default one reserves gigabytes of address space); 0 puts every batch in a file.
        ArenaSlotBytes = arena ? ShmStoreOptions.DefaultArenaSlotBytes : 0,
        ArenaSlots = 256,
        ArenaSmallSlots = 64,
    });
}
