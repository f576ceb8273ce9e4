using System.Buffers.Binary;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;
using ArrowCid.TestSupport;

namespace ArrowCid.Content.Tests.Canonical;

/// <summary>
/// <see cref="CanonicalBlockLayout"/> over the committed canonical vectors, over streams written by
/// the Arrow reference implementations (the integration golden files), and over every way a block
/// can be cut or mangled: each refusal is a <see cref="ContentFormatException"/> whose offset is
/// where the bytes go wrong.
/// </summary>
public class CanonicalBlockLayoutTests
{
    [Theory]
    [MemberData(nameof(CanonicalVectorTests.Vectors), MemberType = typeof(CanonicalVectorTests))]
    public void A_canonical_vector_is_its_schema_message_dictionaries_one_batch_and_the_end_marker(string name, string sha256Hex, long length, string cid)
    {
        _ = sha256Hex;
        using var batch = CanonicalVectorTests.Batch(name);
        byte[] block = CanonicalEncoder.Encode(batch);
        Assert.Equal(length, block.Length);

        var layout = CanonicalBlockLayout.Parse(block, Cid.Parse(cid));

        // The schema message is exactly the dataset schema message a manifest stores, encoded apart.
        Assert.Equal(DatasetSchemaMessage.Encode(batch.Schema), layout.SchemaMessage.ToArray());
        Assert.Equal((0, MessageKind.Schema, 0), (layout.Schema.Offset, layout.Schema.Kind, layout.Schema.Body.Length));
        Assert.Equal(name == "dictionary_and_list" ? 1 : 0, layout.Dictionaries.Count);
        Assert.All(layout.Dictionaries, d => Assert.Equal(MessageKind.DictionaryBatch, d.Kind));
        Assert.Equal(MessageKind.RecordBatch, layout.RecordBatch.Kind);
        Assert.Equal(block.Length - CanonicalBlockLayout.EndOfStreamLength, layout.EndOfStreamOffset);

        // The messages tile the block: each starts where the one before ends, and with the marker they are all of it.
        int at = 0;
        foreach (var message in layout.Messages)
        {
            Assert.Equal(at, message.Offset);
            Assert.Equal(8, message.PrefixLength);
            Assert.Equal(0, message.Metadata.Length % 8);
            Assert.Equal(0, message.Body.Length % 8);
            Assert.True(block.AsSpan(message.BodyOffset, message.Body.Length).SequenceEqual(message.Body.Span));
            at = message.End;
        }

        Assert.Equal(layout.EndOfStreamOffset, at);
        Assert.Equal(block[layout.SchemaMessage.Length..layout.EndOfStreamOffset], layout.BatchMessages.ToArray());
    }

    [Fact]
    public void The_int32_vector_has_a_24_byte_batch_body()
    {
        // Three int32 values with a null: a validity byte padded to 8 and 12 value bytes padded to 16.
        byte[] block = CanonicalEncoder.Encode(CanonicalVectors.Int32WithNull());
        var layout = CanonicalBlockLayout.Parse(block);
        Assert.Equal(24, layout.RecordBatch.Body.Length);
        Assert.Equal(304 - 8 - 24, layout.RecordBatch.BodyOffset);
    }

    [Fact]
    public void Every_dictionary_gets_its_message_before_the_batch()
    {
        var schema = new Schema([
            new Field("colour", ArrowType.Dictionary(ArrowType.Int8, ArrowType.Utf8)),
            new Field("n", ArrowType.Int64),
            new Field("size", ArrowType.Dictionary(ArrowType.Int32, ArrowType.Utf8)),
        ]);
        using var batch = RandomBatches.Build(schema, [["red", 1L, "S"], ["blue", 2L, "XL"], [null, 3L, "S"]]);
        byte[] block = CanonicalEncoder.Encode(batch);

        var layout = CanonicalBlockLayout.Parse(block);

        Assert.Equal(2, layout.Dictionaries.Count);
        Assert.Equal(layout.Schema.End, layout.Dictionaries[0].Offset);
        Assert.Equal(layout.Dictionaries[0].End, layout.Dictionaries[1].Offset);
        Assert.Equal(layout.Dictionaries[1].End, layout.RecordBatch.Offset);
    }

