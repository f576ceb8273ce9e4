using System.Text;
using ArrowCid.Content.Car;
using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Tests.Car;

public class CarV1Tests
{
    [Fact]
    public void Header_is_a_length_prefixed_dag_cbor_map_of_roots_and_version()
    {
        var root = Cid.ForRaw([]);
        using var stream = new MemoryStream();
        _ = new CarV1Writer(stream, [root]);
        var bytes = stream.ToArray();
        // a2 | 65 "roots" | 81 d82a 58 25 00 <cid> | 67 "version" | 01
        var expectedHeader = "a2" + "65726f6f7473" + "81d82a582500" + Convert.ToHexStringLower(root.ToBytes()) + "6776657273696f6e" + "01";
        Assert.Equal(expectedHeader.Length / 2, bytes[0]);
        Assert.Equal(expectedHeader, Convert.ToHexStringLower(bytes.AsSpan(1)));
    }

    [Fact]
    public void Round_trips_blocks_in_order_with_roots()
    {
        var car = CarTestData.CarV1(out var blocks);
        var reader = CarReader.Open(new MemoryStream(car));
        Assert.Equal(1, reader.Version);
        Assert.Equal([blocks[0].Cid], reader.Roots);
        var read = reader.ReadBlocks().ToList();
        Assert.Equal(blocks.Select(b => b.Cid), read.Select(b => b.Cid));
        Assert.All(read.Zip(blocks), p => Assert.Equal(p.Second.Data, p.First.Data.ToArray()));
    }

    [Fact]
    public void Section_is_length_cid_then_block()
    {
        var data = Encoding.UTF8.GetBytes("hello");
        using var stream = new MemoryStream();
        var writer = new CarV1Writer(stream, []);
        long headerEnd = writer.BytesWritten;
        var cid = writer.WriteRawBlock(data);
        var section = stream.ToArray().AsSpan((int)headerEnd);
        Assert.Equal(36 + 5, section[0]);
        Assert.Equal(cid.ToBytes(), section.Slice(1, 36).ToArray());
        Assert.Equal(data, section[37..].ToArray());
    }

    [Fact]
    public void Writer_deduplicates_by_cid_and_refuses_mismatched_data()
    {
        using var stream = new MemoryStream();
        var writer = new CarV1Writer(stream, []);
        var cid = writer.WriteRawBlock([1, 2]);
        long size = writer.BytesWritten;
        Assert.False(writer.WriteBlock(cid, [1, 2]));
        Assert.Equal(size, writer.BytesWritten);
        Assert.Equal(1, writer.BlockCount);
        Assert.Throws<ArgumentException>(() => writer.WriteBlock(cid, [1, 3]));
    }

    [Fact]
    public void Reader_refuses_a_block_that_does_not_hash_to_its_cid()
    {
        var car = CarTestData.CarV1(out _);
        car[^1] ^= 0x01; // last byte of the last (raw) block
        var ex = Assert.Throws<ContentFormatException>(() => CarReader.Open(new MemoryStream(car)).ReadBlocks().ToList());
        Assert.Contains("does not hash to its CID", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reader_refuses_a_block_whose_hash_function_it_cannot_compute_and_goes_on_with_the_next()
    {
        using var stream = new MemoryStream();
        var writer = new CarV1Writer(stream, [Cid.ForRaw("after"u8)]);
        // CIDv1, dag-cbor, blake2b-256 (0xb220, varint a0 e4 02), 32-byte digest, then the block.
        byte[] section = [0x01, 0x71, 0xA0, 0xE4, 0x02, 0x20, .. new byte[32], .. "block"u8];
        stream.Write(Varint.ToBytes((ulong)section.Length));
        stream.Write(section);
        writer.WriteRawBlock("after"u8);
        stream.Position = 0;
        var reader = CarReader.Open(stream);

        var refused = Assert.Throws<UnsupportedHashFunctionException>(() => reader.TryReadBlock(out _));
        Assert.Equal(0xb220UL, refused.HashFunction);
        Assert.Equal(Multicodec.DagCbor, refused.Codec);
        Assert.StartsWith("bafy", refused.Cid, StringComparison.Ordinal);
        Assert.Contains("blake2b-256", refused.Message, StringComparison.Ordinal);
        Assert.True(reader.TryReadBlock(out var next));
        Assert.Equal(Cid.ForRaw("after"u8), next.Cid);
        Assert.False(reader.TryReadBlock(out _));
    }

    [Fact]
    public void Reader_detects_truncation_at_every_length_inside_a_section()
    {
        var car = CarTestData.CarV1(out var blocks);
        var ends = SectionEnds(car);
        for (int cut = 1; cut < car.Length; cut++)
        {
            var truncated = car.AsSpan(0, cut).ToArray();
            if (ends.Contains(cut))
            {
                Assert.Equal(ends.IndexOf(cut), CarReader.Open(new MemoryStream(truncated)).ReadBlocks().Count());
            }
            else
            {
                Assert.Throws<ContentFormatException>(() => CarReader.Open(new MemoryStream(truncated)).ReadBlocks().ToList());
            }
        }

        Assert.Equal(blocks.Count + 1, ends.Count);
    }

    [Fact]
    public void Reader_enforces_caps_before_allocating()
    {
        var car = CarTestData.CarV1(out _);
        var options = new CarReaderOptions { MaxBlockLength = 16 };
        var ex = Assert.Throws<ContentFormatException>(() => CarReader.Open(new MemoryStream(car), options).ReadBlocks().ToList());
        Assert.Contains("block cap", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ContentFormatException>(() => CarReader.Open(new MemoryStream(car), new CarReaderOptions { MaxHeaderLength = 8 }));
        Assert.Contains("header length", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00", "header length 0")]
    [InlineData("", "no header")]
    [InlineData("01a0", "lacks an integer version")]
    [InlineData("11a265726f6f7473806776657273696f6e02", "version 2")]
    [InlineData("12a265726f6f747381f66776657273696f6e01", "roots must be links")]
    public void Reader_refuses_bad_headers(string hex, string reason)
    {
        var ex = Assert.Throws<ContentFormatException>(() => CarReader.Open(new MemoryStream(Convert.FromHexString(hex))));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reader_works_on_an_unseekable_stream()
    {
        var car = CarTestData.CarV1(out var blocks);
        var reader = CarReader.Open(new ForwardOnlyStream(car));
        Assert.Equal(blocks.Count, reader.ReadBlocks().Count());
    }

    [Fact]
    public void Header_round_trips_through_dag_cbor()
    {
        var roots = new[] { Cid.ForRaw([1]), Cid.ForDagCbor([0xa0]) };
        var node = DagCborDecoder.Decode(new CarHeader(roots).Encode());
        Assert.Equal(roots, node.Entries[0].Value.Items.Select(i => i.AsLink()));
    }

    // Offsets where a section (or the header) ends: the only places a stream may stop cleanly.
    private static List<int> SectionEnds(byte[] car)
    {
        var ends = new List<int>();
        int position = 0;
        while (position < car.Length)
        {
            ulong length = Varint.Read(car.AsSpan(position), out int read);
            position += read + (int)length;
            ends.Add(position);
        }

        return ends;
    }
}

/// <summary>A read-only stream that cannot seek and returns at most 7 bytes per read.</summary>
internal sealed class ForwardOnlyStream(byte[] data) : Stream
{
    private int _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = Math.Min(Math.Min(count, 7), data.Length - _position);
        Array.Copy(data, _position, buffer, offset, n);
        _position += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
