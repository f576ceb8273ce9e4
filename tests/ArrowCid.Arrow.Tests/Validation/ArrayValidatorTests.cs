using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Arrow.Validation;
using static ArrowCid.Arrow.Tests.Validation.Crafted;

namespace ArrowCid.Arrow.Tests.Validation;

public class ArrayValidatorTests
{
    private static readonly Field IntItem = new("item", ArrowType.Int32);
    private static readonly Field StrItem = new("item", ArrowType.Utf8);

    private static string Rejects(ArrayData array, ValidationLevel level = ValidationLevel.Structural) =>
        Assert.Throws<ArrowFormatException>(() => ArrayValidator.Validate(array, level)).Message;

    private static string[] TenStrings => [.. Enumerable.Range(0, 10).Select(i => $"s{i}")];

    [Fact]
    public void Message_names_the_path_down_to_the_broken_buffer()
    {
        var list = Build(ArrowType.List(StrItem), (object)TenStrings);
        var child = list.Children[0];
        var broken = WithChild(list, 0, WithBuffer(child, 1, child.Buffers[1][..40]));
        var schema = new Schema([new Field("a", ArrowType.Int32), new Field("x", ArrowType.Int32), new Field("b", list.Type)]);
        var ints = Build(ArrowType.Int32, 1);
        using var batch = new RecordBatch(schema, 1, [ints, ints, broken]);

        var message = Assert.Throws<ArrowFormatException>(() => ArrayValidator.Validate(batch)).Message;
        Assert.Equal("column 2 'b' → child 0 'item': offsets buffer has 40 bytes, needs 44 for 10 slots at offset 0", message);
    }

    [Fact]
    public void Buffer_count_must_match_the_layout()
    {
        var a = Build(ArrowType.Int32, 1, 2);
        Assert.Contains("has 1 buffers, the type int32 needs 2", Rejects(With(a, buffers: [a.Buffers[0]])));
        var view = Build(ArrowType.Utf8View, "x");
        Assert.Contains("needs at least 2", Rejects(With(view, buffers: [view.Buffers[0]])));
    }

    [Fact]
    public void Fixed_buffers_must_cover_offset_plus_length()
    {
        var a = Build(ArrowType.Int32, Enumerable.Range(0, 10).Cast<object?>().Append(null).ToArray());
        Assert.Contains("validity buffer has 1 bytes, needs 2 for 11 slots", Rejects(WithBuffer(a, 0, a.Buffers[0][..1])));
        Assert.Contains("values buffer has 40 bytes, needs 44 for 11 slots", Rejects(WithBuffer(a, 1, a.Buffers[1][..40])));
        var sliced = With(Build(ArrowType.Int64, 1L, 2L), length: 2, offset: 1);
        Assert.Contains("values buffer has 16 bytes, needs 24 for 2 slots at offset 1", Rejects(sliced));
        var bools = Build(ArrowType.Boolean, Enumerable.Repeat((object?)true, 9).ToArray());
        Assert.Contains("values buffer has 1 bytes, needs 2", Rejects(WithBuffer(bools, 1, bools.Buffers[1][..1])));
    }

    [Fact]
    public void Offset_plus_length_beyond_int32_is_rejected()
    {
        var a = Build(ArrowType.Int8, (sbyte)1);
        Assert.Contains("exceeds", Rejects(With(a, offset: int.MaxValue - 1, length: 5)));
    }

    [Fact]
    public void Var_binary_offsets_must_be_in_bounds_and_non_decreasing()
    {
        var a = Build(ArrowType.Utf8, "ab", "cd", "ef");
        Assert.Contains("offset 100 at position 3 is outside the data buffer (0..8)", Rejects(WithInt32(a, 1, 3, 100)));
        Assert.Contains("offset -1 at position 1", Rejects(WithInt32(a, 1, 1, -1)));
        Assert.Contains("offsets decrease at position 2", Rejects(WithInt32(a, 1, 2, 1)));
        var large = Build(ArrowType.LargeBinary, new byte[] { 1 }, new byte[] { 2 });
        Assert.Contains("outside the data buffer", Rejects(WithInt64(large, 1, 2, long.MaxValue)));
    }

