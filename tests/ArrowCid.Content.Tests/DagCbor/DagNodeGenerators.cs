using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;
using FsCheck;
using FsCheck.Fluent;

namespace ArrowCid.Content.Tests.DagCbor;

/// <summary>FsCheck generators for arbitrary data-model trees.</summary>
internal static class DagNodeGenerators
{
    private static readonly Gen<string> Strings =
        ArbMap.Default.GeneratorFor<string>().Select(s => new string((s ?? "").Where(c => !char.IsSurrogate(c)).ToArray()));

    private static readonly Gen<DagNode> Leaves = Gen.OneOf(
        Gen.Constant(DagNode.Null),
        ArbMap.Default.GeneratorFor<bool>().Select(DagNode.Of),
        ArbMap.Default.GeneratorFor<long>().Select(DagNode.Of),
        ArbMap.Default.GeneratorFor<ulong>().Select(v => DagNode.Of(v | 0x8000_0000_0000_0000UL)),
        Gen.Elements(0L, 23L, 24L, 255L, 256L, 65535L, 65536L, uint.MaxValue, (long)uint.MaxValue + 1, long.MinValue, -24L, -25L).Select(DagNode.Of),
        ArbMap.Default.GeneratorFor<double>().Where(double.IsFinite).Select(DagNode.Of),
        Strings.Select(DagNode.Of),
        ArbMap.Default.GeneratorFor<byte[]>().Select(b => DagNode.OfBytes(b)),
        ArbMap.Default.GeneratorFor<byte[]>().Select(b => DagNode.Of(Cid.ForRaw(b))));

    public static Arbitrary<DagNode> Trees => Arb.From(Gen.Sized(Tree));

    private static Gen<DagNode> Tree(int size)
    {
        if (size <= 1)
        {
            return Leaves;
        }

        Gen<DagNode> child = Gen.Sized<DagNode>(Tree).Resize(size / 3);
        Gen<DagNode> lists = child.ListOf().Select(items => DagNode.ListOf(items));
        Gen<DagNode> maps = Strings.Zip(child).ListOf().Select(pairs =>
            DagNode.MapOf(pairs.DistinctBy(p => p.Item1, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Item1, p.Item2))));
        return Gen.Frequency(new (int, Gen<DagNode>)[] { (4, Leaves), (1, lists), (1, maps) });
    }
}
