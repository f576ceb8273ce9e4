using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.DagPb;

/// <summary>
/// The links of a dag-pb node (the codec of UnixFS files and folders), read from its protobuf
/// form: <c>PBNode { 2: repeated PBLink Links; 1: bytes Data }</c>, <c>PBLink { 1: bytes Hash;
/// 2: string Name; 3: uint64 Tsize }</c>. Only the link hashes are read, so that a kept node keeps
/// what it links; the rest of the node is skipped, not validated.
/// </summary>
public static class DagPbLinks
{
    private const int VarintWire = 0;
    private const int Fixed64Wire = 1;
    private const int LengthDelimitedWire = 2;
    private const int Fixed32Wire = 5;
    private const ulong LinksField = 2;
    private const ulong HashField = 1;

    /// <summary>The CIDs a node links, in order (a link whose hash is not a CID this library reads is left out).</summary>
    /// <param name="node">The node's bytes.</param>
    /// <returns>The linked CIDs.</returns>
    /// <exception cref="ContentFormatException">The bytes are not a protobuf message.</exception>
    public static IReadOnlyList<Cid> Of(ReadOnlySpan<byte> node)
    {
        var links = new List<Cid>();
        int at = 0;
        while (at < node.Length)
        {
            var (field, value) = ReadField(node, ref at);
            if (field == LinksField && HashOf(node[value]) is { } link)
            {
                links.Add(link);
            }
        }

        return links;
    }

    private static Cid? HashOf(ReadOnlySpan<byte> link)
    {
        Cid? hash = null;
        int at = 0;
        while (at < link.Length)
        {
            var (field, value) = ReadField(link, ref at);
            if (field == HashField && !link[value].IsEmpty)
            {
                try
                {
                    hash = Cid.FromBytes(link[value]);
                }
                catch (ContentFormatException)
                {
                    // A hash function or CID form this library cannot name: nothing it could keep.
                    hash = null;
                }
            }
        }

        return hash;
    }

    // One field: its number and, for a length-delimited one, where its bytes are (empty for the other wire types, which are skipped).
    private static (ulong Field, Range Value) ReadField(ReadOnlySpan<byte> message, ref int at)
    {
        ulong key = ReadVarint(message, ref at);
        ulong field = key >> 3;
        switch ((int)(key & 7))
        {
            case VarintWire:
                ReadVarint(message, ref at);
                return (field, default(Range));
            case Fixed64Wire:
                Skip(message, ref at, 8);
                return (field, default(Range));
            case Fixed32Wire:
                Skip(message, ref at, 4);
                return (field, default(Range));
            case LengthDelimitedWire:
                ulong length = ReadVarint(message, ref at);
                int start = at;
                Skip(message, ref at, length);
                return (field, start..at);
            default:
                throw new ContentFormatException($"dag-pb: wire type {key & 7} of field {field} is not one protobuf uses here", at);
        }
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> message, ref int at)
    {
        if (!Varint.TryRead(message[at..], out ulong value, out int read))
        {
            throw new ContentFormatException("dag-pb: malformed varint", at);
        }

        at += read;
        return value;
    }

    private static void Skip(ReadOnlySpan<byte> message, ref int at, ulong length)
    {
        if (length > (ulong)(message.Length - at))
        {
            throw new ContentFormatException($"dag-pb: a field of {length} bytes runs past the end of the node", at);
        }

        at += (int)length;
    }
}
