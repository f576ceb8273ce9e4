using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>The CIDs a DAG-CBOR manifest links, wherever they sit in it: what GC must keep alive for a kept dataset.</summary>
internal static class ManifestLinks
{
    /// <summary>Decodes a DAG-CBOR block already checked against its CID and returns its links, first appearance first.</summary>
    /// <exception cref="Content.ContentFormatException">Malformed DAG-CBOR.</exception>
    public static IReadOnlyList<Cid> Of(ReadOnlySpan<byte> block)
    {
        var root = DagCborDecoder.Decode(block);
        var links = new List<Cid>();
        var seen = new HashSet<Cid>();
        Collect(root, links, seen);
        return links;
    }

    // The decoder bounds nesting depth, so this recursion is bounded too.
    private static void Collect(DagNode node, List<Cid> links, HashSet<Cid> seen)
    {
        switch (node.Kind)
        {
            case DagKind.Link:
                var link = node.AsLink();
                if (seen.Add(link))
                {
                    links.Add(link);
                }

                break;
            case DagKind.List:
                foreach (var item in node.Items)
                {
                    Collect(item, links, seen);
                }

                break;
            case DagKind.Map:
                foreach (var entry in node.Entries)
                {
                    Collect(entry.Value, links, seen);
                }

                break;
        }
    }
}
