using ArrowCid.Arrow.FlatBuffers;
using FsCheck;
using FsCheck.Fluent;

namespace ArrowCid.Arrow.Tests.FlatBuffers;

public class FlatBufferRoundTripTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(300);

    [Fact]
    public void Every_kind_of_field_reads_back_as_built()
    {
        Check.One(Runs, Prop.ForAll(Arb.From(TableModels.Table(3)), (TableModel model) =>
        {
            var builder = new FlatBufferBuilder(8);
            byte[] buffer = builder.FinishToArray(TableModels.Build(builder, model));
            TableModels.AssertEqual(model, FlatTable.GetRoot(buffer));
        }));
    }

    [Fact]
    public void Same_calls_give_same_bytes_whatever_the_builder_history()
    {
        var reused = new FlatBufferBuilder(4);
        Check.One(Runs, Prop.ForAll(Arb.From(TableModels.Table(2)), (TableModel model) =>
        {
            var fresh = new FlatBufferBuilder(1 << 16);
            byte[] expected = fresh.FinishToArray(TableModels.Build(fresh, model));

            // A reused builder holds stale bytes from the previous model: none may leak through.
            reused.Clear();
            byte[] again = reused.FinishToArray(TableModels.Build(reused, model));
            Assert.Equal(expected, again);
        }));
    }

    [Fact]
    public void Finished_buffers_are_padded_and_values_are_aligned()
    {
        Check.One(Runs, Prop.ForAll(Arb.From(TableModels.Table(1)), Arb.From(Gen.Elements(4, 8, 16)), (TableModel model, int minAlignment) =>
        {
            var builder = new FlatBufferBuilder();
            byte[] buffer = builder.FinishToArray(TableModels.Build(builder, model), minAlignment);
            Assert.Equal(0, buffer.Length % minAlignment);
            FlatTable root = FlatTable.GetRoot(buffer);
            Assert.Equal(0, root.Position % 4);
            for (int i = 0; i < model.Fields.Length; i++)
            {
                if (model.Fields[i].Kind is FieldKind.LongVector or FieldKind.DoubleVector or FieldKind.StructVector)
                {
                    int size = model.Fields[i].Kind == FieldKind.StructVector ? FieldModel.StructSize : 8;
                    FlatVector vector = root.GetVector(i, size);
                    Assert.True(buffer.AsSpan().Overlaps(vector.Bytes, out int offset) || vector.Length == 0);
                    Assert.True(vector.Length == 0 || offset % 8 == 0, $"vector of field {i} at {offset}");
                }
            }
        }));
    }

    [Fact]
    public void Identical_vtables_are_shared_and_defaults_are_omitted()
    {
        var builder = new FlatBufferBuilder();
        int[] tables = new int[3];
        for (int i = 0; i < tables.Length; i++)
        {
            builder.StartTable(3);
            builder.AddScalar(0, 10 + i, 0);
            builder.AddScalar(1, 0L, 0L); // equal to the default: omitted
            builder.AddScalarForced(2, (short)0); // forced: written although it is the default
            tables[i] = builder.EndTable();
        }

        int vector = builder.CreateOffsetVector(tables);
        builder.StartTable(1);
        builder.AddOffset(0, vector);
        byte[] buffer = builder.FinishToArray(builder.EndTable());

        FlatVector children = FlatTable.GetRoot(buffer).GetVector(0, 4);
        var vtables = new HashSet<int>();
        for (int i = 0; i < children.Length; i++)
        {
            FlatTable child = children.GetTable(i);
            Assert.Equal(10 + i, child.GetInt32(0, 0));
            Assert.False(child.HasField(1));
            Assert.True(child.HasField(2));
            vtables.Add(child.Position - System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(child.Position)));
        }

        Assert.Single(vtables);
    }

    [Fact]
    public void Unions_read_back_through_their_type_and_value_fields()
    {
        var builder = new FlatBufferBuilder();
        builder.StartTable(1);
        builder.AddScalar(0, 99L, 0L);
        int member = builder.EndTable();
        builder.StartTable(3);
        builder.AddScalar<byte>(1, 3, 0);
        builder.AddOffset(2, member);
        byte[] buffer = builder.FinishToArray(builder.EndTable());

        FlatTable root = FlatTable.GetRoot(buffer);
        Assert.Equal(3, root.GetUnionType(1));
        Assert.True(root.TryGetUnion(1, out byte type, out FlatTable value));
        Assert.Equal(3, type);
        Assert.Equal(99L, value.GetInt64(0, 0));
        Assert.False(root.TryGetUnion(0, out _, out _));
    }

    [Fact]
    public void A_union_type_without_its_value_is_an_error()
    {
        var builder = new FlatBufferBuilder();
        builder.StartTable(2);
        builder.AddScalar<byte>(0, 1, 0);
        byte[] buffer = builder.FinishToArray(builder.EndTable());
        ArrowFormatException error = Assert.Throws<ArrowFormatException>(() => FlatTable.GetRoot(buffer).TryGetUnion(0, out _, out _));
        Assert.Contains("value field 1 is absent", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Builder_refuses_misuse()
    {
        var builder = new FlatBufferBuilder();
        builder.StartTable(2);
        Assert.Throws<InvalidOperationException>(() => builder.CreateString("nested"));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddScalar(2, 1, 0));
        builder.AddScalar(0, 1, 0);
        Assert.Throws<InvalidOperationException>(() => builder.AddScalar(0, 2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.AddOffset(1, 4096));
        int table = builder.EndTable();
        Assert.Throws<InvalidOperationException>(() => builder.EndTable());
        Assert.ThrowsAny<ArgumentException>(() => builder.CreateString("\ud800"));
        Assert.Throws<ArgumentException>(() => builder.CreateStructVector(new byte[5], 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.Finish(table, 3));
        Assert.Throws<NotSupportedException>(() => builder.CreateVector<decimal>(new decimal[1]));
        builder.Finish(table);
        Assert.Throws<InvalidOperationException>(() => builder.CreateString("after finish"));
        builder.Clear();
        Assert.Equal(0, builder.Offset);
    }
}
