using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.DagCbor;

/// <summary>
/// Strict DAG-CBOR decoding into <see cref="DagNode"/> trees: exactly one top-level item, string
/// map keys in canonical order without duplicates, and nesting no deeper than
/// <see cref="MaxDepth"/>. Token-level rules are enforced by <see cref="DagCborReader"/>.
/// </summary>
public static class DagCborDecoder
{
    /// <summary>Deepest nesting of lists and maps accepted.</summary>
    public const int MaxDepth = 256;

    /// <summary>Decodes one DAG-CBOR block.</summary>
    /// <param name="data">The encoded bytes; all of them must belong to one item.</param>
    /// <returns>The decoded node.</returns>
    /// <exception cref="ContentFormatException">The bytes are not strict DAG-CBOR.</exception>
    public static DagNode Decode(ReadOnlySpan<byte> data) => Decode(data, 0);

    /// <summary>Decodes one DAG-CBOR block without throwing.</summary>
    /// <param name="data">The encoded bytes.</param>
    /// <param name="node">The node, or null.</param>
    /// <returns>Whether the bytes were valid.</returns>
    public static bool TryDecode(ReadOnlySpan<byte> data, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DagNode? node)
    {
        try
        {
            node = Decode(data, 0);
            return true;
        }
        catch (ContentFormatException)
        {
            node = null;
            return false;
        }
    }

    internal static DagNode Decode(ReadOnlySpan<byte> data, long baseOffset)
    {
        var reader = new DagCborReader(data, baseOffset);
        var node = ReadItem(ref reader, 0, baseOffset);
        if (reader.BytesRemaining != 0)
        {
            throw new ContentFormatException($"DAG-CBOR: {reader.BytesRemaining} bytes follow the top-level item", baseOffset + reader.BytesConsumed);
        }

        return node;
    }

    private static DagNode ReadItem(ref DagCborReader reader, int depth, long baseOffset)
    {
        if (!reader.Read())
        {
            throw new ContentFormatException("DAG-CBOR: input ended where an item was expected", baseOffset + reader.BytesConsumed);
        }

        return ReadCurrent(ref reader, depth, baseOffset);
    }

    private static DagNode ReadCurrent(ref DagCborReader reader, int depth, long baseOffset)
    {
        switch (reader.TokenType)
        {
            case DagCborTokenType.Null:
                return DagNode.Null;
            case DagCborTokenType.False:
                return DagNode.False;
            case DagCborTokenType.True:
                return DagNode.True;
            case DagCborTokenType.Integer:
                return DagNode.IntegerOf(reader.IntegerValue);
            case DagCborTokenType.Float:
                return DagNode.Of(reader.FloatValue);
            case DagCborTokenType.String:
                return DagNode.StringFromUtf8(reader.ValueSpan.ToArray());
            case DagCborTokenType.Bytes:
                return DagNode.BytesFromArray(reader.ValueSpan.ToArray());
            case DagCborTokenType.Link:
                return DagNode.Of(reader.GetLink());
            case DagCborTokenType.StartList:
                return ReadList(ref reader, EnterContainer(ref reader, depth, baseOffset), baseOffset);
            case DagCborTokenType.StartMap:
                return ReadMap(ref reader, EnterContainer(ref reader, depth, baseOffset), baseOffset);
            default:
                throw new ContentFormatException("DAG-CBOR: unexpected token", baseOffset + reader.TokenStart);
        }
    }

    private static int EnterContainer(ref DagCborReader reader, int depth, long baseOffset)
    {
        if (depth >= MaxDepth)
        {
            throw new ContentFormatException($"DAG-CBOR: nesting deeper than {MaxDepth} levels", baseOffset + reader.TokenStart);
        }

        return depth + 1;
    }

    private static DagNode ReadList(ref DagCborReader reader, int depth, long baseOffset)
    {
        var items = new DagNode[reader.ContainerLength];
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = ReadItem(ref reader, depth, baseOffset);
        }

        return DagNode.ListOf(items);
    }

    private static DagNode ReadMap(ref DagCborReader reader, int depth, long baseOffset)
    {
        var entries = new DagNode.MapEntry[reader.ContainerLength];
        byte[]? previousKey = null;
        for (int i = 0; i < entries.Length; i++)
        {
            if (!reader.Read())
            {
                throw new ContentFormatException("DAG-CBOR: input ended inside a map", baseOffset + reader.BytesConsumed);
            }

            if (reader.TokenType != DagCborTokenType.String)
            {
                throw new ContentFormatException($"DAG-CBOR: map keys must be strings, found {reader.TokenType}", baseOffset + reader.TokenStart);
            }

            var key = reader.ValueSpan.ToArray();
            if (previousKey != null)
            {
                int order = DagCborKeyOrder.Compare(previousKey, key);
                if (order >= 0)
                {
                    throw new ContentFormatException(order == 0 ? "DAG-CBOR: duplicate map key" : "DAG-CBOR: map keys are not in canonical order (length first, then bytewise)", baseOffset + reader.TokenStart);
                }
            }

            string keyText = reader.GetString();
            entries[i] = new DagNode.MapEntry(keyText, key, ReadItem(ref reader, depth, baseOffset));
            previousKey = key;
        }

        return DagNode.MapFromOrdered(entries);
    }

    /// <summary>Decodes a block and checks it against the CID that names it.</summary>
    /// <param name="cid">The expected CID (codec dag-cbor).</param>
    /// <param name="data">The block bytes.</param>
    /// <returns>The decoded node.</returns>
    /// <exception cref="ContentFormatException">Wrong codec, hash mismatch, or invalid DAG-CBOR.</exception>
    public static DagNode DecodeVerified(Cid cid, ReadOnlySpan<byte> data)
    {
        CheckBlock(cid, data);
        return Decode(data);
    }

    /// <summary>Checks a block against the CID that names it, for readers that decode it their own way.</summary>
    /// <param name="cid">The expected CID (codec dag-cbor).</param>
    /// <param name="data">The block bytes.</param>
    /// <exception cref="ContentFormatException">Wrong codec or hash mismatch.</exception>
    internal static void CheckBlock(Cid cid, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(cid);
        if (cid.Codec != Multicodec.DagCbor)
        {
            throw new ContentFormatException($"CID {cid} has codec {Multicodec.NameOf(cid.Codec)}, not dag-cbor");
        }

        if (!cid.Verify(data))
        {
            throw new ContentFormatException($"Block does not hash to {cid}");
        }
    }
}
