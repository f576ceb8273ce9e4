using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Names.Tests;

/// <summary>A name's chain of version nodes under its record: verified back to version 1, and each kind of tampering refused with its fault.</summary>
public sealed class SignedNameTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly Multihash Schema = Multihash.Sha256("schema"u8);

    [Fact]
    public void A_node_round_trips_through_its_block_and_a_changed_byte_is_tampering()
    {
        using var key = NameKey.Generate();
        var first = new VersionNode("sensors", 1, Table(1), null, Now, Schema, key.Name);
        var (bytes, cid) = first.Encode();
        Assert.Equal(Multicodec.DagCbor, cid.Codec);
        Assert.Equal(first, VersionNode.Decode(cid, bytes));

        var second = new VersionNode("sensors", 2, Table(2), cid, Now.AddSeconds(1), Schema, key.Name);
        var (secondBytes, secondCid) = second.Encode();
        Assert.Equal(second, VersionNode.Decode(secondCid, secondBytes));

        bytes[^3] ^= 1;
        Assert.Equal(NameChainFault.Tampered, Assert.Throws<NameChainException>(() => VersionNode.Decode(cid, bytes)).Fault);

        // DAG-CBOR of another shape under its own CID: not a version node.
        byte[] other = DagCborEncoder.EncodeBlock(DagNode.MapOf(("type", DagNode.Of("arrowcid/dataset"))), out var otherCid);
        Assert.Equal(NameChainFault.Malformed, Assert.Throws<NameChainException>(() => VersionNode.Decode(otherCid, other)).Fault);

        // A version after the first that links nothing.
        byte[] orphan = DagCborEncoder.EncodeBlock(DagNode.MapOf(
            ("type", DagNode.Of(VersionNode.TypeName)), ("name", DagNode.Of("a")), ("version", DagNode.Of(2L)), ("table", DagNode.Of(Table(1))),
            ("created", DagNode.Of(VersionNode.FormatCreated(Now))), ("schema", DagNode.OfBytes(Schema.ToBytes())), ("signer", DagNode.Of(key.Name.ToString()))), out var orphanCid);
        Assert.Equal(NameChainFault.Malformed, Assert.Throws<NameChainException>(() => VersionNode.Decode(orphanCid, orphan)).Fault);
    }

    [Fact]
    public void A_record_over_a_chain_verifies_back_to_version_one()
    {
        using var key = NameKey.Generate();
        var blocks = new Dictionary<Cid, byte[]>();
        var head = Chain(blocks, key.Name, "sensors", 3);
        byte[] record = IpnsRecord.Create(key, "/ipfs/" + head, 3, Now.AddDays(1), TimeSpan.FromMinutes(1));

        var signed = SignedName.Verify(key.Name, record, blocks.GetValueOrDefault, Now);
        Assert.Equal([3L, 2L, 1L], signed.Chain.Select(c => c.Node.Version));
        Assert.Equal(head, signed.HeadCid);
        Assert.Equal(Table(3), signed.Head.Table);

        // The head only, when that is all that is asked.
        Assert.Single(SignedName.Verify(key.Name, record, blocks.GetValueOrDefault, Now, depth: 1).Chain);
    }

    [Fact]
    public void Each_way_a_chain_can_lie_is_refused_with_its_fault()
    {
        using var key = NameKey.Generate();
        using var other = NameKey.Generate();
        var blocks = new Dictionary<Cid, byte[]>();
        var head = Chain(blocks, key.Name, "sensors", 3);

        // The record: re-signed by another key, expired, or pointing elsewhere than a node.
        Assert.Equal(NameChainFault.Record, Refused(key.Name, IpnsRecord.Create(other, "/ipfs/" + head, 3, Now.AddDays(1), TimeSpan.Zero), blocks).Fault);
        var expired = Refused(key.Name, IpnsRecord.Create(key, "/ipfs/" + head, 3, Now.AddDays(-1), TimeSpan.Zero), blocks);
        Assert.Equal(("expired", NameChainFault.Record), (expired.Code, expired.Fault));
        Assert.Equal(NameChainFault.Malformed, Refused(key.Name, IpnsRecord.Create(key, "/ipfs/" + Table(1), 1, Now.AddDays(1), TimeSpan.Zero), blocks).Fault);

        // A sequence that is not the head's version.
        Assert.Equal(NameChainFault.Broken, Refused(key.Name, IpnsRecord.Create(key, "/ipfs/" + head, 4, Now.AddDays(1), TimeSpan.Zero), blocks).Fault);

        // A node the reader cannot get, or whose bytes were changed.
        var missing = new Dictionary<Cid, byte[]>(blocks);
        var second = VersionNode.Decode(head, blocks[head]).Previous!;
        missing.Remove(second);
        Assert.Equal(NameChainFault.Missing, Refused(key.Name, Record(key, head, 3), missing).Fault);
        var tampered = new Dictionary<Cid, byte[]>(blocks) { [second] = [.. blocks[second]] };
        tampered[second][^2] ^= 1;
        Assert.Equal(NameChainFault.Tampered, Refused(key.Name, Record(key, head, 3), tampered).Fault);

        // A history rewritten: version 2 dropped, 3 linking 1 (signed anew, so only the numbers tell).
        var rewritten = new Dictionary<Cid, byte[]>();
        var one = Chain(rewritten, key.Name, "sensors", 1);
        var (skipBytes, skip) = new VersionNode("sensors", 3, Table(3), one, Now, Schema, key.Name).Encode();
        rewritten[skip] = skipBytes;
        Assert.Equal(NameChainFault.Broken, Refused(key.Name, Record(key, skip, 3), rewritten).Fault);

        // A chain whose nodes name another signer than the record's key.
        var foreign = new Dictionary<Cid, byte[]>();
        var foreignHead = Chain(foreign, other.Name, "sensors", 2);
        Assert.Equal(NameChainFault.WrongSigner, Refused(key.Name, Record(key, foreignHead, 2), foreign).Fault);
    }

    [Fact]
    public void A_new_key_continues_an_old_chain_by_linking_its_head_from_its_first_version()
    {
        using var old = NameKey.Generate();
        using var successor = NameKey.Generate();
        var blocks = new Dictionary<Cid, byte[]>();
        var oldHead = Chain(blocks, old.Name, "sensors", 2);
        var (bytes, first) = new VersionNode("sensors", 1, Table(9), oldHead, Now, Schema, successor.Name).Encode();
        blocks[first] = bytes;

        var signed = SignedName.Verify(successor.Name, Record(successor, first, 1), blocks.GetValueOrDefault, Now);
        Assert.Equal([successor.Name, old.Name, old.Name], signed.Chain.Select(c => c.Node.Signer));
    }

    private static NameChainException Refused(IpnsName name, byte[] record, Dictionary<Cid, byte[]> blocks) =>
        Assert.Throws<NameChainException>(() => SignedName.Verify(name, record, blocks.GetValueOrDefault, Now));

    private static byte[] Record(NameKey key, Cid head, ulong sequence) => IpnsRecord.Create(key, "/ipfs/" + head, sequence, Now.AddDays(1), TimeSpan.Zero);

    // Versions 1..count of a name, each node stored in blocks; the head's CID.
    private static Cid Chain(Dictionary<Cid, byte[]> blocks, IpnsName signer, string name, int count)
    {
        Cid? previous = null;
        for (int version = 1; version <= count; version++)
        {
            var (bytes, cid) = new VersionNode(name, version, Table(version), previous, Now.AddSeconds(version), Schema, signer).Encode();
            blocks[cid] = bytes;
            previous = cid;
        }

        return previous!;
    }

    private static Cid Table(int n) => Cid.CreateV1(Multicodec.Raw, Multihash.Sha256([(byte)n]));
}
