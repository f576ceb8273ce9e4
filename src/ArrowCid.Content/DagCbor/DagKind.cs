namespace ArrowCid.Content.DagCbor;

/// <summary>The IPLD data model kinds a <see cref="DagNode"/> can hold.</summary>
public enum DagKind
{
    /// <summary>The null value.</summary>
    Null,

    /// <summary>true or false.</summary>
    Boolean,

    /// <summary>An integer in [-2^63, 2^64 - 1].</summary>
    Integer,

    /// <summary>A finite 64-bit float.</summary>
    Float,

    /// <summary>A Unicode string (valid UTF-8 on the wire).</summary>
    String,

    /// <summary>A byte string.</summary>
    Bytes,

    /// <summary>An ordered list of nodes.</summary>
    List,

    /// <summary>A map from string keys to nodes, kept in DAG-CBOR key order.</summary>
    Map,

    /// <summary>A link to other content (a CID).</summary>
    Link,
}
