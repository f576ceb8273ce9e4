using ArrowCid.Arrow.FlatBuffers;
using FsCheck;
using FsCheck.Fluent;

namespace ArrowCid.Arrow.Tests.FlatBuffers;

/// <summary>Kinds of field the round-trip model covers: every scalar type, and each kind of child.</summary>
public enum FieldKind
{
    Absent, Bool, Int8, UInt8, Int16, UInt16, Int32, UInt32, Int64, UInt64, Float32, Float64,
    String, ByteVector, IntVector, LongVector, DoubleVector, StringVector, Struct, StructVector, Table, TableVector,
}

/// <summary>One field of a model table: its kind, its value and, for scalars, the schema default.</summary>
public sealed record FieldModel(FieldKind Kind, long Bits, long DefaultBits, string Text, byte[] Bytes, long[] Longs, string[] Texts, TableModel[] Children)
{
    /// <summary>The model struct: int64, int32, then 4 bytes of padding to its 8-byte alignment.</summary>
    public const int StructSize = 16;
}

/// <summary>A table of the round-trip model; children are built before their parent.</summary>
public sealed record TableModel(FieldModel[] Fields)
{
    public override string ToString() => $"Table[{string.Join(", ", Fields.Select(f => f.Kind))}]";
}

/// <summary>Generates random table trees, builds them and checks what the reader returns.</summary>
public static class TableModels
{
    private static readonly FieldKind[] ScalarKinds = [FieldKind.Bool, FieldKind.Int8, FieldKind.UInt8, FieldKind.Int16, FieldKind.UInt16, FieldKind.Int32, FieldKind.UInt32, FieldKind.Int64, FieldKind.UInt64, FieldKind.Float32, FieldKind.Float64];

    public static Gen<TableModel> Table(int depth) =>
        from count in Gen.Choose(0, 8)
        from fields in Field(depth).ArrayOf(count)
        select new TableModel(fields);

    private static Gen<long> Long() =>
        Gen.Frequency(
            (3, Gen.Choose(-3, 3).Select(i => (long)i)),
            (5, Gen.Choose(int.MinValue, int.MaxValue).Two().Select(t => ((long)t.Item1 << 32) ^ (uint)t.Item2)));

    private static Gen<string> Text() =>
        Gen.Elements("", "a", "hello", "ünïcødé", "emoji 🎉", "tab\tnul\0inside", new string('x', 300));

    private static Gen<FieldModel> Field(int depth)
    {
        FieldKind[] kinds = depth > 0 ? Enum.GetValues<FieldKind>() : Enum.GetValues<FieldKind>().Where(k => k is not (FieldKind.Table or FieldKind.TableVector)).ToArray();
        return from kind in Gen.Elements(kinds)
               from bits in Long()
               from sameAsDefault in Gen.Frequency((1, Gen.Constant(true)), (3, Gen.Constant(false)))
               from otherDefault in Long()
               from text in Text()
               from bytes in Gen.Choose(0, 255).Select(b => (byte)b).ArrayOf()
               from longs in Long().ArrayOf()
               from texts in Text().ArrayOf()
               from kids in Children(kind, depth)
               select new FieldModel(kind, bits, sameAsDefault ? bits : otherDefault, text, bytes, longs, texts, kids);
    }

    // Children are generated only for table fields, so tree size stays small: at most 3 per field.
    private static Gen<TableModel[]> Children(FieldKind kind, int depth) => kind switch
    {
        FieldKind.Table => Table(depth - 1).Select(t => new[] { t }),
        FieldKind.TableVector => Gen.Choose(0, 3).SelectMany(n => Table(depth - 1).ArrayOf(n)),
        _ => Gen.Constant(Array.Empty<TableModel>()),
    };

