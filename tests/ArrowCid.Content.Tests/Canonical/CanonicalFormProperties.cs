using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Compression;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Canonical;
using FsCheck;
using FsCheck.Fluent;

namespace ArrowCid.Content.Tests.Canonical;

/// <summary>
/// Properties of the canonical form over random batches (<see cref="RandomBatches"/>): every
/// logically equal variant of a batch (sliced, scrambled, compressed and read back, written as a
/// file, metadata reordered) has the same canonical bytes; the bytes read back equal the input;
/// normalising is idempotent and zero-copy on canonical input. FsCheck draws the seeds; each
/// failure message names its seed.
/// </summary>
public class CanonicalFormProperties
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(150).WithReplay(20240611UL, 77UL);

    private static readonly Arbitrary<int> Seeds = Arb.From(Gen.Choose(0, int.MaxValue));

    private static void ForAllBatches(Action<Random, RecordBatch> property) => ForAllRows((r, _, batch) => property(r, batch));

    private static void ForAllRows(Action<Random, List<object?[]>, RecordBatch> property) =>
        Prop.ForAll(Seeds, seed =>
        {
            var r = new Random(seed);
            var (schema, rows) = RandomBatches.Generate(r);
            try
            {
                property(r, rows, RandomBatches.Build(schema, rows));
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"seed {seed}, schema:\n{schema}", e);
            }
        }).Check(Config);

    private static void AssertSameBytes(RecordBatch expected, RecordBatch variant, string what)
    {
        Assert.True(ArrayEquality.Equals(expected, variant, out var difference), $"{what} is not logically equal (test bug): {difference}");
        var a = CanonicalEncoder.Encode(expected);
        var b = CanonicalEncoder.Encode(variant);
        int at = a.AsSpan().CommonPrefixLength(b);
        Assert.True(a.Length == b.Length && at == a.Length, $"{what}: canonical bytes differ at {at} (lengths {a.Length}, {b.Length})");
    }

    [Fact]
    public void A_slice_of_a_larger_batch_encodes_like_the_same_rows_built_directly()
    {
        ForAllRows((r, rows, batch) =>
        {
            var before = RandomBatches.Rows(r, batch.Schema, r.Next(0, 9));
            var after = RandomBatches.Rows(r, batch.Schema, r.Next(0, 5));
            var larger = RandomBatches.Build(batch.Schema, before.Concat(rows).Concat(after));
            AssertSameBytes(batch, larger.Slice(before.Count, batch.Length), "slice");
        });
    }

    [Fact]
    public void Scrambled_layouts_encode_like_the_original()
    {
        ForAllBatches((r, batch) => AssertSameBytes(batch, LayoutScrambler.Scramble(batch, r), "scrambled layout"));
    }

    [Fact]
    public void Compressed_streams_and_files_read_back_encode_like_the_original()
    {
        ForAllBatches((r, batch) =>
        {
            var sliced = LayoutScrambler.Scramble(batch, r);
            foreach (var codec in new[] { CompressionCodec.Lz4Frame, CompressionCodec.Zstd, CompressionCodec.None })
            {
                var options = new IpcWriteOptions { Compression = codec, BufferAlignment = r.Next(2) == 0 ? 8 : 64 };
                var stream = new MemoryStream();
                using (var writer = new ArrowStreamWriter(stream, batch.Schema, options, leaveOpen: true))
                {
                    writer.Write(sliced);
                }

                using var reader = new ArrowStreamReader(stream.ToArray().AsMemory());
                AssertSameBytes(batch, reader.ReadNext()!, $"stream {codec}");

                var file = new MemoryStream();
                using (var writer = new ArrowFileWriter(file, batch.Schema, options, leaveOpen: true))
                {
                    writer.Write(sliced);
                }

                using var fileReader = new ArrowFileReader(file.ToArray().AsMemory());
                AssertSameBytes(batch, fileReader.ReadRecordBatch(0), $"file {codec}");
            }
        });
    }

    [Fact]
    public void Metadata_order_does_not_change_the_bytes()
    {
        ForAllBatches((r, batch) =>
        {
            var schema = new Schema(
                batch.Schema.Fields.Select(f => f.WithMetadata(f.Metadata.Reverse())),
                batch.Schema.Metadata.OrderBy(_ => r.Next()));
            AssertSameBytes(batch, new RecordBatch(schema, batch.Length, batch.Columns), "metadata reordered");
        });
    }

    [Fact]
    public void Canonical_bytes_read_back_equal_the_input_and_are_canonical()
    {
        ForAllBatches((r, batch) =>
        {
            var variant = LayoutScrambler.Scramble(batch, r);
            var bytes = CanonicalEncoder.Encode(variant);
            using var reader = new ArrowStreamReader(bytes.AsMemory());
            var read = reader.ReadNext()!;
            Assert.Null(reader.ReadNext());
            Assert.True(ArrayEquality.Equals(batch, read, out var difference), difference);
            Assert.True(CanonicalEncoder.IsCanonical(bytes));
            var (cid, length) = CanonicalEncoder.ComputeCidAndLength(variant);
            Assert.Equal(bytes.Length, length);
            Assert.Equal(cid, CanonicalEncoder.VerifyCanonical(bytes.AsMemory()));
            Assert.StartsWith("bafkrei", cid.ToString(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Normalize_is_idempotent_and_zero_copy_on_canonical_input()
    {
        ForAllBatches((r, batch) =>
        {
            var variant = LayoutScrambler.Scramble(batch, r);
            var normalized = CanonicalArrays.Normalize(variant);
            Assert.True(ArrayEquality.Equals(batch, normalized, out var difference), difference);
            Assert.Equal(CanonicalEncoder.Encode(variant), CanonicalEncoder.Encode(normalized));
            Assert.Same(normalized, CanonicalArrays.Normalize(normalized));

            // Read from canonical bytes: every buffer is a slice of those bytes, and stays so.
            var bytes = CanonicalEncoder.Encode(batch);
            using var reader = new ArrowStreamReader(bytes.AsMemory());
            var read = reader.ReadNext()!;
            var again = CanonicalArrays.Normalize(read);
            Assert.Same(read, again);
            Assert.True(CanonicalArrays.IsCanonical(read));
        });
    }

    [Fact]
    public void Variants_that_write_different_bytes_are_not_canonical()
    {
        int rejected = 0;
        ForAllBatches((r, batch) =>
        {
            var variant = LayoutScrambler.Scramble(batch, r);
            var stream = new MemoryStream();
            using (var writer = new ArrowStreamWriter(stream, variant.Schema, new IpcWriteOptions { SortMetadata = true }, leaveOpen: true))
            {
                writer.Write(variant);
            }

            var raw = stream.ToArray();
            bool same = raw.AsSpan().SequenceEqual(CanonicalEncoder.Encode(batch));
            Assert.Equal(same, CanonicalEncoder.IsCanonical(raw.AsSpan()));

            // The check without the hash (for bytes hashed to their CID already) refuses the same.
            if (same)
            {
                CanonicalEncoder.CheckCanonical(raw.AsMemory());
            }
            else
            {
                Assert.Throws<ContentFormatException>(() => CanonicalEncoder.CheckCanonical(raw.AsMemory()));
            }

            rejected += same ? 0 : 1;
        });
        Assert.True(rejected > 0, "no scrambled variant wrote non-canonical bytes: the check was not exercised");
    }
}
