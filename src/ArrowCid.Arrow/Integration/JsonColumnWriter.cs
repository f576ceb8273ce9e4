using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Integration;

/// <summary>
/// Writes one array as a column (Integration.rst "FieldData"): a JSON member per entry of its
/// <see cref="TypeLayout"/>, then its children. Slices are materialised: offsets of var-width
/// values and lists start at 0 and list children hold only the referenced items.
/// </summary>
internal static class JsonColumnWriter
{
    public static void Write(Utf8JsonWriter w, string name, ArrayData array)
    {
        var type = array.Type.PhysicalType;
        if (type.Id == ArrowTypeId.RunEndEncoded)
        {
            array = JsonRunEnds.Materialize(array);
        }

        var valueType = type.Id == ArrowTypeId.Dictionary ? type.IndexType! : type;
        var layout = array.Layout;
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteNumber("count", array.Length);
        foreach (var kind in layout.Buffers)
        {
            switch (kind)
            {
                case BufferKind.Validity:
                    w.WriteStartArray("VALIDITY");
                    for (int i = 0; i < array.Length; i++)
                    {
                        w.WriteNumberValue(array.IsValid(i) ? 1 : 0);
                    }

                    w.WriteEndArray();
                    break;
                case BufferKind.Bits:
                    w.WriteStartArray("DATA");
                    for (int i = 0; i < array.Length; i++)
                    {
                        w.WriteBooleanValue(array.GetBoolean(i));
                    }

                    w.WriteEndArray();
                    break;
                case BufferKind.FixedWidth:
                    w.WriteStartArray("DATA");
                    for (int i = 0; i < array.Length; i++)
                    {
                        JsonFixedWidthValues.Write(w, valueType, ArrayEqualityValues.SlotBytes(array, i));
                    }

                    w.WriteEndArray();
                    break;
                case BufferKind.Offsets32 or BufferKind.Offsets64:
                    WriteOffsets(w, array, kind == BufferKind.Offsets64);
                    break;
                case BufferKind.Data:
                    WriteVarData(w, array);
                    break;
                case BufferKind.Sizes32 or BufferKind.Sizes64:
                    w.WriteStartArray("SIZE");
                    for (int i = 0; i < array.Length; i++)
                    {
                        var (start, end) = array.GetListRange(i);
                        WriteInteger(w, end - start, kind == BufferKind.Sizes64);
                    }

                    w.WriteEndArray();
                    break;
                case BufferKind.TypeIds:
                    w.WriteStartArray("TYPE_ID");
                    for (int i = 0; i < array.Length; i++)
                    {
                        w.WriteNumberValue((sbyte)array.Buffers[0].Span[array.Offset + i]);
                    }

                    w.WriteEndArray();
                    break;
                case BufferKind.UnionOffsets:
                    w.WriteStartArray("OFFSET");
                    var unionOffsets = MemoryMarshal.Cast<byte, int>(array.Buffers[1].Span);
                    for (int i = 0; i < array.Length; i++)
                    {
                        w.WriteNumberValue(unionOffsets[array.Offset + i]);
                    }

                    w.WriteEndArray();
                    break;
                case BufferKind.Views:
                    JsonViews.Write(w, array);
                    break;
                default:
                    throw new ArgumentException($"buffer kind {kind} has no JSON form", nameof(array));
            }
        }

        WriteChildren(w, array, type);
        w.WriteEndObject();
    }

    private static void WriteChildren(Utf8JsonWriter w, ArrayData array, ArrowType type)
    {
        if (type.Id == ArrowTypeId.Dictionary || type.Children.IsEmpty)
        {
            return;
        }

        w.WriteStartArray("children");
        for (int k = 0; k < type.Children.Length; k++)
        {
            Write(w, type.Children[k].Name, ChildToWrite(array, type, k));
        }

        w.WriteEndArray();
    }

    /// <summary>The part of child <paramref name="k"/> the written column refers to.</summary>
    private static ArrayData ChildToWrite(ArrayData array, ArrowType type, int k)
    {
        var child = array.Children[k];
        switch (type.Id)
        {
            case ArrowTypeId.List or ArrowTypeId.LargeList or ArrowTypeId.Map or ArrowTypeId.FixedSizeList:
            {
                // Offsets are written from 0, so the child starts at the first referenced item.
                if (array.Length == 0)
                {
                    return child.Slice(0, 0);
                }

                long start = array.GetListRange(0).Start;
                long end = array.GetListRange(array.Length - 1).End;
                return child.Slice(checked((int)start), checked((int)(end - start)));
            }

            default:
                // Struct and sparse-union children are already aligned with the parent's slots; list
                // views, dense unions and run-end values address their whole child.
                return child;
        }
    }

    private static void WriteOffsets(Utf8JsonWriter w, ArrayData array, bool large)
    {
        var type = array.Type.PhysicalType;
        bool listView = type.Id is ArrowTypeId.ListView or ArrowTypeId.LargeListView;
        bool bytes = type.Id is ArrowTypeId.Binary or ArrowTypeId.LargeBinary or ArrowTypeId.Utf8 or ArrowTypeId.LargeUtf8;
        w.WriteStartArray("OFFSET");
        if (listView)
        {
            for (int i = 0; i < array.Length; i++)
            {
                WriteInteger(w, array.GetListRange(i).Start, large);
            }
        }
        else
        {
            long position = 0;
            long first = !bytes && array.Length > 0 ? array.GetListRange(0).Start : 0;
            WriteInteger(w, 0, large);
            for (int i = 0; i < array.Length; i++)
            {
                position = bytes ? position + array.GetBytes(i).Length : array.GetListRange(i).End - first;
                WriteInteger(w, position, large);
            }
        }

        w.WriteEndArray();
    }

    private static void WriteVarData(Utf8JsonWriter w, ArrayData array)
    {
        bool text = array.Type.PhysicalType.Id is ArrowTypeId.Utf8 or ArrowTypeId.LargeUtf8;
        w.WriteStartArray("DATA");
        for (int i = 0; i < array.Length; i++)
        {
            var value = array.GetBytes(i);
            w.WriteStringValue(text ? Encoding.UTF8.GetString(value) : Convert.ToHexString(value));
        }

        w.WriteEndArray();
    }

    /// <summary>32-bit integers as JSON numbers, 64-bit ones as strings (Integration.rst).</summary>
    private static void WriteInteger(Utf8JsonWriter w, long value, bool large)
    {
        if (large)
        {
            w.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            w.WriteNumberValue(value);
        }
    }
}