    [Fact]
    public void List_offsets_must_stay_inside_the_child()
    {
        var list = Build(ArrowType.List(IntItem), new[] { 1, 2 }, new[] { 3 });
        Assert.Contains("offset 4 at position 2 is outside the child (0..3)", Rejects(WithInt32(list, 1, 2, 4)));
        Assert.Contains("offsets decrease at position 2 (2 then 1)", Rejects(WithInt32(list, 1, 2, 1)));
        var map = Build(ArrowType.Map(ArrowType.Utf8, ArrowType.Int32), new Dictionary<string, int> { ["k"] = 1 });
        Assert.Contains("outside the child", Rejects(WithInt32(map, 1, 1, 2)));
    }

    [Fact]
    public void List_views_must_stay_inside_the_child()
    {
        var lv = Build(ArrowType.ListView(IntItem), new[] { 1, 2 }, new[] { 3 });
        Assert.Contains("list view at slot 1 (offset 2, size 2)", Rejects(WithInt32(lv, 2, 1, 2)));
        Assert.Contains("offset -1", Rejects(WithInt32(lv, 1, 0, -1)));
        Assert.Contains("size -1", Rejects(WithInt32(lv, 2, 0, -1)));
        var large = Build(ArrowType.LargeListView(IntItem), new[] { 1 });
        Assert.Contains("outside the child", Rejects(WithInt64(large, 2, 0, long.MaxValue)));
    }

    [Fact]
    public void Fixed_size_list_child_must_hold_every_list()
    {
        var fsl = Build(ArrowType.FixedSizeList(IntItem, 2), new[] { 1, 2 }, new[] { 3, 4 });
        var shortChild = Build(ArrowType.Int32, 1, 2, 3);
        Assert.Contains("child has 3 slots, needs 4 for 2 lists of 2", Rejects(WithChild(fsl, 0, shortChild)));
    }

    [Fact]
    public void Struct_children_must_cover_the_parent()
    {
        var type = ArrowType.Struct(new Field("a", ArrowType.Int32), new Field("b", ArrowType.Int32));
        var s = Build(type, new object?[] { 1, 2 }, new object?[] { 3, 4 }, null);
        Assert.Contains("child 1 'b' has 2 slots, needs 3", Rejects(WithChild(s, 1, Build(ArrowType.Int32, 1, 2))));
        Assert.Contains("has 1 children", Rejects(With(s, children: [s.Children[0]])));
        Assert.Contains("child 0 has type string", Rejects(WithChild(s, 0, Build(ArrowType.Utf8, "a", "b", "c"))));
    }

    [Fact]
    public void Views_must_point_inside_the_variadic_buffers()
    {
        var v = Build(ArrowType.BinaryView, new byte[20], new byte[] { 1 });
        Assert.Contains("view at slot 0 names data buffer 1, the array has 1", Rejects(WithInt32(v, 1, 2, 1)));
        Assert.Contains("view at slot 0 (offset 8, length 20) is outside data buffer 0 of 24 bytes", Rejects(WithInt32(v, 1, 3, 8)));
        Assert.Contains("negative length", Rejects(WithInt32(v, 1, 4, -5)));
        Assert.Contains("names data buffer 0, the array has 0", Rejects(WithInt32(Build(ArrowType.BinaryView, new byte[] { 1 }), 1, 0, 13)));
    }

    [Fact]
    public void Full_validation_checks_view_prefixes()
    {
        var v = Build(ArrowType.Utf8View, "a string longer than twelve bytes");
        var broken = WithInt32(v, 1, 1, 0x41414141);
        ArrayValidator.Validate(broken);
        Assert.Contains("prefix", Rejects(broken, ValidationLevel.Full));
    }

