using System.Buffers.Binary;
using ArrowCid.Arrow.FlatBuffers;

namespace ArrowCid.Arrow.Tests.FlatBuffers;

/// <summary>
/// Seeded mutation fuzzing of the reader: every mutated buffer is walked field by field, reading
/// each field as its schema says and also as a randomly chosen other kind, and only
/// <see cref="ArrowFormatException"/> may escape any read.
/// </summary>
public class FlatBufferFuzzTests
{
    private const int Seed = 20240611;
    private const int Mutations = 20_000;
    private static readonly FieldKind[] AllKinds = Enum.GetValues<FieldKind>();

    [Fact]
    public void Mutated_buffers_only_ever_raise_ArrowFormatException()
    {
        TableModel model = Sample();
        var builder = new FlatBufferBuilder();
        byte[] original = builder.FinishToArray(TableModels.Build(builder, model));
        TableModels.AssertEqual(model, FlatTable.GetRoot(original));

        var random = new Random(Seed);
        int rejected = 0;
        int readable = 0;
        for (int iteration = 0; iteration < Mutations; iteration++)
        {
            byte[] mutated = Mutate(original, random);
            var walk = new Walk(random);
            try
            {
                walk.Table(model, FlatTable.GetRoot(mutated));
                readable++;
            }
            catch (ArrowFormatException)
            {
                rejected++;
            }
            catch (Exception other)
            {
                Assert.Fail($"iteration {iteration}: {other.GetType().Name} escaped: {other.Message}\n{Convert.ToHexString(mutated)}");
            }

            rejected += walk.Rejections;
        }

        // Both outcomes must occur, or the mutations are not reaching the reader's checks.
        Assert.True(rejected > Mutations / 10, $"only {rejected} rejections");
        Assert.True(readable > Mutations / 10, $"only {readable} readable roots");
    }

    /// <summary>A table tree with every field kind, nested tables, table vectors and a union.</summary>
    private static TableModel Sample()
    {
        FieldModel Field(FieldKind kind, long bits, params TableModel[] children) =>
            new(kind, bits, 0, "fuzz ✓ text", [1, 2, 3, 4, 5], [1, -2, long.MaxValue], ["x", "", "yz"], children);

        TableModel leaf = new([Field(FieldKind.Int32, 5), Field(FieldKind.String, 0), Field(FieldKind.Float64, 0x4009_21FB_5444_2D18)]);
        TableModel middle = new([Field(FieldKind.Table, 0, leaf), Field(FieldKind.TableVector, 0, leaf, leaf), Field(FieldKind.Int16, -7)]);
        var fields = new List<FieldModel>();
        foreach (FieldKind kind in AllKinds)
        {
            fields.Add(kind switch
            {
                FieldKind.Table => Field(kind, 0, middle),
                FieldKind.TableVector => Field(kind, 0, leaf, middle),
                _ => Field(kind, -1234567890123),
            });
        }

        // A union: ubyte type 1 followed by its value (a table), as flatc lays it out.
        fields.Add(Field(FieldKind.UInt8, 1));
        fields.Add(Field(FieldKind.Table, 0, leaf));
        return new TableModel([.. fields]);
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        byte[] buffer = (byte[])original.Clone();
        switch (random.Next(6))
        {
            case 0:
                for (int flips = random.Next(1, 5); flips > 0; flips--)
                {
                    buffer[random.Next(buffer.Length)] ^= (byte)(1 << random.Next(8));
                }

                return buffer;
            case 1:
                return buffer.AsSpan(0, random.Next(buffer.Length)).ToArray();
            case 2:
            {
                // Edit a 32-bit word on a 4-byte boundary: uoffsets, soffsets, lengths.
                int at = random.Next(buffer.Length / 4) * 4;
                uint[] interesting = [0, 1, 3, 4, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFC, (uint)buffer.Length, (uint)(buffer.Length - at), (uint)random.Next()];
                BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(at), interesting[random.Next(interesting.Length)]);
                return buffer;
            }

            case 3:
            {
                // Edit a 16-bit word: vtable sizes and field offsets.
                int at = random.Next(buffer.Length / 2) * 2;
                ushort[] interesting = [0, 1, 2, 3, 4, 5, 0xFFFF, 0x8000, (ushort)random.Next(64)];
                BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(at), interesting[random.Next(interesting.Length)]);
                return buffer;
            }

