using ArrowCid.Arrow.FlatBuffers;

namespace ArrowCid.Arrow.Tests.FlatBuffers;

/// <summary>Byte vectors written out by hand from the flatbuffers binary-format description.</summary>
public class FlatBufferHandWrittenTests
{
    // table T { a: int (id 0); name: string (id 1); } with a = 7, name = "hi", root T.
    // Built back to front, a builder lays it out as (position: bytes):
    //  0: 0C 00 00 00             root uoffset 12 -> table at 12
    //  4: 08 00 0C 00 08 00 04 00 vtable: 8 bytes, table inline size 12, a at +8, name at +4
    // 12: 08 00 00 00             table soffset 8 -> vtable at 12 - 8 = 4
    // 16: 08 00 00 00             name: uoffset 8 -> string at 16 + 8 = 24
    // 20: 07 00 00 00             a = 7
    // 24: 02 00 00 00 68 69 00    string length 2, "hi", NUL terminator
    // 31: 00                      padding to a multiple of 8 (the string's 4-alignment was
    //                             padded first: 1 byte ahead of 3 bytes of text + NUL)
    private static readonly byte[] TwoFieldTable =
    [
        0x0C, 0x00, 0x00, 0x00,
        0x08, 0x00, 0x0C, 0x00, 0x08, 0x00, 0x04, 0x00,
        0x08, 0x00, 0x00, 0x00,
        0x08, 0x00, 0x00, 0x00,
        0x07, 0x00, 0x00, 0x00,
        0x02, 0x00, 0x00, 0x00, 0x68, 0x69, 0x00, 0x00,
    ];

    // A vtable after its table (negative soffset), an absent middle field, a byte vector:
    //  0: 08 00 00 00             root uoffset -> table at 8
    //  4: 00 00 00 00             unused
    //  8: F4 FF FF FF             soffset -12 -> vtable at 8 + 12 = 20
    // 12: 34 12 00 00             field 0 (short) = 0x1234, 2 bytes padding
    // 16: 10 00 00 00             field 2: uoffset 16 -> vector at 32
    // 20: 0A 00 0C 00 04 00 00 00 08 00   vtable: 10 bytes, inline 12, f0 +4, f1 absent, f2 +8
    // 30: 00 00                   padding
    // 32: 03 00 00 00 01 02 03 00 vector of 3 ubytes (the trailing 0 is padding)
    private static readonly byte[] TrailingVTable =
    [
        0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xF4, 0xFF, 0xFF, 0xFF,
        0x34, 0x12, 0x00, 0x00,
        0x10, 0x00, 0x00, 0x00,
        0x0A, 0x00, 0x0C, 0x00, 0x04, 0x00, 0x00, 0x00, 0x08, 0x00,
        0x00, 0x00,
        0x03, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x00,
    ];

    [Fact]
    public void Reads_the_two_field_table()
    {
        FlatTable root = FlatTable.GetRoot(TwoFieldTable);
        Assert.Equal(12, root.Position);
        Assert.Equal(2, root.FieldCount);
        Assert.Equal(12, root.InlineSize);
        Assert.Equal(7, root.GetInt32(0, 0));
        Assert.Equal("hi", root.GetString(1));
        Assert.Equal("hi"u8.ToArray(), root.GetStringBytes(1).ToArray());
        Assert.False(root.HasField(2));
        Assert.Equal(-5, root.GetInt32(2, -5));
        Assert.Null(root.GetString(3));
    }

    [Fact]
    public void Builder_writes_exactly_the_hand_written_layout()
    {
        var builder = new FlatBufferBuilder(16);
        int name = builder.CreateString("hi");
        builder.StartTable(2);
        builder.AddScalar(0, 7, 0);
        builder.AddOffset(1, name);
        int table = builder.EndTable();
        Assert.Equal(TwoFieldTable, builder.FinishToArray(table, 8));
    }

    [Fact]
    public void Reads_a_vtable_placed_after_its_table()
    {
        FlatTable root = FlatTable.GetRoot(TrailingVTable);
        Assert.Equal(8, root.Position);
        Assert.Equal(3, root.FieldCount);
        Assert.Equal((short)0x1234, root.GetInt16(0, 0));
        Assert.False(root.HasField(1));
        Assert.Equal(42, root.GetInt32(1, 42));
        FlatVector bytes = root.GetVector(2, 1);
        Assert.Equal(3, bytes.Length);
        Assert.Equal(new byte[] { 1, 2, 3 }, bytes.Bytes.ToArray());
        Assert.Equal((byte)2, bytes.Get<byte>(1));
        Assert.Equal(0, root.GetVector(7, 4).Length);
    }