    [Fact]
    public void Full_validation_checks_utf8()
    {
        var a = Build(ArrowType.Utf8, "ok", "ab");
        var bytes = a.Buffers[2].ToArray();
        bytes[2] = 0xC3; // a lead byte followed by an ASCII byte
        var broken = WithBuffer(a, 2, bytes);
        ArrayValidator.Validate(broken);
        Assert.Contains("slot 1 is not valid UTF-8", Rejects(broken, ValidationLevel.Full));

        var view = Build(ArrowType.Utf8View, "ok");
        var viewBytes = view.Buffers[1].ToArray();
        viewBytes[4] = 0xFF;
        Assert.Contains("not valid UTF-8", Rejects(WithBuffer(view, 1, viewBytes), ValidationLevel.Full));
    }

    [Fact]
    public void Full_validation_rejects_null_map_keys()
    {
        var map = Build(ArrowType.Map(ArrowType.Utf8, ArrowType.Int32), new Dictionary<string, int> { ["k"] = 1 });
        var entries = map.Children[0];
        var nullKeys = Build(ArrowType.Utf8, new object?[] { null });
        var broken = WithChild(map, 0, WithChild(entries, 0, nullKeys));
        ArrayValidator.Validate(broken);
        Assert.Contains("map key at entry 0 is null", Rejects(broken, ValidationLevel.Full));
    }

    [Fact]
    public void Union_type_ids_and_dense_offsets_are_checked()
    {
        var members = new[] { new Field("i", ArrowType.Int32), new Field("s", ArrowType.Utf8) };
        var dense = Build(ArrowType.Union(true, members, [5, 7]), ((sbyte)5, (object?)1), ((sbyte)7, (object?)"x"));
        var ids = dense.Buffers[0].ToArray();
        ids[1] = 6;
        Assert.Contains("type id 6 at slot 1 is not one of the union's codes", Rejects(WithBuffer(dense, 0, ids)));
        Assert.Contains("union offset 1 at slot 1 is outside child 1 of 1 slots", Rejects(WithInt32(dense, 1, 1, 1)));
        Assert.Contains("union offset -1", Rejects(WithInt32(dense, 1, 0, -1)));

        var sparse = Build(ArrowType.Union(false, members, [5, 7]), ((sbyte)5, (object?)1), ((sbyte)7, (object?)"x"));
        var negative = sparse.Buffers[0].ToArray();
        negative[0] = 0xFB; // -5
        Assert.Contains("type id -5", Rejects(WithBuffer(sparse, 0, negative)));
        Assert.Contains("child 0 'i' has 1 slots, needs 2", Rejects(WithChild(sparse, 0, Build(ArrowType.Int32, 1))));
    }

    [Fact]
    public void Run_ends_must_be_positive_increasing_and_cover_the_array()
    {
        var type = ArrowType.RunEndEncoded(ArrowType.Int32, new Field("values", ArrowType.Utf8));
        var ree = Build(type, "a", "a", "b", "c");
        var runEnds = ree.Children[0]; // [2, 3, 4]
        Assert.Contains("run end 2 at run 1 is not greater than 2", Rejects(WithChild(ree, 0, WithInt32(runEnds, 1, 1, 2))));
        Assert.Contains("run end 0 at run 0 is not greater than 0", Rejects(WithChild(ree, 0, WithInt32(runEnds, 1, 0, 0))));
        Assert.Contains("last run end 3 does not cover offset 0 + length 4", Rejects(WithChild(ree, 0, Build(ArrowType.Int32, 1, 2, 3))));
        var withNull = Build(ArrowType.Int32, 2, null, 4);
        Assert.Contains("run ends have 1 nulls", Rejects(WithChild(ree, 0, withNull)));
        Assert.Contains("values child has 2 slots for 3 runs", Rejects(WithChild(ree, 1, Build(ArrowType.Utf8, "a", "b"))));
        var sliced = With(ree, offset: 1, length: 4);
        Assert.Contains("does not cover offset 1 + length 4", Rejects(sliced));
    }

