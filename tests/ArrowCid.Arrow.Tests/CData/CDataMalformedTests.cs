using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.CData;
using ArrowCid.Arrow.Tests.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Tests.CData;

public class CDataMalformedTests
{
    public static TheoryData<string> BadFormats => new()
    {
        "", "x", "ii", "d:abc,2", "d:10", "d:40,2,32", "d:10,2,48", "d:0,0", "w:-1", "w:", "+w:x", "tsx:", "ts", "ttx",
        "tD", "tdX", "tiQ", "+ud:1,a", "+us:200", "+ud:0,1", "+x", "v", "vx", "+r", "+m", "+vz",
    };

    [Theory]
    [MemberData(nameof(BadFormats))]
    public void Bad_format_strings_are_rejected_and_the_schema_released(string format)
    {
        // A one-child type, so that formats of nested types see a wrong child count where relevant.
        AssertRejected(ArrowType.Struct(new Field("only", ArrowType.Int32)), s => CAbi.Write(s, CAbi.SchemaFormat, Keep(CAbi.Utf8(format))));
    }

    [Fact]
    public void Every_valid_format_parses()
    {
        string[] formats = ["n", "b", "c", "C", "s", "S", "i", "I", "l", "L", "e", "f", "g", "z", "Z", "vz", "u", "U", "vu", "d:9,2,32",
            "d:18,-3,64", "d:38,10", "d:76,0,256", "w:5", "tdD", "tdm", "tts", "ttm", "ttu", "ttn", "tss:", "tsm:UTC", "tsu:+01:00", "tsn:",
            "tDs", "tDm", "tDu", "tDn", "tiM", "tiD", "tin"];
        foreach (string format in formats)
        {
            nint s = CAbi.Alloc(CAbi.SchemaSize);
            nint text = CAbi.Utf8(format);
            try
            {
                CArrowSchemaExporter.Export(ArrowType.Int32, s);
                CAbi.Write(s, CAbi.SchemaFormat, text);
                var type = CArrowSchemaImporter.ImportType(s);
                nint again = CAbi.Alloc(CAbi.SchemaSize);
                CArrowSchemaExporter.Export(type, again);
                Assert.Equal(format, Marshal.PtrToStringUTF8(CAbi.Read(again, CAbi.SchemaFormat)));
                CAbi.Free(again, CAbi.SchemaRelease);
            }
            finally
            {
                CAbi.Free(s, CAbi.SchemaRelease);
                Marshal.FreeCoTaskMem(text);
            }
        }
    }

    [Fact]
    public void A_child_count_that_does_not_match_the_format_is_rejected()
    {
        AssertRejected(ArrowType.List(new Field("item", ArrowType.Int32)), s => CAbi.WriteLong(s, CAbi.SchemaNChildren, 0));
        AssertRejected(ArrowType.Int32, s => CAbi.WriteLong(s, CAbi.SchemaNChildren, -1));
    }

    [Fact]
    public void Null_pointers_where_a_value_is_required_are_rejected()
    {
        AssertRejected(ArrowType.Int32, s => CAbi.Write(s, CAbi.SchemaFormat, 0));
        AssertRejected(ArrowType.Int32, s =>
        {
            CAbi.Write(s, CAbi.SchemaFormat, Keep(CAbi.Utf8("+s")));
            CAbi.WriteLong(s, CAbi.SchemaNChildren, 2);
        });
    }

    [Fact]
    public void A_null_name_is_an_empty_name()
    {
        nint s = CAbi.Alloc(CAbi.SchemaSize);
        try
        {
            CArrowSchemaExporter.Export(new Field("named", ArrowType.Int8), s);
            CAbi.Write(s, CAbi.SchemaName, 0);
            Assert.Equal(string.Empty, CArrowSchemaImporter.ImportField(s).Name);
        }
        finally
        {
            CAbi.Free(s, CAbi.SchemaRelease);
        }
    }