    [Theory]
    [InlineData("generated_primitive")]
    [InlineData("generated_dictionary")]
    [InlineData("generated_nested")]
    public void A_reference_stream_of_several_batches_is_refused_at_its_second_batch(string golden)
    {
        byte[] stream = File.ReadAllBytes(GoldenStream(golden));
        var batches = IpcMessageDecoder.EnumerateMessages(stream).Where(m => m.Kind == MessageKind.RecordBatch).ToList();
        Assert.True(batches.Count > 1);

        var error = Assert.Throws<ContentFormatException>(() => CanonicalBlockLayout.Parse(stream));

        Assert.Contains("more than one record batch", error.Message, StringComparison.Ordinal);
        Assert.Equal(batches[1].Offset, error.Offset);
    }

    [Fact]
    public void A_reference_stream_without_batches_is_refused_where_the_batch_should_be()
    {
        byte[] stream = File.ReadAllBytes(GoldenStream("generated_primitive_no_batches"));
        var schema = IpcMessageDecoder.EnumerateMessages(stream).Single();

        var error = Assert.Throws<ContentFormatException>(() => CanonicalBlockLayout.Parse(stream));

        Assert.Contains("no record batch", error.Message, StringComparison.Ordinal);
        Assert.Equal(schema.End, error.Offset);
    }

    [Fact]
    public void Every_truncation_is_a_typed_error_at_or_before_the_cut()
    {
        byte[] block = CanonicalEncoder.Encode(CanonicalVectors.DictionaryAndList());
        var layout = CanonicalBlockLayout.Parse(block);
        for (int cut = 0; cut < block.Length; cut++)
        {
            var error = Assert.Throws<ContentFormatException>(() => CanonicalBlockLayout.Parse(block.AsMemory(0, cut)));
            Assert.InRange(Assert.NotNull(error.Offset), 0, cut);
        }

        // Cut inside the batch's body: the batch message is the one that does not fit.
        var inBody = Assert.Throws<ContentFormatException>(() => CanonicalBlockLayout.Parse(block.AsMemory(0, layout.RecordBatch.BodyOffset + 4)));
        Assert.Equal(layout.RecordBatch.Offset, inBody.Offset);

        // Cut at the marker: everything is there but the end.
        var noEnd = Assert.Throws<ContentFormatException>(() => CanonicalBlockLayout.Parse(block.AsMemory(0, layout.EndOfStreamOffset)));
        Assert.Contains("end-of-stream", noEnd.Message, StringComparison.Ordinal);
        Assert.Equal(layout.EndOfStreamOffset, noEnd.Offset);
    }

    [Fact]
    public void Empty_input_has_no_schema_message()
    {
        var error = Assert.Throws<ContentFormatException>(() => CanonicalBlockLayout.Parse(ReadOnlyMemory<byte>.Empty));
        Assert.Contains("no Schema message", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, error.Offset);
    }

    [Fact]
    public void Bytes_after_the_end_marker_are_refused_where_they_start()
    {
        byte[] block = CanonicalEncoder.Encode(CanonicalVectors.Mixed());
        byte[] longer = [.. block, 0];
        var error = Assert.Throws<ContentFormatException>(() => CanonicalBlockLayout.Parse(longer));
        Assert.Equal(block.Length, error.Offset);
    }