    [Fact]
    public void Dictionary_indices_must_fall_inside_the_dictionary()
    {
        var type = ArrowType.Dictionary(ArrowType.Int32, ArrowType.Utf8);
        var d = Build(type, "a", "b", null);
        Assert.Contains("index 2 at slot 1 is outside the dictionary of 2 values", Rejects(WithInt32(d, 1, 1, 2)));
        Assert.Contains("index -1", Rejects(WithInt32(d, 1, 0, -1)));
        ArrayValidator.Validate(WithInt32(d, 1, 2, 99)); // a null slot's index is never read
        Assert.Contains("has no dictionary", Rejects(new ArrayData(type, 3, -1, 0, d.Buffers)));
        Assert.Contains("dictionary has type int32", Rejects(With(d, dictionary: Build(ArrowType.Int32, 1, 2))));
        var badDictionary = WithInt32(d.Dictionary!, 1, 1, 99);
        Assert.Contains("dictionary: offset 99", Rejects(With(d, dictionary: badDictionary)));
    }

    [Fact]
    public void Null_count_must_match_the_bitmap()
    {
        var a = Build(ArrowType.Int32, 1, null, 3);
        Assert.Contains("null count 0 does not match the 1 null slots", Rejects(With(a, nullCount: 0)));
        Assert.Contains("null count 2", Rejects(With(a, nullCount: 2)));
        var noBitmap = Build(ArrowType.Int32, 1, 2);
        Assert.Contains("null count 1 does not match the 0", Rejects(With(noBitmap, nullCount: 1)));
        var nulls = Build(ArrowType.Null, null, null);
        Assert.Contains("null count 0 does not match the 2", Rejects(With(nulls, nullCount: 0)));
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_rejected()
    {
        var type = ArrowType.Int32;
        ArrayData array = Build(type);
        for (int i = 0; i < ArrayValidator.MaxDepth + 2; i++)
        {
            var listType = ArrowType.List(new Field("item", type));
            array = new ArrayData(listType, 0, 0, 0, [ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty], [array]);
            type = listType;
        }

        Assert.Contains("nested deeper than 64 levels", Rejects(array));
    }

    [Fact]
    public void Hostile_type_parameters_are_rejected()
    {
        var huge = new ArrayData(ArrowType.FixedSizeBinary(int.MaxValue), 0, 0, 0, [ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty]);
        Assert.Contains("width", Rejects(huge));
        var scale = new ArrayData(ArrowType.Decimal(10, int.MinValue), 0, 0, 0, [ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty]);
        Assert.Contains("scale", Rejects(scale));
    }

    [Fact]
    public void Batch_columns_must_match_their_fields()
    {
        var schema = new Schema([new Field("a", ArrowType.Int64)]);
        using var batch = new RecordBatch(schema, 1, [Build(ArrowType.Int32, 1)]);
        Assert.Contains("column 0 'a': array type int32 does not match the field type int64",
            Assert.Throws<ArrowFormatException>(() => ArrayValidator.Validate(batch)).Message);
    }

    [Fact]
    public void Empty_offsets_are_allowed_for_empty_arrays()
    {
        var empty = new ArrayData(ArrowType.Utf8, 0, 0, 0, [ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty]);
        ArrayValidator.Validate(empty, ValidationLevel.Full);
        var notEmpty = new ArrayData(ArrowType.Utf8, 1, 0, 0, [ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty]);
        Assert.Contains("offsets buffer has 0 bytes, needs 8", Rejects(notEmpty));
    }

    [Fact]
    public void Valid_slices_pass()
    {
        var list = Build(ArrowType.List(StrItem), new[] { "a" }, null, new[] { "b", "c" });
        ArrayValidator.Validate(list.Slice(1, 2), ValidationLevel.Full);
        var s = Build(ArrowType.Struct(new Field("a", ArrowType.Int32)), new object?[] { 1 }, null, new object?[] { 3 });
        ArrayValidator.Validate(s.Slice(2, 1), ValidationLevel.Full);
    }
}
