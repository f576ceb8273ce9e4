using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Parquet.Reading;

/// <summary>
/// Inverse Dremel: rebuilds Arrow arrays from the levels and values of a row group's leaf
/// columns. Each node reads the levels of its first leaf: its slots are the entries that start a
/// new value at its depth (see <see cref="ReadNode"/>), validity comes from the definition level,
/// and a list's offsets count the entries that are items of it. Every length is checked, so
/// inconsistent levels give a <see cref="ParquetFormatException"/>, never a wrong array.
/// </summary>
internal sealed class LevelAssembler(IReadOnlyList<LeafColumnData> columns)
{
    public ArrayData Assemble(ReadNode node)
    {
        LeafColumnData leaf = columns[node.FirstLeaf];
        int[] slots = Slots(leaf, node.SlotRepetition, node.SlotDefinition);
        return node switch
        {
            LeafReadNode l => LeafArrayBuilder.Build(l, leaf, slots),
            StructReadNode s => AssembleStruct(s, leaf, slots),
            ListReadNode l => AssembleList(l, leaf, slots),
            _ => throw new InvalidOperationException(node.GetType().Name),
        };
    }

    private ArrayData AssembleStruct(StructReadNode node, LeafColumnData leaf, int[] slots)
    {
        var members = new ArrayData[node.Members.Count];
        for (int i = 0; i < members.Length; i++)
        {
            members[i] = Assemble(node.Members[i]);
            if (members[i].Length != slots.Length)
            {
                throw new ParquetFormatException($"column {leaf.Column}: struct member '{node.Members[i].Field.Name}' has {members[i].Length} values for {slots.Length} slots") { Column = leaf.Column.ToString() };
            }
        }
        (byte[]? validity, int nulls) = Validity(node, leaf, slots);
        return new ArrayData(node.Field.Type, slots.Length, nulls, 0, [validity ?? ReadOnlyMemory<byte>.Empty], members);
    }

    private ArrayData AssembleList(ListReadNode node, LeafColumnData leaf, int[] slots)
    {
        IReadOnlyList<int> rep = leaf.RepetitionLevels;
        IReadOnlyList<int> def = leaf.DefinitionLevels;
        int[] offsets = new int[slots.Length + 1];
        int items = 0;
        int slot = 0;
        for (int e = 0; e < leaf.LevelCount; e++)
        {
            int r = rep.Count == 0 ? 0 : rep[e];
            int d = def.Count == 0 ? 0 : def[e];
            if (r <= node.SlotRepetition && d >= node.SlotDefinition)
            {
                offsets[slot++] = items;
            }
            if (r <= node.ItemRepetition && d >= node.ItemDefinition)
            {
                if (slot == 0)
                {
                    throw new ParquetFormatException($"column {leaf.Column}: a list item comes before any list") { Column = leaf.Column.ToString() };
                }
                items++;
            }
        }
        offsets[slots.Length] = items;
        ArrayData element = Assemble(node.Element);
        if (element.Length != items)
        {
            throw new ParquetFormatException($"column {leaf.Column}: list element has {element.Length} values for {items} items") { Column = leaf.Column.ToString() };
        }
        (byte[]? validity, int nulls) = Validity(node, leaf, slots);
        byte[] offsetBytes = new byte[offsets.Length * 4];
        Buffer.BlockCopy(offsets, 0, offsetBytes, 0, offsetBytes.Length);
        ArrayData child = node.Field.Type.Id == ArrowTypeId.Map ? element.WithType(node.Field.Type.Children[0].Type) : element;
        return new ArrayData(node.Field.Type, slots.Length, nulls, 0, [validity ?? ReadOnlyMemory<byte>.Empty, offsetBytes], [child]);
    }

    /// <summary>The entries that start a slot: repetition at most <paramref name="maxRep"/>, definition at least <paramref name="minDef"/>.</summary>
    internal static int[] Slots(LeafColumnData leaf, int maxRep, int minDef)
    {
        IReadOnlyList<int> rep = leaf.RepetitionLevels;
        IReadOnlyList<int> def = leaf.DefinitionLevels;
        if ((rep.Count == 0 || maxRep >= leaf.Column.MaxRepetitionLevel) && minDef == 0)
        {
            return [.. Enumerable.Range(0, leaf.LevelCount)];
        }
        var slots = new List<int>();
        for (int e = 0; e < leaf.LevelCount; e++)
        {
            if ((rep.Count == 0 || rep[e] <= maxRep) && (def.Count == 0 ? 0 : def[e]) >= minDef)
            {
                slots.Add(e);
            }
        }
        return [.. slots];
    }

    /// <summary>The validity bitmap of a nullable node (null when every slot is valid).</summary>
    internal static (byte[]? Bitmap, int Nulls) Validity(ReadNode node, LeafColumnData leaf, int[] slots)
    {
        IReadOnlyList<int> def = leaf.DefinitionLevels;
        if (!node.Nullable || def.Count == 0)
        {
            return (null, 0);
        }
        byte[] bitmap = new byte[(slots.Length + 7) / 8];
        int nulls = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            if (def[slots[i]] >= node.DefinitionLevel)
            {
                bitmap[i >> 3] |= (byte)(1 << (i & 7));
            }
            else
            {
                nulls++;
            }
        }
        return nulls == 0 ? (null, 0) : (bitmap, nulls);
    }
}
