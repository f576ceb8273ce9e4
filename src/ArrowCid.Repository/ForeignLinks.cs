using ArrowCid.Content;
using ArrowCid.Content.DagPb;
using ArrowCid.Content.Multiformats;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>
/// The CIDs a foreign block links, so that GC keeps what a kept foreign DAG links, as it keeps a
/// pinned dataset's batches: DAG-CBOR links wherever they sit, dag-pb link hashes; none for other
/// codecs, or for bytes that do not decode as their codec says.
/// </summary>
internal static class ForeignLinks
{
    /// <summary>The links of a block already checked against its CID; <paramref name="undecodable"/> says why there are none when the bytes do not decode.</summary>
    public static IReadOnlyList<Cid> Of(Cid cid, ReadOnlySpan<byte> block, out string? undecodable)
    {
        undecodable = null;
        try
        {
            return cid.Codec switch
            {
                Multicodec.DagCbor => ManifestLinks.Of(block),
                Multicodec.DagPb => DagPbLinks.Of(block),
                _ => [],
            };
        }
        catch (ContentFormatException e)
        {
            undecodable = $"not valid {Multicodec.NameOf(cid.Codec)}, so its links are unknown: {e.Message}";
            return [];
        }
    }
}
