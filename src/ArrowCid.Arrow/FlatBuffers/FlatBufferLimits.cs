namespace ArrowCid.Arrow.FlatBuffers;

/// <summary>Limits the reader enforces on untrusted flatbuffers.</summary>
public static class FlatBufferLimits
{
    /// <summary>
    /// Deepest table nesting accepted (the root is depth 0). Table offsets only point forward, so
    /// a walk cannot cycle, but a chain of tables can still be long; the cap bounds recursion.
    /// </summary>
    public const int MaxDepth = 64;

    /// <summary>Size of a uoffset_t, soffset_t and of a vector or string length prefix.</summary>
    internal const int OffsetSize = 4;
}
