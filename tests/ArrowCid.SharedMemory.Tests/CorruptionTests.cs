using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Canonical;

namespace ArrowCid.SharedMemory.Tests;

/// <summary>Segments changed behind the store's back are refused with a typed error, never read.</summary>
public sealed class CorruptionTests : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(SegmentVerification.Full)]
    [InlineData(SegmentVerification.TrustOwnSegments)]
    public void A_flipped_byte_in_a_value_buffer_is_refused_by_the_hash(SegmentVerification verification)
    {
        using var store = _temp.Open(verification: SegmentVerification.Full);
        var published = store.Publish(Batches.Make(10));
        SegmentFiles.Rewrite(published.Path, bytes => bytes[^40] ^= 0x5A);
        MakeForeign(published.Path, verification);
        using var reader = ShmStore.Open(_temp.Options(verification: verification));

        Assert.Throws<ShmSegmentCorruptedException>(() => reader.Attach(published.Cid));
    }

    [Fact]
    public void Every_truncation_of_a_segment_is_refused()
    {
        using var store = _temp.Open();
        var published = store.Publish(Batches.Make(11));
        byte[] original = File.ReadAllBytes(published.Path);
        for (int length = 0; length < original.Length; length += 7)
        {
            File.WriteAllBytes(published.Path, original[..length]);
            Assert.Throws<ShmSegmentCorruptedException>(() => store.Attach(published.Cid));
        }
    }

    [Fact]
    public void Trusted_mode_still_validates_the_structure_of_a_truncated_segment()
    {
        using var store = _temp.Open(verification: SegmentVerification.TrustOwnSegments);
        var published = store.Publish(Batches.Make(12));
        byte[] original = File.ReadAllBytes(published.Path);
        // Cut inside the record batch body: without the hash only validation stands between us and the end of the mapping.
        foreach (int cut in new[] { original.Length - 9, original.Length / 2, 8, 0 })
        {
            File.WriteAllBytes(published.Path, original[..cut]);
            Assert.Throws<ShmSegmentCorruptedException>(() => store.Attach(published.Cid));
        }
    }

    [Fact]
    public void Trusted_mode_refuses_a_large_segment_with_a_second_batch_or_a_damaged_end()
    {
        // Past 64 KiB the trusted attach checks the end-of-stream marker with pread and reads the
        // stream without it: a batch slipped in before the marker, or a damaged marker, is still refused.
        using var store = _temp.Open(verification: SegmentVerification.TrustOwnSegments);
        // A chunk of a table: more than 64 KiB (no chunk ends before 64 KiB of values), at most 1 MiB.
        var chunk = store.OpenTable(store.Publish(Batches.Make(15, rows: 40_000)).Cid).Chunks[0];
        var published = new { chunk.Cid, Path = store.PathOf(chunk.Cid) };
        byte[] original = File.ReadAllBytes(published.Path);
        Assert.True(original.Length > 64 << 10);
        using (var attached = store.Attach(published.Cid))
        {
            Assert.Equal(chunk.Rows, attached.Length);
        }

        byte[] other = CanonicalEncoder.Encode(Batches.Make(16));
        int schemaLength = SchemaMessageLength(other);
        // original without its marker + the other stream's batch message and marker: two batches.
        File.WriteAllBytes(published.Path, [.. original[..^8], .. other[schemaLength..]]);
        var error = Assert.Throws<ShmSegmentCorruptedException>(() => store.Attach(published.Cid));
        Assert.Contains("more than one record batch", error.Message, StringComparison.Ordinal);

        byte[] damaged = [.. original];
        damaged[^1] = 1;
        File.WriteAllBytes(published.Path, damaged);
        Assert.Throws<ShmSegmentCorruptedException>(() => store.Attach(published.Cid));
    }

    // The schema message's framed length: continuation, length, metadata padded to 8 (no body).
    private static int SchemaMessageLength(byte[] stream) => 8 + BitConverter.ToInt32(stream, 4);

    [Fact]
    public void A_segment_holding_another_batch_is_refused_under_its_name()
    {
        using var store = _temp.Open();
        var published = store.Publish(Batches.Make(13));
        File.WriteAllBytes(published.Path, CanonicalEncoder.Encode(Batches.Make(14)));

        var error = Assert.Throws<ShmSegmentCorruptedException>(() => store.Attach(published.Cid));
        Assert.Contains("do not hash", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_large_batch_is_published_as_chunks_and_reads_back_whole()
    {
        using var store = _temp.Open();
        var values = new long[1 << 20];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = i * 3L;
        }

        var column = new ArrayData(ArrowType.Int64, values.Length, 0, 0, [ReadOnlyMemory<byte>.Empty, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray()]);
        var batch = new RecordBatch(new Schema([new Field("v", ArrowType.Int64, nullable: false)]), values.Length, [column]);
        var published = store.Publish(batch);

        Assert.Equal(Repository.ContentRepository.ComputeCids(batch.Schema, [batch]).Table.Cid, published.Cid);
        using var attached = store.AttachTable(published.Cid);
        Assert.True(attached.Batches.Count > 8);
        Assert.Equal(values.Length, attached.Batches.Sum(b => b.Length));
        Assert.Equal(3L * (values.Length - 1), BitConverter.ToInt64(attached.Batches[^1].Column(0).Buffers[1].Span[^8..]));
    }

    // In trusted mode a segment that others could have written must still be hashed: make it group-writable.
    private static void MakeForeign(string path, SegmentVerification verification)
    {
        if (verification == SegmentVerification.TrustOwnSegments)
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite);
        }
    }
}