    [Fact]
    public void A_dictionary_on_a_non_integer_index_and_bad_metadata_are_rejected()
    {
        AssertRejected(ArrowType.Dictionary(ArrowType.Int32, ArrowType.Utf8), s => CAbi.Write(s, CAbi.SchemaFormat, Keep(CAbi.Utf8("u"))));
        AssertRejected(ArrowType.Int32, s =>
        {
            nint metadata = Keep(CAbi.Alloc(8));
            Marshal.WriteInt32(metadata, -1);
            CAbi.Write(s, CAbi.SchemaMetadata, metadata);
        });
    }

    [Fact]
    public void Importing_a_released_schema_is_refused()
    {
        nint s = CAbi.Alloc(CAbi.SchemaSize);
        try
        {
            Assert.Throws<ArrowFormatException>(() => CArrowSchemaImporter.ImportField(s));
        }
        finally
        {
            CAbi.Free(s, CAbi.SchemaRelease);
        }
    }

    [Fact]
    public void Malformed_arrays_are_rejected_and_released()
    {
        var decreasing = new ArrayData(ArrowType.Utf8, 2, 0, 0, [default, TestArrays.Ints32(0, 5, 2), new byte[8]]);
        AssertArrayRejected(decreasing, _ => { });
        AssertArrayRejected(TestArrays.Int32(1, 2, 3), c => CAbi.WriteLong(c, CAbi.ArrayNBuffers, 3));
        AssertArrayRejected(TestArrays.Int32(1, 2, 3), c => CAbi.WriteLong(c, CAbi.ArrayLength, -4));
        AssertArrayRejected(TestArrays.Int32(1, 2, 3), c => CAbi.WriteLong(c, CAbi.ArrayOffset, long.MaxValue));
        AssertArrayRejected(TestArrays.Int32(1, 2, 3), c => CAbi.WriteLong(c, CAbi.ArrayNullCount, 2));
        AssertArrayRejected(TestArrays.Int32(1, 2, 3), c => CAbi.WriteLong(c, CAbi.ArrayNChildren, 1));
        AssertArrayRejected(TestArrays.Int32(1, null, 3), c => CAbi.WriteLong(c, CAbi.ArrayNullCount, 0));
    }

    [Fact]
    public void A_malformed_array_names_the_field_at_fault()
    {
        Assert.Equal("array", AssertArrayRejected(TestArrays.Int32(1, 2, 3), c => CAbi.WriteLong(c, CAbi.ArrayLength, -4)).Path);
        Assert.Equal("array", AssertArrayRejected(TestArrays.Int32(1, 2, 3), c => CAbi.WriteLong(c, CAbi.ArrayNBuffers, 3)).Path);
    }

    private readonly List<nint> _strings = [];

    private nint Keep(nint p)
    {
        _strings.Add(p);
        return p;
    }

    private void AssertRejected(ArrowType type, Action<nint> corrupt)
    {
        nint s = CAbi.Alloc(CAbi.SchemaSize);
        try
        {
            CArrowSchemaExporter.Export(new Field("f", type), s);
            corrupt(s);
            Assert.Throws<ArrowFormatException>(() => CArrowSchemaImporter.ImportField(s));
            Assert.True(CAbi.IsReleased(s, CAbi.SchemaRelease));
        }
        finally
        {
            CAbi.Free(s, CAbi.SchemaRelease);
            foreach (nint p in _strings)
            {
                Marshal.FreeCoTaskMem(p);
            }

            _strings.Clear();
        }
    }

    private static ArrowFormatException AssertArrayRejected(ArrayData array, Action<nint> corrupt)
    {
        nint c = CAbi.Alloc(CAbi.ArraySize);
        try
        {
            CArrowArrayExporter.Export(array, c);
            corrupt(c);
            var error = Assert.Throws<ArrowFormatException>(() => CArrowArrayImporter.ImportArray(c, array.Type));
            Assert.True(CAbi.IsReleased(c, CAbi.ArrayRelease));
            return error;
        }
        finally
        {
            CAbi.Free(c, CAbi.ArrayRelease);
        }
    }
}
