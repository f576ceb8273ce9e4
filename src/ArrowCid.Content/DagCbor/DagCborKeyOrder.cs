namespace ArrowCid.Content.DagCbor;

/// <summary>
/// DAG-CBOR map key order: keys compare as their encoded bytes (header then UTF-8), which for
/// strings means shorter keys first, then bytewise.
/// </summary>
internal static class DagCborKeyOrder
{
    public static int Compare(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right) =>
        left.Length != right.Length ? left.Length.CompareTo(right.Length) : left.SequenceCompareTo(right);
}
