using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Parquet.Writing;

/// <summary>
/// Dremel shredding of one leaf column: walks each row from the top-level array down the leaf's
/// <see cref="LeafPlan.Chain"/>, adding one (definition, repetition) pair per leaf entry - a
/// value, a null at some level, or an empty list - and converting present values to their
/// physical form. An optional node adds one definition level when its slot is valid; a list adds
/// one when it has items, and its items after the first repeat at the list's repetition level.
/// Dictionary arrays are walked through their indices, extension arrays as their storage.
/// </summary>
internal static class LevelShredder
{
    public static void ShredRows(LeafPlan leaf, ArrayData column, int rowCount, ColumnBuffer sink)
    {
        for (int row = 0; row < rowCount; row++)
        {
            Shred(leaf, 0, column, row, 0, 0, sink);
        }
    }

    private static void Shred(LeafPlan leaf, int depth, ArrayData array, int index, int definition, int repetition, ColumnBuffer sink)
    {
        ShredNode node = leaf.Chain[depth];
        bool valid = Resolve(ref array, ref index);
        if (!valid)
        {
            if (!node.Optional)
            {
                throw new ArgumentException($"column {leaf.DottedPath}: a non-nullable field holds a null");
            }
            sink.AddLevels(definition, repetition);
            return;
        }
        if (node.Optional)
        {
            definition++;
        }
        switch (node.Kind)
        {
            case ShredKind.Leaf:
                sink.AddLevels(definition, repetition);
                LeafValueWriter.Write(leaf, array, index, sink);
                break;
            case ShredKind.Struct:
            {
                ShredNode next = leaf.Chain[depth + 1];
                Shred(leaf, depth + 1, array.Children[next.ArrowChildIndex], index, definition, repetition, sink);
                break;
            }
            default:
            {
                (long start, long end) = array.GetListRange(index);
                if (start == end)
                {
                    sink.AddLevels(definition, repetition);
                    return;
                }
                ArrayData items = array.Children[0];
                for (long i = start; i < end; i++)
                {
                    Shred(leaf, depth + 1, items, checked((int)i), definition + 1, i == start ? repetition : node.RepetitionLevel, sink);
                }
                break;
            }
        }
    }

    /// <summary>Follows dictionary indices to the value slot; false when the slot is null.</summary>
    private static bool Resolve(ref ArrayData array, ref int index)
    {
        while (true)
        {
            ArrowType type = array.Type.PhysicalType;
            if (type.Id == ArrowTypeId.Null || array.IsNull(index))
            {
                return false;
            }
            if (type.Id != ArrowTypeId.Dictionary)
            {
                return true;
            }
            index = DictionaryIndex(array, index);
            array = array.Dictionary!;
        }
    }

    private static int DictionaryIndex(ArrayData array, int index)
    {
        ReadOnlySpan<byte> indices = array.Buffers[1].Span;
        int slot = array.Offset + index;
        long value = array.Type.PhysicalType.IndexType!.Id switch
        {
            ArrowTypeId.Int8 => (sbyte)indices[slot],
            ArrowTypeId.UInt8 => indices[slot],
            ArrowTypeId.Int16 => MemoryMarshal.Cast<byte, short>(indices)[slot],
            ArrowTypeId.UInt16 => MemoryMarshal.Cast<byte, ushort>(indices)[slot],
            ArrowTypeId.Int32 => MemoryMarshal.Cast<byte, int>(indices)[slot],
            ArrowTypeId.UInt32 => MemoryMarshal.Cast<byte, uint>(indices)[slot],
            ArrowTypeId.UInt64 => checked((long)BinaryPrimitives.ReadUInt64LittleEndian(indices[(slot * 8)..])),
            _ => MemoryMarshal.Cast<byte, long>(indices)[slot],
        };
        return checked((int)value);
    }
}