    /// <summary>Builds <paramref name="model"/> with <paramref name="builder"/> and returns the table's offset.</summary>
    public static int Build(FlatBufferBuilder builder, TableModel model)
    {
        // Children first: a back-to-front builder needs their offsets before the table starts.
        int[] offsets = new int[model.Fields.Length];
        for (int i = 0; i < model.Fields.Length; i++)
        {
            FieldModel f = model.Fields[i];
            offsets[i] = f.Kind switch
            {
                FieldKind.String => builder.CreateString(f.Text),
                FieldKind.ByteVector => builder.CreateVector<byte>(f.Bytes),
                FieldKind.IntVector => builder.CreateVector<int>(f.Longs.Select(l => (int)l).ToArray()),
                FieldKind.LongVector => builder.CreateVector<long>(f.Longs),
                FieldKind.DoubleVector => builder.CreateVector<double>(f.Longs.Select(BitConverter.Int64BitsToDouble).ToArray()),
                FieldKind.StringVector => builder.CreateOffsetVector(f.Texts.Select(builder.CreateString).ToArray()),
                FieldKind.StructVector => builder.CreateStructVector(StructBytes(f.Longs), FieldModel.StructSize, 8),
                FieldKind.Table => Build(builder, f.Children[0]),
                FieldKind.TableVector => builder.CreateOffsetVector(f.Children.Select(c => Build(builder, c)).ToArray()),
                _ => 0,
            };
        }

        builder.StartTable(model.Fields.Length);
        for (int i = 0; i < model.Fields.Length; i++)
        {
            FieldModel f = model.Fields[i];
            long v = f.Bits;
            long d = f.DefaultBits;
            switch (f.Kind)
            {
                case FieldKind.Absent: break;
                case FieldKind.Bool: builder.AddBool(i, (v & 1) != 0, (d & 1) != 0); break;
                case FieldKind.Int8: builder.AddScalar(i, (sbyte)v, (sbyte)d); break;
                case FieldKind.UInt8: builder.AddScalar(i, (byte)v, (byte)d); break;
                case FieldKind.Int16: builder.AddScalar(i, (short)v, (short)d); break;
                case FieldKind.UInt16: builder.AddScalar(i, (ushort)v, (ushort)d); break;
                case FieldKind.Int32: builder.AddScalar(i, (int)v, (int)d); break;
                case FieldKind.UInt32: builder.AddScalar(i, (uint)v, (uint)d); break;
                case FieldKind.Int64: builder.AddScalar(i, v, d); break;
                case FieldKind.UInt64: builder.AddScalar(i, (ulong)v, (ulong)d); break;
                case FieldKind.Float32: builder.AddScalar(i, BitConverter.Int32BitsToSingle((int)v), BitConverter.Int32BitsToSingle((int)d)); break;
                case FieldKind.Float64: builder.AddScalar(i, BitConverter.Int64BitsToDouble(v), BitConverter.Int64BitsToDouble(d)); break;
                case FieldKind.Struct: builder.AddStruct(i, StructBytes([v]), 8); break;
                default: builder.AddOffset(i, offsets[i]); break;
            }
        }

        return builder.EndTable();
    }

