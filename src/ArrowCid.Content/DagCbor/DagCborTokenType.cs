namespace ArrowCid.Content.DagCbor;

/// <summary>The token a <see cref="DagCborReader"/> is positioned on.</summary>
public enum DagCborTokenType
{
    /// <summary>Before the first read.</summary>
    None,

    /// <summary>null.</summary>
    Null,

    /// <summary>false.</summary>
    False,

    /// <summary>true.</summary>
    True,

    /// <summary>An integer; see <see cref="DagCborReader.IntegerValue"/>.</summary>
    Integer,

    /// <summary>A 64-bit float; see <see cref="DagCborReader.FloatValue"/>.</summary>
    Float,

    /// <summary>A text string; see <see cref="DagCborReader.ValueSpan"/>.</summary>
    String,

    /// <summary>A byte string; see <see cref="DagCborReader.ValueSpan"/>.</summary>
    Bytes,

    /// <summary>The head of a list; <see cref="DagCborReader.ContainerLength"/> items follow.</summary>
    StartList,

    /// <summary>The head of a map; <see cref="DagCborReader.ContainerLength"/> key/value pairs follow.</summary>
    StartMap,

    /// <summary>A link (tag 42); see <see cref="DagCborReader.GetLink"/>.</summary>
    Link,
}
