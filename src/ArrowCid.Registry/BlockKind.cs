namespace ArrowCid.Registry;

/// <summary>What a registered block holds.</summary>
public enum BlockKind
{
    /// <summary>One Arrow record batch in canonical IPC form (a raw CID, "bafkrei…").</summary>
    Batch = 1,

    /// <summary>A DAG-CBOR manifest linking batches into a table (a dag-cbor CID, "bafyrei…").</summary>
    Dataset = 2,
}
