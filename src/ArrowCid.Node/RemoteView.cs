namespace ArrowCid.Node;

/// <summary>What a node shows remote readers of what it records locally.</summary>
public static class RemoteView
{
    /// <summary>
    /// A provenance as remote readers see it: a path on the node (<c>/home/ops/big.csv</c>, as
    /// <c>arrowcid put</c> records it) is reduced to its file name, so no reader learns the node's
    /// folders; any other text (<c>stdin</c>, <c>pulled from grpc+tcp://…</c>) is shown as it is.
    /// </summary>
    public static string? Provenance(string? provenance) =>
        provenance is not null && Path.IsPathRooted(provenance) ? Path.GetFileName(provenance) : provenance;
}
