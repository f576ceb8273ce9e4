using ArrowCid.Content.Multiformats;

namespace ArrowCid.Names;

/// <summary>A name resolved and verified: its record and the chain of versions it points at, newest first.</summary>
/// <param name="Name">The IPNS name.</param>
/// <param name="Record">What the record says.</param>
/// <param name="Chain">Each node with its CID, from the head the record names back to the first version.</param>
public sealed record SignedName(IpnsName Name, IpnsRecordData Record, IReadOnlyList<(Cid Cid, VersionNode Node)> Chain)
{
    /// <summary>The head: the version the record names.</summary>
    public VersionNode Head => Chain[0].Node;

    /// <summary>The head's CID (the record's value is <c>/ipfs/</c> and this).</summary>
    public Cid HeadCid => Chain[0].Cid;

    /// <summary>
    /// Verifies a record of <paramref name="name"/> and the chain it points at, back to version 1:
    /// the record's signature and validity; that its value is <c>/ipfs/</c> a version node whose
    /// version is the record's sequence and whose signer is <paramref name="name"/>; that every node
    /// hashes to the CID that links it, and that the versions count down one at a time under one
    /// name and one signer. A first version that links a node before it is a key's rotation: the
    /// walk goes on into the chain it continues, which verifies by its own signer.
    /// </summary>
    /// <param name="name">The IPNS name the record was asked for by.</param>
    /// <param name="record">The record's bytes.</param>
    /// <param name="fetch">A block by CID, or null when it cannot be had (the bytes are checked here).</param>
    /// <param name="now">The time the record must be valid at.</param>
    /// <param name="depth">How many nodes to verify from the head (all of them unless told: a server answering with its own chain checks the head only).</param>
    /// <returns>The verified name.</returns>
    /// <exception cref="NameChainException">What failed, as its <see cref="NameChainFault"/>.</exception>
    public static SignedName Verify(IpnsName name, ReadOnlySpan<byte> record, Func<Cid, byte[]?> fetch, DateTimeOffset now, int depth = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(fetch);
        IpnsRecordData data;
        try
        {
            data = IpnsRecord.Verify(record, name, now);
        }
        catch (IpnsRecordException e)
        {
            throw new NameChainException(NameChainFault.Record, $"the record of {name} does not verify: {e.Message}", e);
        }

        const string prefix = "/ipfs/";
        if (!data.Value.StartsWith(prefix, StringComparison.Ordinal) || !Cid.TryParse(data.Value[prefix.Length..], out var head) || head.Codec != Multicodec.DagCbor)
        {
            throw new NameChainException(NameChainFault.Malformed, $"the record of {name} points at '{data.Value}', not /ipfs/ and a version node's CID");
        }

        var chain = new List<(Cid, VersionNode)>();
        var signer = name;
        VersionNode? later = null;
        for (Cid? next = head; next is not null && chain.Count < depth;)
        {
            byte[] block = fetch(next) ?? throw new NameChainException(NameChainFault.Missing, $"version node {next} of {name} cannot be fetched");
            var node = VersionNode.Decode(next, block);
            if (later is null)
            {
                if ((ulong)node.Version != data.Sequence)
                {
                    throw new NameChainException(NameChainFault.Broken, $"the record of {name} has sequence {data.Sequence} but points at version {node.Version}");
                }
            }
            else if (later.Version == 1)
            {
                // Rotation: the chain goes on under the key that made the node it continues.
                signer = node.Signer;
            }
            else if (node.Version != later.Version - 1 || node.Name != later.Name)
            {
                throw new NameChainException(NameChainFault.Broken, $"version {later.Version} of '{later.Name}' links {next}, which is version {node.Version} of '{node.Name}'");
            }

            if (!node.Signer.Equals(signer))
            {
                throw new NameChainException(NameChainFault.WrongSigner, $"version {node.Version} of '{node.Name}' ({next}) names the signer {node.Signer}, not {signer}");
            }

            chain.Add((next, node));
            later = node;
            next = node.Previous;
        }

        return new SignedName(name, data, chain);
    }
}