            case 4:
            {
                // Shift a region, so offsets point into the middle of other objects.
                int from = random.Next(buffer.Length);
                int to = random.Next(buffer.Length);
                int length = random.Next(1, 32);
                length = Math.Min(length, Math.Min(buffer.Length - from, buffer.Length - to));
                buffer.AsSpan(from, length).CopyTo(buffer.AsSpan(to));
                return buffer;
            }

            default:
                random.NextBytes(buffer.AsSpan(random.Next(buffer.Length)));
                return buffer;
        }
    }

    /// <summary>One walk over a mutated buffer; each field read in isolation so one error does not hide the rest.</summary>
    private sealed class Walk(Random random)
    {
        // Shared children make a DAG; the budget keeps a walk linear in the buffer, not exponential.
        private int _budget = 2000;

        public int Rejections { get; private set; }

        public void Table(TableModel? model, FlatTable table)
        {
            int count = Math.Max(model?.Fields.Length ?? 0, table.FieldCount) + 1;
            for (int i = 0; i < count && _budget-- > 0; i++)
            {
                FieldModel? field = model is not null && i < model.Fields.Length ? model.Fields[i] : null;
                Read(table, i, field?.Kind ?? AllKinds[random.Next(AllKinds.Length)], field);
                Read(table, i, AllKinds[random.Next(AllKinds.Length)], null);
            }

            try
            {
                // The sample's union sits in its last two fields; elsewhere this reads other bytes as one.
                if (table.TryGetUnion(Math.Max(0, (model?.Fields.Length ?? 0) - 2), out _, out FlatTable member))
                {
                    Table(null, member);
                }
            }
            catch (ArrowFormatException)
            {
                Rejections++;
            }
        }

        private void Read(FlatTable table, int i, FieldKind kind, FieldModel? field)
        {
            try
            {
                switch (kind)
                {
                    case FieldKind.Absent: _ = table.HasField(i); break;
                    case FieldKind.Bool: _ = table.GetBool(i, false); break;
                    case FieldKind.Int8: _ = table.GetSByte(i, 0); break;
                    case FieldKind.UInt8: _ = table.GetByte(i, 0); break;
                    case FieldKind.Int16: _ = table.GetInt16(i, 0); break;
                    case FieldKind.UInt16: _ = table.GetUInt16(i, 0); break;
                    case FieldKind.Int32: _ = table.GetInt32(i, 0); break;
                    case FieldKind.UInt32: _ = table.GetUInt32(i, 0); break;
                    case FieldKind.Int64: _ = table.GetInt64(i, 0); break;
                    case FieldKind.UInt64: _ = table.GetUInt64(i, 0); break;
                    case FieldKind.Float32: _ = table.GetSingle(i, 0); break;
                    case FieldKind.Float64: _ = table.GetDouble(i, 0); break;
                    case FieldKind.String: _ = table.GetString(i); _ = table.GetStringBytes(i); break;
                    case FieldKind.ByteVector: _ = table.GetVector(i, 1).Bytes.Length; break;
                    case FieldKind.IntVector: Scalars<int>(table.GetVector(i, 4)); break;
                    case FieldKind.LongVector: Scalars<long>(table.GetVector(i, 8)); break;
                    case FieldKind.DoubleVector: Scalars<double>(table.GetVector(i, 8)); break;
                    case FieldKind.Struct: _ = table.GetStructBytes(i, FieldModel.StructSize); break;
                    case FieldKind.StructVector:
                        FlatVector structs = table.GetVector(i, FieldModel.StructSize);
                        for (int k = 0; k < structs.Length; k++)
                        {
                            _ = structs.GetStructBytes(k, FieldModel.StructSize);
                        }

                        break;
                    case FieldKind.StringVector:
                        FlatVector strings = table.GetVector(i, 4);
                        for (int k = 0; k < strings.Length && _budget-- > 0; k++)
                        {
                            _ = strings.GetString(k);
                        }

                        break;
                    case FieldKind.Table:
                        if (table.TryGetTable(i, out FlatTable child))
                        {
                            Table(field?.Children[0], child);
                        }

                        break;
                    case FieldKind.TableVector:
                        FlatVector tables = table.GetVector(i, 4);
                        for (int k = 0; k < tables.Length && _budget-- > 0; k++)
                        {
                            Table(field is not null && k < field.Children.Length ? field.Children[k] : null, tables.GetTable(k));
                        }

                        break;
                }
            }
            catch (ArrowFormatException)
            {
                Rejections++;
            }
        }

        private void Scalars<T>(FlatVector vector) where T : unmanaged
        {
            for (int k = 0; k < vector.Length && _budget-- > 0; k++)
            {
                _ = vector.Get<T>(k);
            }
        }
    }
}
