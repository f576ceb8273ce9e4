using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Compression;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Tests.Ipc;

/// <summary>A batch message whose buffers do not fit its body is refused with the path of the array and the buffer's kind.</summary>
public class ArrayLoaderPathTests
{
    private static readonly Field[] Fields =
    [
        new("a", ArrowType.Int32),
        new("l", ArrowType.List(new Field("item", ArrowType.Int32))),
    ];

    private static ArrowFormatException LoadError((long, long)[] buffers, int bodyBytes)
    {
        var header = new RecordBatchHeader
        {
            Length = 2,
            Nodes = [(2, 0), (2, 0), (3, 0)],
            Buffers = buffers,
            VariadicCounts = [],
            Codec = CompressionCodec.None,
        };
        var loader = new ArrayLoader(header, new byte[bodyBytes], MetadataVersion.V5, [], _ => throw new InvalidOperationException(), new DecompressionBudget(1 << 20, 1 << 20));
        return Assert.Throws<ArrowFormatException>(() => loader.LoadAll(Fields, "record batch"));
    }

    [Fact]
    public void A_child_buffer_outside_the_body_names_the_column_the_child_and_the_buffer()
    {
        // a: validity, values; l: validity, offsets; item: validity, values (past the 32-byte body).
        var error = LoadError([(0, 0), (0, 8), (0, 0), (8, 12), (0, 0), (24, 16)], bodyBytes: 32);
        Assert.Equal("record batch column 1 'l' → child 0 'item': FixedWidth buffer 5 at [24, +16) lies outside the 32-byte body", error.Message);
        Assert.Equal("record batch column 1 'l' → child 0 'item'", error.Path);
    }

    [Fact]
    public void A_missing_buffer_names_the_column_and_the_buffer_kind()
    {
        var error = LoadError([(0, 0), (0, 8), (0, 0)], bodyBytes: 32);
        Assert.Equal("record batch column 1 'l': the message has only 3 buffers (Offsets32 missing)", error.Message);
    }
}
