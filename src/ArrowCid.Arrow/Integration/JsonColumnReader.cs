using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Types;
using static ArrowCid.Arrow.Integration.JsonAccess;

namespace ArrowCid.Arrow.Integration;

/// <summary>
/// Reads one column (Integration.rst "FieldData") into an <see cref="ArrayData"/>: one buffer per
/// entry of the type's <see cref="TypeLayout"/>, each built from the JSON member that holds it, then
/// the children and the dictionary. The result is checked enough that walking it cannot go out of
/// bounds (<see cref="JsonColumnChecks"/>).
/// </summary>
internal sealed class JsonColumnReader(JsonDictionaryResolver dictionaries)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public ArrayData Read(JsonFieldNode node, JsonElement column, string where)
    {
        ExpectKind(column, JsonValueKind.Object, where);
        int count = (int)InRange(Integer(Required(column, "count", where), $"{where} count"), 0, int.MaxValue, $"{where} count");
        var type = node.Field.Type;
        var physical = type.PhysicalType;
        // A dictionary column holds indices: its DATA is read as the index type.
        var valueType = physical.Id == ArrowTypeId.Dictionary ? physical.IndexType! : physical;
        var layout = type.Layout;

        var buffers = new List<ReadOnlyMemory<byte>>(layout.Buffers.Length);
        long[]? offsets = null;
        foreach (var kind in layout.Buffers)
        {
            switch (kind)
            {
                case BufferKind.Validity:
                    buffers.Add(Optional(column, "VALIDITY") is { } validity ? Bitmap(validity, count, $"{where} VALIDITY") : ReadOnlyMemory<byte>.Empty);
                    break;
                case BufferKind.Bits:
                    buffers.Add(Bitmap(Array(column, "DATA", where, count), count, $"{where} DATA"));
                    break;
                case BufferKind.FixedWidth:
                    buffers.Add(FixedWidth(valueType, layout.ValueBitWidth / 8, Array(column, "DATA", where, count), count, $"{where} DATA"));
                    break;
                case BufferKind.Offsets32 or BufferKind.Offsets64:
                    // List views give each slot its own offset (and a SIZE); the others give count + 1 bounds.
                    bool view = layout.Buffers.Contains(BufferKind.Sizes32) || layout.Buffers.Contains(BufferKind.Sizes64);
                    offsets = Integers(Array(column, "OFFSET", where, view ? count : count + 1), $"{where} OFFSET");
                    if (layout.Buffers.Contains(BufferKind.Data))
                    {
                        // DATA holds one value per slot, so bytes before the first offset do not exist here.
                        long first = offsets[0];
                        offsets = [.. offsets.Select(o => o - first)];
                    }

                    buffers.Add(Pack(offsets, kind == BufferKind.Offsets32 ? 4 : 8, $"{where} OFFSET"));
                    break;
                case BufferKind.Data:
                    buffers.Add(VarData(physical, Array(column, "DATA", where, count), offsets!, $"{where} DATA"));
                    break;
                case BufferKind.Sizes32 or BufferKind.Sizes64:
                    buffers.Add(Pack(Integers(Array(column, "SIZE", where, count), $"{where} SIZE"), kind == BufferKind.Sizes32 ? 4 : 8, $"{where} SIZE"));
                    break;
                case BufferKind.TypeIds:
                    buffers.Add(Pack(Integers(Array(column, "TYPE_ID", where, count), $"{where} TYPE_ID"), 1, $"{where} TYPE_ID"));
                    break;
                case BufferKind.UnionOffsets:
                    buffers.Add(Pack(Integers(Array(column, "OFFSET", where, count), $"{where} OFFSET"), 4, $"{where} OFFSET"));
                    break;
                case BufferKind.Views:
                    JsonViews.Read(physical, column, count, where, buffers);
                    break;
                default:
                    throw new ArrowFormatException($"{where}: buffer kind {kind} has no JSON form");
            }
        }

        var children = physical.Id == ArrowTypeId.Dictionary ? [] : ReadChildren(node, column, where);
        var dictionary = node.DictionaryId is { } id ? dictionaries.Get(id, node, where) : null;
        var array = new ArrayData(type, count, -1, 0, buffers, children, dictionary);
        JsonColumnChecks.Check(array, where);
        return array;
    }

    private List<ArrayData> ReadChildren(JsonFieldNode node, JsonElement column, string where)
    {
        if (node.Children.Count == 0)
        {
            return [];
        }

        var json = Array(column, "children", where, node.Children.Count);
        var children = new List<ArrayData>(node.Children.Count);
        for (int i = 0; i < node.Children.Count; i++)
        {
            var child = node.Children[i];
            children.Add(Read(child, json[i], $"{where}/child {i} '{child.Field.Name}'"));
        }

        return children;
    }

    private static byte[] Bitmap(JsonElement items, int count, string where)
    {
        ExpectKind(items, JsonValueKind.Array, where);
        if (items.GetArrayLength() != count)
        {
            throw new ArrowFormatException($"{where}: {items.GetArrayLength()} items for {count} slots");
        }

        var bits = new byte[BitUtil.BytesForBits(count)];
        int i = 0;
        foreach (var item in items.EnumerateArray())
        {
            BitUtil.SetBit(bits, i, Bool(item, $"{where}[{i}]"));
            i++;
        }

        return bits;
    }

    private static byte[] FixedWidth(ArrowType type, int width, JsonElement items, int count, string where)
    {
        var bytes = new byte[(long)width * count];
        int i = 0;
        foreach (var item in items.EnumerateArray())
        {
            JsonFixedWidthValues.Read(type, item, bytes.AsSpan(i * width, width), $"{where}[{i}]");
            i++;
        }

        return bytes;
    }

    private static long[] Integers(JsonElement items, string where) =>
        [.. items.EnumerateArray().Select((item, i) => Int64(item, $"{where}[{i}]"))];

    /// <summary>Little-endian integers of <paramref name="width"/> bytes, each checked to fit.</summary>
    private static byte[] Pack(long[] values, int width, string where)
    {
        var bytes = new byte[values.Length * width];
        for (int i = 0; i < values.Length; i++)
        {
            var slot = bytes.AsSpan(i * width, width);
            switch (width)
            {
                case 1:
                    slot[0] = (byte)(sbyte)InRange(values[i], sbyte.MinValue, sbyte.MaxValue, $"{where}[{i}]");
                    break;
                case 4:
                    BinaryPrimitives.WriteInt32LittleEndian(slot, (int)InRange(values[i], int.MinValue, int.MaxValue, $"{where}[{i}]"));
                    break;
                default:
                    BinaryPrimitives.WriteInt64LittleEndian(slot, values[i]);
                    break;
            }
        }

        return bytes;
    }

    /// <summary>The bytes of a binary or utf8 column: each DATA item must be as long as its offsets say.</summary>
    private static byte[] VarData(ArrowType type, JsonElement items, long[] offsets, string where)
    {
        bool text = type.Id is ArrowTypeId.Utf8 or ArrowTypeId.LargeUtf8;
        using var data = new MemoryStream();
        int i = 0;
        foreach (var item in items.EnumerateArray())
        {
            byte[] bytes = text ? StrictUtf8.GetBytes(String(item, $"{where}[{i}]")) : Hex(item, $"{where}[{i}]");
            long expected = offsets[i + 1] - offsets[i];
            if (offsets[i] != data.Length || bytes.Length != expected)
            {
                throw new ArrowFormatException($"{where}[{i}]: {bytes.Length} bytes at byte {data.Length}, but OFFSET says {expected} at {offsets[i]}");
            }

            data.Write(bytes);
            i++;
        }

        return data.ToArray();
    }
}