    [Fact]
    public void A_second_record_batch_is_refused_at_its_offset()
    {
        byte[] block = CanonicalEncoder.Encode(CanonicalVectors.Int32WithNull());
        var layout = CanonicalBlockLayout.Parse(block);
        byte[] batch = block[layout.RecordBatch.Offset..layout.RecordBatch.End];
        byte[] twice = [.. block[..layout.EndOfStreamOffset], .. batch, .. block[layout.EndOfStreamOffset..]];

        var error = Assert.Throws<ContentFormatException>(() => CanonicalBlockLayout.Parse(twice));

        Assert.Contains("more than one record batch", error.Message, StringComparison.Ordinal);
        Assert.Equal(layout.EndOfStreamOffset, error.Offset);
    }

    [Fact]
    public void A_dictionary_after_the_batch_is_refused_at_its_offset()
    {
        byte[] block = CanonicalEncoder.Encode(CanonicalVectors.DictionaryAndList());
        var layout = CanonicalBlockLayout.Parse(block);
        var dictionary = layout.Dictionaries[0];
        byte[] moved = [.. block[..dictionary.Offset], .. block[layout.RecordBatch.Offset..layout.RecordBatch.End], .. block[dictionary.Offset..dictionary.End], .. block[layout.EndOfStreamOffset..]];

        var error = Assert.Throws<ContentFormatException>(() => CanonicalBlockLayout.Parse(moved));

        Assert.Contains("DictionaryBatch message after the record batch", error.Message, StringComparison.Ordinal);
        Assert.Equal(dictionary.Offset + layout.RecordBatch.Length, error.Offset);
    }

    [Fact]
    public void A_block_that_does_not_open_with_the_schema_is_refused_at_0()
    {
        byte[] block = CanonicalEncoder.Encode(CanonicalVectors.Int32WithNull());
        var layout = CanonicalBlockLayout.Parse(block);

        var error = Assert.Throws<ContentFormatException>(() => CanonicalBlockLayout.Parse(block.AsMemory(layout.Schema.End)));

        Assert.Contains("not the Schema message", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, error.Offset);
    }

    [Fact]
    public void The_legacy_framing_without_the_continuation_marker_is_refused()
    {
        // Pre-0.15 framing: the same message behind a bare int32 length, readable by Arrow readers but never canonical.
        byte[] block = CanonicalEncoder.Encode(CanonicalVectors.Int32WithNull());
        byte[] legacy = block[4..];

        var error = Assert.Throws<ContentFormatException>(() => CanonicalBlockLayout.Parse(legacy));

        Assert.Contains("continuation marker", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, error.Offset);
    }

    [Fact]
    public void An_impossible_metadata_length_is_refused_at_its_message()
    {
        byte[] block = CanonicalEncoder.Encode(CanonicalVectors.Mixed());
        var layout = CanonicalBlockLayout.Parse(block);
        byte[] broken = block.ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(broken.AsSpan(layout.RecordBatch.Offset + 4), int.MaxValue);

        var error = Assert.Throws<ContentFormatException>(() => CanonicalBlockLayout.Parse(broken));

        Assert.Equal(layout.RecordBatch.Offset, error.Offset);
    }

    [Fact]
    public void Garbage_is_always_a_typed_error_with_an_offset_inside_it()
    {
        var random = new Random(20_261_122);
        byte[] block = CanonicalEncoder.Encode(CanonicalVectors.StructViewAndRuns());
        for (int round = 0; round < 2_000; round++)
        {
            byte[] input = round % 2 == 0 ? RandomBytes(random) : Mangle(block, random);
            try
            {
                var layout = CanonicalBlockLayout.Parse(input);
                // A mangling that leaves the framing intact (a flipped value byte) still lays out, up to the marker.
                Assert.Equal(input.Length - CanonicalBlockLayout.EndOfStreamLength, layout.EndOfStreamOffset);
            }
            catch (ContentFormatException e)
            {
                Assert.InRange(Assert.NotNull(e.Offset), 0, input.Length);
            }
        }
    }