    /// <summary>Asserts that <paramref name="table"/> holds exactly what <paramref name="model"/> describes.</summary>
    public static void AssertEqual(TableModel model, FlatTable table)
    {
        for (int i = 0; i < model.Fields.Length; i++)
        {
            FieldModel f = model.Fields[i];
            long v = f.Bits;
            long d = f.DefaultBits;
            bool isScalar = ScalarKinds.Contains(f.Kind);
            bool omitted = f.Kind == FieldKind.Absent || (isScalar && ScalarBitsEqual(f.Kind, v, d));
            Assert.Equal(!omitted, table.HasField(i));
            switch (f.Kind)
            {
                case FieldKind.Absent: Assert.Null(table.GetString(i)); break;
                case FieldKind.Bool: Assert.Equal((v & 1) != 0, table.GetBool(i, (d & 1) != 0)); break;
                case FieldKind.Int8: Assert.Equal((sbyte)v, table.GetSByte(i, (sbyte)d)); break;
                case FieldKind.UInt8: Assert.Equal((byte)v, table.GetByte(i, (byte)d)); break;
                case FieldKind.Int16: Assert.Equal((short)v, table.GetInt16(i, (short)d)); break;
                case FieldKind.UInt16: Assert.Equal((ushort)v, table.GetUInt16(i, (ushort)d)); break;
                case FieldKind.Int32: Assert.Equal((int)v, table.GetInt32(i, (int)d)); break;
                case FieldKind.UInt32: Assert.Equal((uint)v, table.GetUInt32(i, (uint)d)); break;
                case FieldKind.Int64: Assert.Equal(v, table.GetInt64(i, d)); break;
                case FieldKind.UInt64: Assert.Equal((ulong)v, table.GetUInt64(i, (ulong)d)); break;
                case FieldKind.Float32: Assert.Equal((int)v, BitConverter.SingleToInt32Bits(table.GetSingle(i, BitConverter.Int32BitsToSingle((int)d)))); break;
                case FieldKind.Float64: Assert.Equal(v, BitConverter.DoubleToInt64Bits(table.GetDouble(i, BitConverter.Int64BitsToDouble(d)))); break;
                case FieldKind.String: Assert.Equal(f.Text, table.GetString(i)); break;
                case FieldKind.ByteVector: Assert.Equal(f.Bytes, table.GetVector(i, 1).Bytes.ToArray()); break;
                case FieldKind.IntVector: AssertVector(f.Longs.Select(l => (int)l), table.GetVector(i, 4), (vec, k) => vec.Get<int>(k)); break;
                case FieldKind.LongVector: AssertVector(f.Longs, table.GetVector(i, 8), (vec, k) => vec.Get<long>(k)); break;
                case FieldKind.DoubleVector: AssertVector(f.Longs, table.GetVector(i, 8), (vec, k) => BitConverter.DoubleToInt64Bits(vec.Get<double>(k))); break;
                case FieldKind.StringVector: AssertVector(f.Texts, table.GetVector(i, 4), (vec, k) => vec.GetString(k)); break;
                case FieldKind.Struct: Assert.Equal(StructBytes([v]), table.GetStructBytes(i, FieldModel.StructSize).ToArray()); break;
                case FieldKind.StructVector: Assert.Equal(StructBytes(f.Longs), table.GetVector(i, FieldModel.StructSize).Bytes.ToArray()); break;
                case FieldKind.Table:
                    Assert.True(table.TryGetTable(i, out FlatTable child));
                    Assert.Equal(table.Depth + 1, child.Depth);
                    AssertEqual(f.Children[0], child);
                    break;
                case FieldKind.TableVector:
                    FlatVector tables = table.GetVector(i, 4);
                    Assert.Equal(f.Children.Length, tables.Length);
                    for (int k = 0; k < tables.Length; k++)
                    {
                        AssertEqual(f.Children[k], tables.GetTable(k));
                    }

                    break;
            }
        }

        Assert.False(table.HasField(model.Fields.Length));
    }

    /// <summary>A struct { a: long; b: int; (4 bytes padding) } per value: a = value, b = ~value.</summary>
    public static byte[] StructBytes(long[] values)
    {
        byte[] bytes = new byte[values.Length * FieldModel.StructSize];
        for (int i = 0; i < values.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * FieldModel.StructSize), values[i]);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan((i * FieldModel.StructSize) + 8), (int)~values[i]);
        }

        return bytes;
    }

    private delegate T Element<T>(FlatVector vector, int index);

    private static void AssertVector<T>(IEnumerable<T> expected, FlatVector vector, Element<T> read)
    {
        var actual = new List<T>();
        for (int k = 0; k < vector.Length; k++)
        {
            actual.Add(read(vector, k));
        }

        Assert.Equal(expected, actual);
    }

    private static bool ScalarBitsEqual(FieldKind kind, long v, long d) => kind switch
    {
        FieldKind.Bool => (v & 1) == (d & 1),
        FieldKind.Int8 or FieldKind.UInt8 => (byte)v == (byte)d,
        FieldKind.Int16 or FieldKind.UInt16 => (ushort)v == (ushort)d,
        FieldKind.Int32 or FieldKind.UInt32 or FieldKind.Float32 => (uint)v == (uint)d,
        _ => v == d,
    };
}
