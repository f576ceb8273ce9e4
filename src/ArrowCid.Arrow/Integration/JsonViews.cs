using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using static ArrowCid.Arrow.Integration.JsonAccess;

namespace ArrowCid.Arrow.Integration;

/// <summary>
/// The <c>VIEWS</c> and <c>VARIADIC_DATA_BUFFERS</c> members of binary and utf8 view columns: each
/// view is <c>{SIZE, INLINED}</c> (12 bytes or fewer) or <c>{SIZE, PREFIX_HEX, BUFFER_INDEX, OFFSET}</c>.
/// Inlined utf8 values are text, inlined binary values and data buffers are hex.
/// </summary>
internal static class JsonViews
{
    private const int ViewSize = 16;
    private const int MaxInlined = 12;

    /// <summary>Appends the views buffer and then every variadic data buffer to <paramref name="buffers"/>.</summary>
    public static void Read(ArrowType type, JsonElement column, int count, string where, List<ReadOnlyMemory<byte>> buffers)
    {
        bool text = type.Id == ArrowTypeId.Utf8View;
        var variadic = Optional(column, "VARIADIC_DATA_BUFFERS") is { } list
            ? [.. list.EnumerateArray().Select((b, i) => Hex(b, $"{where} VARIADIC_DATA_BUFFERS[{i}]"))]
            : new List<byte[]>();
        var views = new byte[(long)ViewSize * count];
        int slot = 0;
        foreach (var view in Array(column, "VIEWS", where, count).EnumerateArray())
        {
            string at = $"{where} VIEWS[{slot}]";
            var bytes = views.AsSpan(slot * ViewSize, ViewSize);
            int size = Int32(Required(view, "SIZE", at), $"{at} SIZE");
            BinaryPrimitives.WriteInt32LittleEndian(bytes, size);
            if (size <= MaxInlined)
            {
                var inlined = Required(view, "INLINED", at);
                byte[] value = text ? Encoding.UTF8.GetBytes(String(inlined, $"{at} INLINED")) : Hex(inlined, $"{at} INLINED");
                if (value.Length != size)
                {
                    throw new ArrowFormatException($"{at}: INLINED has {value.Length} bytes, SIZE says {size}");
                }

                value.CopyTo(bytes[4..]);
            }
            else
            {
                byte[] prefix = Hex(Required(view, "PREFIX_HEX", at), $"{at} PREFIX_HEX");
                int bufferIndex = Int32(Required(view, "BUFFER_INDEX", at), $"{at} BUFFER_INDEX");
                int offset = Int32(Required(view, "OFFSET", at), $"{at} OFFSET");
                if (prefix.Length != 4 || (uint)bufferIndex >= (uint)variadic.Count || offset < 0 || (long)offset + size > variadic[bufferIndex].Length)
                {
                    throw new ArrowFormatException($"{at}: view of {size} bytes at {offset} in buffer {bufferIndex} is outside the {variadic.Count} variadic buffers (or PREFIX_HEX is not 4 bytes)");
                }

                if (!variadic[bufferIndex].AsSpan(offset, 4).SequenceEqual(prefix))
                {
                    throw new ArrowFormatException($"{at}: PREFIX_HEX does not match the viewed bytes");
                }

                prefix.CopyTo(bytes[4..]);
                BinaryPrimitives.WriteInt32LittleEndian(bytes[8..], bufferIndex);
                BinaryPrimitives.WriteInt32LittleEndian(bytes[12..], offset);
            }

            slot++;
        }

        buffers.Add(views);
        buffers.AddRange(variadic.Select(b => new ReadOnlyMemory<byte>(b)));
    }

    /// <summary>Writes the views of slots [0, length) as they are, and the array's variadic buffers.</summary>
    public static void Write(Utf8JsonWriter w, ArrayData array)
    {
        bool text = array.Type.PhysicalType.Id == ArrowTypeId.Utf8View;
        w.WriteStartArray("VIEWS");
        for (int i = 0; i < array.Length; i++)
        {
            var view = array.Buffers[1].Span.Slice((array.Offset + i) * ViewSize, ViewSize);
            int size = BinaryPrimitives.ReadInt32LittleEndian(view);
            w.WriteStartObject();
            w.WriteNumber("SIZE", size);
            if (size <= MaxInlined)
            {
                var value = view.Slice(4, size);
                if (text)
                {
                    w.WriteString("INLINED", Encoding.UTF8.GetString(value));
                }
                else
                {
                    w.WriteString("INLINED", Convert.ToHexString(value));
                }
            }
            else
            {
                w.WriteString("PREFIX_HEX", Convert.ToHexString(view.Slice(4, 4)));
                w.WriteNumber("BUFFER_INDEX", BinaryPrimitives.ReadInt32LittleEndian(view[8..]));
                w.WriteNumber("OFFSET", BinaryPrimitives.ReadInt32LittleEndian(view[12..]));
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("VARIADIC_DATA_BUFFERS");
        for (int b = 2; b < array.Buffers.Length; b++)
        {
            w.WriteStringValue(Convert.ToHexString(array.Buffers[b].Span));
        }

        w.WriteEndArray();
    }
}
