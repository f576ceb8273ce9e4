using System.Buffers.Binary;
using ArrowCid.Content.Car;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Tests.Car;

public class CarV2Tests
{
    [Fact]
    public void Starts_with_the_pragma_and_a_coherent_header()
    {
        var car = CarTestData.CarV2(out _);
        Assert.Equal("0aa16776657273696f6e02", Convert.ToHexStringLower(car.AsSpan(0, 11)));
        ulong dataOffset = BinaryPrimitives.ReadUInt64LittleEndian(car.AsSpan(11 + 16));
        ulong dataSize = BinaryPrimitives.ReadUInt64LittleEndian(car.AsSpan(11 + 24));
        ulong indexOffset = BinaryPrimitives.ReadUInt64LittleEndian(car.AsSpan(11 + 32));
        Assert.Equal(51UL, dataOffset);
        Assert.Equal(dataOffset + dataSize, indexOffset);
        Assert.Equal(CarTestData.CarV1(out _), car.AsSpan(51, (int)dataSize).ToArray());
        // The index begins with varint(0x0401) = 81 08.
        Assert.Equal(new byte[] { 0x81, 0x08 }, car.AsSpan((int)indexOffset, 2).ToArray());
    }

    [Fact]
    public void Streaming_reader_reads_the_payload_of_a_v2()
    {
        var car = CarTestData.CarV2(out var blocks);
        var reader = CarReader.Open(new MemoryStream(car));
        Assert.Equal(2, reader.Version);
        Assert.Equal([blocks[0].Cid], reader.Roots);
        Assert.Equal(blocks.Select(b => b.Cid), reader.ReadBlocks().Select(b => b.Cid));
    }

    [Fact]
    public void Index_finds_every_non_identity_block()
    {
        var car = CarTestData.CarV2(out var blocks);
        var reader = CarV2Reader.Open(new MemoryStream(car));
        Assert.NotNull(reader.Index);
        Assert.Equal(blocks.Count(b => b.Cid.Hash.Code != Multicodec.Identity), reader.Index!.Count);
        foreach (var (cid, data) in blocks.Where(b => b.Cid.Hash.Code != Multicodec.Identity))
        {
            Assert.True(reader.TryGetBlock(cid.Hash, out var block));
            Assert.Equal(cid, block.Cid);
            Assert.Equal(data, block.Data.ToArray());
        }

        Assert.False(reader.TryGetBlock(Multihash.Sha256([9, 9, 9]), out _));
        Assert.Equal(blocks.Count, reader.ReadBlocks().Count());
    }

    [Fact]
    public void Index_round_trips_and_keeps_digests_sorted()
    {
        var entries = Enumerable.Range(0, 50).Select(i => (Multihash.Sha256([(byte)i]), (ulong)(i * 10))).ToList();
        var index = CarMultihashIndex.Build(entries);
        var parsed = CarMultihashIndex.Parse(index.ToBytes(), 1000);
        foreach (var (hash, offset) in entries)
        {
            Assert.True(parsed.TryFind(hash, out ulong found));
            Assert.Equal(offset, found);
        }
    }

    [Fact]
    public void Index_offsets_outside_the_payload_are_refused()
    {
        var index = CarMultihashIndex.Build([(Multihash.Sha256([1]), 500UL)]).ToBytes();
        var ex = Assert.Throws<ContentFormatException>(() => CarMultihashIndex.Parse(index, 500));
        Assert.Contains("outside the data payload", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Index_entry_pointing_at_another_block_is_an_error()
    {
        var car = CarTestData.CarV2(out var blocks);
        var reader = CarV2Reader.Open(new MemoryStream(car));
        var first = blocks[1].Cid.Hash;
        var second = blocks[2].Cid.Hash;
        Assert.True(reader.Index!.TryFind(first, out ulong firstOffset));
        Assert.True(reader.Index.TryFind(second, out ulong secondOffset));
        // Overwrite the stored offset of the first entry with the second's.
        int indexOffset = (int)reader.Header.IndexOffset;
        int at = car.AsSpan(indexOffset).IndexOf(first.Digest) + 32;
        BinaryPrimitives.WriteUInt64LittleEndian(car.AsSpan(indexOffset + at), secondOffset);
        var tampered = CarV2Reader.Open(new MemoryStream(car));
        var ex = Assert.Throws<ContentFormatException>(() => tampered.TryGetBlock(first, out _));
        Assert.Contains("points at the block", ex.Message, StringComparison.Ordinal);
        Assert.NotEqual(firstOffset, secondOffset);
    }

    [Fact]
    public void Header_offsets_are_validated()
    {
        var car = CarTestData.CarV2(out _);
        var badOffset = car.ToArray();
        BinaryPrimitives.WriteUInt64LittleEndian(badOffset.AsSpan(11 + 16), 10);
        Assert.Contains("inside the header", Assert.Throws<ContentFormatException>(() => CarReader.Open(new MemoryStream(badOffset))).Message, StringComparison.Ordinal);

        var badSize = car.ToArray();
        BinaryPrimitives.WriteUInt64LittleEndian(badSize.AsSpan(11 + 24), (ulong)car.Length);
        Assert.Throws<ContentFormatException>(() => CarV2Reader.Open(new MemoryStream(badSize)));

        var badIndex = car.ToArray();
        BinaryPrimitives.WriteUInt64LittleEndian(badIndex.AsSpan(11 + 32), 60);
        Assert.Contains("not after the data payload", Assert.Throws<ContentFormatException>(() => CarV2Reader.Open(new MemoryStream(badIndex))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Payload_shorter_than_declared_is_truncation()
    {
        var car = CarTestData.CarV2(out _);
        ulong dataSize = BinaryPrimitives.ReadUInt64LittleEndian(car.AsSpan(11 + 24));
        var truncated = car.AsSpan(0, 51 + (int)dataSize - 3).ToArray();
        Assert.Throws<ContentFormatException>(() => CarReader.Open(new MemoryStream(truncated)).ReadBlocks().ToList());
    }

    [Fact]
    public void Writer_requires_a_seekable_stream()
    {
        Assert.Throws<ArgumentException>(() => new CarV2Writer(new ForwardOnlyStream([]), []));
    }
}
