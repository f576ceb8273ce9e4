using System.Buffers;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.DagCbor;

/// <summary>Canonical DAG-CBOR encoding of <see cref="DagNode"/> trees.</summary>
public static class DagCborEncoder
{
    /// <summary>Encodes a node into a new array.</summary>
    /// <param name="node">The value.</param>
    /// <returns>The canonical bytes.</returns>
    /// <exception cref="ArgumentException">The tree nests deeper than <see cref="DagCborDecoder.MaxDepth"/>.</exception>
    public static byte[] Encode(DagNode node)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Encode(node, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Encodes a node into <paramref name="output"/>.</summary>
    /// <param name="node">The value.</param>
    /// <param name="output">Destination.</param>
    public static void Encode(DagNode node, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(node);
        Write(new DagCborWriter(output), node, 0);
    }

    /// <summary>Encodes a node and names it: CIDv1, dag-cbor, sha2-256.</summary>
    /// <param name="node">The value.</param>
    /// <param name="cid">The block's CID.</param>
    /// <returns>The canonical bytes.</returns>
    public static byte[] EncodeBlock(DagNode node, out Cid cid)
    {
        var bytes = Encode(node);
        cid = Cid.ForDagCbor(bytes);
        return bytes;
    }

    private static void Write(DagCborWriter writer, DagNode node, int depth)
    {
        switch (node.Kind)
        {
            case DagKind.Null:
                writer.WriteNull();
                break;
            case DagKind.Boolean:
                writer.WriteBoolean(node.AsBoolean());
                break;
            case DagKind.Integer:
                var value = node.IntegerValue;
                if (value < 0)
                {
                    writer.WriteInteger((long)value);
                }
                else
                {
                    writer.WriteInteger((ulong)value);
                }

                break;
            case DagKind.Float:
                writer.WriteFloat(node.AsDouble());
                break;
            case DagKind.String:
                writer.WriteUtf8String(node.Utf8String);
                break;
            case DagKind.Bytes:
                writer.WriteBytes(node.AsBytes().Span);
                break;
            case DagKind.Link:
                writer.WriteLink(node.AsLink());
                break;
            case DagKind.List:
                CheckDepth(depth);
                writer.WriteStartList(node.Items.Count);
                foreach (var item in node.Items)
                {
                    Write(writer, item, depth + 1);
                }

                break;
            case DagKind.Map:
                CheckDepth(depth);
                var entries = node.MapEntries;
                writer.WriteStartMap(entries.Length);
                foreach (var entry in entries)
                {
                    writer.WriteUtf8String(entry.Utf8Key);
                    Write(writer, entry.Value, depth + 1);
                }

                break;
        }
    }

    private static void CheckDepth(int depth)
    {
        if (depth >= DagCborDecoder.MaxDepth)
        {
            throw new ArgumentException($"The tree nests deeper than {DagCborDecoder.MaxDepth} levels, which DAG-CBOR decoders here refuse.");
        }
    }
}
