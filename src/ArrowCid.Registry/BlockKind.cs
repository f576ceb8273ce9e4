namespace ArrowCid.Registry;

/// <summary>What a registered block holds.</summary>
public enum BlockKind
{
    /// <summary>One Arrow record batch in canonical IPC form (a raw CID, "bafkrei…").</summary>
    Batch = 1,

    /// <summary>A DAG-CBOR manifest linking batches into a table (a dag-cbor CID, "bafyrei…").</summary>
    Dataset = 2,

    /// <summary>
    /// An Arrow IPC stream that is not a canonical batch (written by another Arrow library, several
    /// batches, …), kept byte for byte under its raw CID and described: schema and rows of all its batches.
    /// </summary>
    ArrowStream = 3,

    /// <summary>
    /// Any other block from elsewhere (raw bytes, DAG-CBOR of another shape, dag-pb, any codec),
    /// kept byte for byte under its CID; its links (DAG-CBOR and dag-pb) are recorded for GC.
    /// </summary>
    Foreign = 4,

    /// <summary>
    /// A node of a chunked table's manifest tree below its root (DAG-CBOR, "arrowcid/dataset-node",
    /// a dag-cbor CID): it links chunks or nodes of the level below; its links are recorded for GC.
    /// </summary>
    TableNode = 5,

    /// <summary>
    /// A version of a name as a node of its hash-linked chain (DAG-CBOR, "arrowcid/version", a
    /// dag-cbor CID): it links the version's table and the node of the version before. Not a table.
    /// </summary>
    VersionNode = 6,
}
