using System.Globalization;
using ArrowCid.Content;
using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Names;

/// <summary>
/// One version of a name as a node of its hash-linked chain: a small DAG-CBOR block holding the
/// table, the version number, the node of the version before, when it was made, the digest of the
/// table's schema and the IPNS name of the key that signs the chain. Each node's CID covers every
/// node before it, so a past version cannot be removed or changed without changing every later
/// link and the signed record that points at the head.
/// </summary>
/// <param name="Name">The dataset name.</param>
/// <param name="Version">1 for the first version, then one more each.</param>
/// <param name="Table">The table this version names.</param>
/// <param name="Previous">The node of the version before; null for a chain's first node.</param>
/// <param name="Created">When the version was recorded (UTC, microseconds).</param>
/// <param name="Schema">The sha2-256 multihash of the table's canonical Arrow schema message.</param>
/// <param name="Signer">The IPNS name of the key whose records point at this chain.</param>
public sealed record VersionNode(string Name, long Version, Cid Table, Cid? Previous, DateTimeOffset Created, Multihash Schema, IpnsName Signer)
{
    /// <summary>The value of the node's <c>type</c> field: what tells a version node from other DAG-CBOR.</summary>
    public const string TypeName = "arrowcid/version";

    /// <summary>The node as a DAG-CBOR block, and its CID (CIDv1, dag-cbor, sha2-256).</summary>
    /// <returns>The block's bytes and CID.</returns>
    public (byte[] Bytes, Cid Cid) Encode()
    {
        var entries = new List<(string, DagNode)>
        {
            ("type", DagNode.Of(TypeName)),
            ("name", DagNode.Of(Name)),
            ("version", DagNode.Of(Version)),
            ("table", DagNode.Of(Table)),
            ("created", DagNode.Of(FormatCreated(Created))),
            ("schema", DagNode.OfBytes(Schema.ToBytes())),
            ("signer", DagNode.Of(Signer.ToString())),
        };
        if (Previous is { } previous)
        {
            entries.Add(("prev", DagNode.Of(previous)));
        }

        byte[] bytes = DagCborEncoder.EncodeBlock(DagNode.MapOf(entries), out var cid);
        return (bytes, cid);
    }

    /// <summary>Reads a node from a block, checking the block against its CID first.</summary>
    /// <param name="cid">The CID the block was fetched by.</param>
    /// <param name="block">The block's bytes.</param>
    /// <returns>The node.</returns>
    /// <exception cref="NameChainException">The block does not hash to <paramref name="cid"/> (Tampered) or is not a version node (Malformed).</exception>
    public static VersionNode Decode(Cid cid, ReadOnlySpan<byte> block)
    {
        ArgumentNullException.ThrowIfNull(cid);
        DagNode node;
        try
        {
            node = DagCborDecoder.DecodeVerified(cid, block);
        }
        catch (ContentFormatException e)
        {
            throw new NameChainException(NameChainFault.Tampered, $"version node {cid}: {e.Message}", e);
        }

        try
        {
            if (node.Kind != DagKind.Map
                || !node.TryGetValue("type", out var type) || type.Kind != DagKind.String || type.AsString() != TypeName
                || !node.TryGetValue("name", out var name)
                || !node.TryGetValue("version", out var version)
                || !node.TryGetValue("table", out var table)
                || !node.TryGetValue("created", out var created)
                || !node.TryGetValue("schema", out var schema)
                || !node.TryGetValue("signer", out var signer))
            {
                throw new NameChainException(NameChainFault.Malformed, $"block {cid} is not a version node (a map of type '{TypeName}', name, version, table, created, schema and signer)");
            }

            Cid? previous = node.TryGetValue("prev", out var prev) ? prev.AsLink() : null;
            var signerName = IpnsName.TryParse(signer.AsString())
                ?? throw new NameChainException(NameChainFault.Malformed, $"version node {cid}: its signer '{signer.AsString()}' is not an IPNS name");
            long number = version.AsInt64();
            if (number < 1 || (number > 1 && previous is null))
            {
                throw new NameChainException(NameChainFault.Malformed, $"version node {cid}: version {number} without the node before it");
            }

            return new VersionNode(name.AsString(), number, table.AsLink(), previous, ParseCreated(cid, created.AsString()), Multihash.Parse(schema.AsBytes().Span), signerName);
        }
        catch (Exception e) when (e is InvalidOperationException or OverflowException or ContentFormatException or FormatException)
        {
            throw new NameChainException(NameChainFault.Malformed, $"version node {cid} has a field of the wrong kind: {e.Message}", e);
        }
    }

    /// <summary>A creation time as a node writes it: RFC 3339, UTC, microseconds.</summary>
    public static string FormatCreated(DateTimeOffset created) =>
        created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseCreated(Cid cid, string text) =>
        DateTimeOffset.TryParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var created)
            ? created
            : throw new NameChainException(NameChainFault.Malformed, $"version node {cid}: its time '{text}' is not RFC 3339 UTC with microseconds");
}