    [Fact]
    public void A_schema_message_other_than_the_datasets_is_refused_at_the_first_differing_byte()
    {
        byte[] block = CanonicalEncoder.Encode(CanonicalVectors.Int32WithNull());
        var layout = CanonicalBlockLayout.Parse(block);
        byte[] other = DatasetSchemaMessage.Encode(new Schema([new Field("y", ArrowType.Int32)]));

        layout.RequireSchemaMessage(layout.SchemaMessage.Span);
        var error = Assert.Throws<ContentFormatException>(() => layout.RequireSchemaMessage(other));

        long expected = layout.SchemaMessage.Span.CommonPrefixLength(other);
        Assert.Equal(expected, error.Offset);
        Assert.True(expected < other.Length);
    }

    [Theory]
    [MemberData(nameof(CanonicalVectorTests.Vectors), MemberType = typeof(CanonicalVectorTests))]
    public void A_chunk_parsed_against_its_tables_schema_message_has_the_layout_a_full_parse_finds(string name, string sha256Hex, long length, string cid)
    {
        _ = (sha256Hex, length);
        using var batch = CanonicalVectorTests.Batch(name);
        byte[] block = CanonicalEncoder.Encode(batch);
        byte[] schemaMessage = DatasetSchemaMessage.Encode(batch.Schema);

        var full = CanonicalBlockLayout.Parse(block, Cid.Parse(cid));
        var chunk = CanonicalBlockLayout.ParseChunk(block, schemaMessage, Cid.Parse(cid));

        Assert.Equal(
            full.Messages.Select(m => (m.Offset, m.PrefixLength, m.Kind, m.Metadata.ToArray(), m.Body.ToArray())),
            chunk.Messages.Select(m => (m.Offset, m.PrefixLength, m.Kind, m.Metadata.ToArray(), m.Body.ToArray())));
        Assert.Equal(full.EndOfStreamOffset, chunk.EndOfStreamOffset);
    }

    [Fact]
    public void A_chunk_whose_schema_message_is_not_the_tables_or_whose_rest_is_damaged_is_refused_where_it_goes_wrong()
    {
        byte[] block = CanonicalEncoder.Encode(CanonicalVectors.Int32WithNull());
        byte[] own = CanonicalBlockLayout.Parse(block).SchemaMessage.ToArray();
        byte[] other = DatasetSchemaMessage.Encode(new Schema([new Field("y", ArrowType.Int32)]));

        var error = Assert.Throws<ContentFormatException>(() => CanonicalBlockLayout.ParseChunk(block, other));
        Assert.Equal(own.AsSpan().CommonPrefixLength(other), error.Offset);
        Assert.Throws<ContentFormatException>(() => CanonicalBlockLayout.ParseChunk(block.AsMemory(0, own.Length - 8), own));

        // Past the schema: the end-of-stream marker cut off is found at its offset in the whole block.
        byte[] cut = block[..^8];
        var noMarker = Assert.Throws<ContentFormatException>(() => CanonicalBlockLayout.ParseChunk(cut, own));
        Assert.Equal(cut.Length, noMarker.Offset);
        Assert.Contains("end-of-stream", noMarker.Message, StringComparison.Ordinal);
    }

    private static string GoldenStream(string name) =>
        Path.Combine(RepositoryPaths.TestData, "arrow-ipc-golden", "1.0.0-littleendian", name + ".stream");

    private static byte[] RandomBytes(Random random)
    {
        byte[] bytes = new byte[random.Next(0, 64)];
        random.NextBytes(bytes);
        if (bytes.Length >= 8 && random.Next(2) == 0)
        {
            // Often a well-formed prefix, so the metadata reader is reached too.
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, 0xFFFFFFFF);
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), random.Next(0, bytes.Length));
        }

        return bytes;
    }

    private static byte[] Mangle(byte[] block, Random random)
    {
        byte[] copy = block.ToArray();
        for (int i = random.Next(1, 4); i > 0; i--)
        {
            copy[random.Next(copy.Length)] ^= (byte)random.Next(1, 256);
        }

        return random.Next(3) == 0 ? copy[..random.Next(copy.Length)] : copy;
    }
}
