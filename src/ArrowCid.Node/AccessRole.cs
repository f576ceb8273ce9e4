namespace ArrowCid.Node;

/// <summary>What a caller may do.</summary>
public enum AccessRole
{
    /// <summary>List, describe, fetch, subscribe, verify and read statistics.</summary>
    Read = 1,

    /// <summary>Everything a reader may, plus put, pin, unpin, tag and delete.</summary>
    Write = 2,
}
