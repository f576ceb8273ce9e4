using ArrowCid.Content.DagCbor;
using FsCheck;
using FsCheck.Fluent;

namespace ArrowCid.Content.Tests.DagCbor;

public class DagCborRoundTripProperties
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(300).WithReplay(1234UL, 5679UL);

    [Fact]
    public void Decode_of_encode_is_the_same_tree()
    {
        Prop.ForAll(DagNodeGenerators.Trees, node => DagCborDecoder.Decode(DagCborEncoder.Encode(node)).Equals(node))
            .Check(Config);
    }

    [Fact]
    public void Encode_of_decode_is_the_same_bytes()
    {
        Prop.ForAll(DagNodeGenerators.Trees, node =>
        {
            var bytes = DagCborEncoder.Encode(node);
            return DagCborEncoder.Encode(DagCborDecoder.Decode(bytes)).AsSpan().SequenceEqual(bytes);
        }).Check(Config);
    }

    [Fact]
    public void Map_encoding_does_not_depend_on_insertion_order()
    {
        Prop.ForAll(DagNodeGenerators.Trees, node =>
        {
            if (node.Kind != DagKind.Map)
            {
                return true;
            }

            var reversed = DagNode.MapOf(node.Entries.Reverse());
            return DagCborEncoder.Encode(reversed).AsSpan().SequenceEqual(DagCborEncoder.Encode(node));
        }).Check(Config);
    }
}