    [Theory]
    [InlineData(0, 0x40, "root")]                 // root uoffset past the end
    [InlineData(0, 0x00, "points at itself")]     // root uoffset 0
    [InlineData(12, 0x40, "vtable")]              // soffset sends the vtable past the end
    [InlineData(4, 0x07, "invalid size 7")]       // odd vtable size
    [InlineData(4, 0x02, "invalid size 2")]       // vtable smaller than its header
    [InlineData(6, 0x30, "inline size")]          // inline size past the end of the buffer
    [InlineData(8, 0x0A, "field 0")]              // a's 4 bytes end past the inline size (10 + 4 > 12)
    [InlineData(10, 0x02, "field 1")]             // name overlaps the soffset
    [InlineData(24, 0x09, "vector at 24")]        // string length past the end
    [InlineData(30, 0x21, "NUL")]                 // terminator overwritten
    public void Rejects_corruptions_with_a_message_naming_the_spot(int position, byte value, string expected)
    {
        byte[] buffer = (byte[])TwoFieldTable.Clone();
        buffer[position] = value;
        ArrowFormatException error = Assert.Throws<ArrowFormatException>(() => ReadEverything(buffer));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(30, 0x21)] // terminator overwritten
    [InlineData(28, 0xC3)] // not UTF-8
    public void A_bad_string_reports_the_offset_of_its_header(int position, byte value)
    {
        byte[] buffer = (byte[])TwoFieldTable.Clone();
        buffer[position] = value;
        ArrowFormatException error = Assert.Throws<ArrowFormatException>(() => FlatTable.GetRoot(buffer).GetString(1));
        Assert.Equal(24, error.Offset);
    }

    [Fact]
    public void Rejects_invalid_utf8_as_a_string_but_returns_its_bytes()
    {
        byte[] buffer = (byte[])TwoFieldTable.Clone();
        buffer[28] = 0xC3; // a lead byte followed by 'i' is not UTF-8
        Assert.Throws<ArrowFormatException>(() => FlatTable.GetRoot(buffer).GetString(1));
        Assert.Equal(new byte[] { 0xC3, 0x69 }, FlatTable.GetRoot(buffer).GetStringBytes(1).ToArray());
    }

    [Fact]
    public void Rejects_buffers_too_short_for_a_root()
    {
        Assert.Throws<ArrowFormatException>(() => FlatTable.GetRoot([]));
        Assert.Throws<ArrowFormatException>(() => FlatTable.GetRoot([4, 0, 0]));
        Assert.Throws<ArrowFormatException>(() => FlatTable.GetRoot(TwoFieldTable.AsSpan(0, 14)));
    }

    [Fact]
    public void Rejects_tables_nested_deeper_than_the_limit()
    {
        byte[] Chain(int depth)
        {
            var builder = new FlatBufferBuilder();
            builder.StartTable(1);
            int table = builder.EndTable();
            for (int i = 0; i < depth; i++)
            {
                builder.StartTable(1);
                builder.AddOffset(0, table);
                table = builder.EndTable();
            }

            return builder.FinishToArray(table);
        }

        static int Walk(byte[] buffer)
        {
            FlatTable table = FlatTable.GetRoot(buffer);
            int depth = 0;
            while (table.TryGetTable(0, out FlatTable child))
            {
                table = child;
                depth++;
            }

            return depth;
        }

        Assert.Equal(FlatBufferLimits.MaxDepth, Walk(Chain(FlatBufferLimits.MaxDepth)));
        ArrowFormatException error = Assert.Throws<ArrowFormatException>(() => Walk(Chain(FlatBufferLimits.MaxDepth + 1)));
        Assert.Contains("deeper than 64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_a_vector_longer_than_the_bytes_that_follow()
    {
        byte[] buffer = (byte[])TrailingVTable.Clone();
        buffer[32] = 5; // 5 one-byte elements but only 4 bytes follow the length
        Assert.Throws<ArrowFormatException>(() => FlatTable.GetRoot(buffer).GetVector(2, 1));
        buffer[32] = 4;
        Assert.Equal(4, FlatTable.GetRoot(buffer).GetVector(2, 1).Length);
        Assert.Throws<ArrowFormatException>(() => FlatTable.GetRoot(buffer).GetVector(2, 2));
        buffer[35] = 0x80; // 2^31 + 4 elements: the 64-bit size check must not overflow
        Assert.Throws<ArrowFormatException>(() => FlatTable.GetRoot(buffer).GetVector(2, 8));
    }

    private static void ReadEverything(byte[] buffer)
    {
        FlatTable root = FlatTable.GetRoot(buffer);
        _ = root.GetInt32(0, 0);
        _ = root.GetString(1);
    }
}
