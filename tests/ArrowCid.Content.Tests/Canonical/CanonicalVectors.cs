using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Content.Tests.Canonical;

/// <summary>
/// The small fixed batches whose canonical bytes are pinned by test vectors (the SHA-256 and CID
/// in <see cref="CanonicalVectorTests"/> and in docs/canonical-form.md). Changing one changes the
/// vectors: they exist to make any change of the byte layout fail a test.
/// </summary>
internal static class CanonicalVectors
{
    /// <summary>V1: no fields, no rows.</summary>
    public static RecordBatch Empty() => new(new Schema([]), 0, []);

    /// <summary>V2: one nullable int32 column "x" = [1, null, 3].</summary>
    public static RecordBatch Int32WithNull() => RandomBatches.Build(
        new Schema([new Field("x", ArrowType.Int32)]),
        [[1], [null], [3]]);

    /// <summary>V3: utf8 "s" = ["héllo", null, ""], float64 "f" = [NaN, -0.0, 2.5], bool "b" (not null) = [true, false, true]; schema metadata {"b": "2", "a": "1"} (written sorted).</summary>
    public static RecordBatch Mixed() => RandomBatches.Build(
        new Schema(
            [new Field("s", ArrowType.Utf8), new Field("f", ArrowType.Float64), new Field("b", ArrowType.Boolean, nullable: false)],
            [KeyValuePair.Create("b", "2"), KeyValuePair.Create("a", "1")]),
        [["héllo", double.NaN, true], [null, -0.0, false], ["", 2.5, true]]);

    /// <summary>V4: dictionary&lt;int8, utf8&gt; "d" = ["red", "green", "red", null] and list&lt;int32&gt; "l" = [[1, 2], null, [], [3]].</summary>
    public static RecordBatch DictionaryAndList() => RandomBatches.Build(
        new Schema([new Field("d", ArrowType.Dictionary(ArrowType.Int8, ArrowType.Utf8)), new Field("l", ArrowType.List(new Field("item", ArrowType.Int32)))]),
        [["red", new object?[] { 1, 2 }], ["green", null], ["red", Array.Empty<object?>()], [null, new object?[] { 3 }]]);

    /// <summary>V5: struct&lt;a: int32, b: utf8_view&gt; "st" = [{1, "short"}, null, {null, "a string longer than twelve"}] and run-end encoded&lt;int32, utf8&gt; "r" = ["x", "x", "y"].</summary>
    public static RecordBatch StructViewAndRuns() => RandomBatches.Build(
        new Schema([
            new Field("st", ArrowType.Struct(new Field("a", ArrowType.Int32), new Field("b", ArrowType.Utf8View))),
            new Field("r", ArrowType.RunEndEncoded(ArrowType.Int32, new Field("values", ArrowType.Utf8))),
        ]),
        [[new object?[] { 1, "short" }, "x"], [null, "x"], [new object?[] { null, "a string longer than twelve" }, "y"]]);
}
