using ArrowCid.Parquet.Metadata;
using ArrowCid.Parquet.Reading;
using ArrowCid.Parquet.Schema;

namespace ArrowCid.Parquet.Tests.Reading;

public class FileStructureTests
{
    private static SchemaElement Leaf(string name, FieldRepetitionType repetition) =>
        new() { Name = name, Type = PhysicalType.Int32, RepetitionType = repetition };

    private static SchemaElement Group(string name, int children, FieldRepetitionType? repetition = null) =>
        new() { Name = name, NumChildren = children, RepetitionType = repetition };

    [Fact]
    public void Schema_tree_assigns_paths_levels_and_leaf_order()
    {
        ParquetSchema schema = ParquetSchema.Build(
        [
            Group("root", 2),
            Leaf("a", FieldRepetitionType.Required),
            Group("m", 1, FieldRepetitionType.Optional),
            Group("kv", 2, FieldRepetitionType.Repeated),
            Leaf("k", FieldRepetitionType.Required),
            Leaf("v", FieldRepetitionType.Optional),
        ]);
        Assert.Equal(["a", "m.kv.k", "m.kv.v"], schema.Leaves.Select(l => l.ToString()));
        Assert.Equal([(0, 0), (2, 1), (3, 1)], schema.Leaves.Select(l => (l.MaxDefinitionLevel, l.MaxRepetitionLevel)));
        Assert.Equal([0, 1, 2], schema.Leaves.Select(l => l.LeafIndex));
        Assert.Same(schema.Root, schema.Leaves[0].Parent);
    }

    [Fact]
    public void Malformed_schema_lists_are_rejected()
    {
        Assert.Throws<ParquetFormatException>(() => ParquetSchema.Build([]));
        Assert.Throws<ParquetFormatException>(() => ParquetSchema.Build([Group("root", 3), Leaf("a", FieldRepetitionType.Required)]));
        Assert.Throws<ParquetFormatException>(() => ParquetSchema.Build([Group("root", 1), Leaf("a", FieldRepetitionType.Required), Leaf("extra", FieldRepetitionType.Required)]));
        Assert.Throws<ParquetFormatException>(() => ParquetSchema.Build([Group("root", -1)]));
        Assert.Throws<ParquetFormatException>(() => ParquetSchema.Build([Group("root", 1), new SchemaElement { Name = "f", Type = PhysicalType.FixedLenByteArray }]));
        // A chain of 200 nested groups exceeds the depth cap of 100.
        var deep = Enumerable.Range(0, 200).Select(i => Group("g" + i, 1, FieldRepetitionType.Optional)).Append(Leaf("x", FieldRepetitionType.Optional)).ToList();
        var error = Assert.Throws<ParquetFormatException>(() => ParquetSchema.Build(deep));
        Assert.Contains("deeper", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Magic_and_footer_length_are_checked()
    {
        byte[] good = TestFiles.Read("int32_decimal.parquet");
        Assert.Throws<ParquetFormatException>(() => ParquetFileReader.Open(good.AsMemory(0, 11)));
        byte[] badHead = (byte[])good.Clone();
        badHead[0] = (byte)'X';
        Assert.Contains("start", Assert.Throws<ParquetFormatException>(() => ParquetFileReader.Open(badHead)).Message, StringComparison.Ordinal);
        byte[] encrypted = (byte[])good.Clone();
        "PARE"u8.CopyTo(encrypted.AsSpan(encrypted.Length - 4));
        Assert.Contains("encrypted", Assert.Throws<ParquetFormatException>(() => ParquetFileReader.Open(encrypted)).Message, StringComparison.Ordinal);
        byte[] longFooter = (byte[])good.Clone();
        BitConverter.GetBytes(good.Length).CopyTo(longFooter, good.Length - 8);
        Assert.Contains("footer length", Assert.Throws<ParquetFormatException>(() => ParquetFileReader.Open(longFooter)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chunk_pointing_outside_the_data_area_is_rejected()
    {
        byte[] file = TestFiles.Read("int32_decimal.parquet");
        using var reader = ParquetFileReader.Open(file);
        reader.GetColumnChunk(0, 0).MetaData!.DataPageOffset = file.Length;
        Assert.Throws<ParquetFormatException>(() => reader.ReadColumn(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.ReadColumn(1, 0));
    }
}
