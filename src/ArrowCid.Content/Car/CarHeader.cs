using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Car;

/// <summary>The CARv1 header block: the DAG-CBOR map {roots: [links], version: 1}.</summary>
public sealed class CarHeader
{
    /// <summary>Creates a header naming <paramref name="roots"/>.</summary>
    /// <param name="roots">Root CIDs, in order.</param>
    public CarHeader(IEnumerable<Cid> roots)
    {
        ArgumentNullException.ThrowIfNull(roots);
        Roots = roots.ToArray();
    }

    /// <summary>The root CIDs.</summary>
    public IReadOnlyList<Cid> Roots { get; }

    /// <summary>The header as canonical DAG-CBOR.</summary>
    /// <returns>The header block bytes (without the length varint).</returns>
    public byte[] Encode() => DagCborEncoder.Encode(DagNode.MapOf(
        ("roots", DagNode.ListOf(Roots.Select(DagNode.Of))),
        ("version", DagNode.Of(1L))));

    /// <summary>Decodes a header block; only version 1 with a list of links is accepted.</summary>
    /// <param name="block">The header block bytes.</param>
    /// <param name="offset">Offset of the block in the file, for error messages.</param>
    /// <returns>The header.</returns>
    internal static CarHeader Decode(ReadOnlySpan<byte> block, long offset)
    {
        var node = DagCborDecoder.Decode(block, offset);
        if (node.Kind != DagKind.Map)
        {
            throw new ContentFormatException($"CAR header must be a map, found {node.Kind}", offset);
        }

        foreach (var entry in node.Entries)
        {
            if (entry.Key is not ("roots" or "version"))
            {
                throw new ContentFormatException($"CAR header has unknown field \"{entry.Key}\"", offset);
            }
        }

        if (!node.TryGetValue("version", out var version) || version.Kind != DagKind.Integer)
        {
            throw new ContentFormatException("CAR header lacks an integer version", offset);
        }

        if (version.IntegerValue != 1)
        {
            throw new ContentFormatException($"CAR header version {version.IntegerValue} is not supported here (expected 1)", offset);
        }

        if (!node.TryGetValue("roots", out var roots) || roots.Kind != DagKind.List)
        {
            throw new ContentFormatException("CAR header lacks a roots list", offset);
        }

        var cids = new List<Cid>(roots.Items.Count);
        foreach (var root in roots.Items)
        {
            if (root.Kind != DagKind.Link)
            {
                throw new ContentFormatException($"CAR header roots must be links, found {root.Kind}", offset);
            }

            cids.Add(root.AsLink());
        }

        return new CarHeader(cids);
    }
}
