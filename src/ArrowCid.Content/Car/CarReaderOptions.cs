namespace ArrowCid.Content.Car;

/// <summary>
/// Size caps that keep a hostile CAR from demanding unbounded memory. Defaults: header 1 MiB
/// (a header is a small map of roots), block 64 MiB (room for large canonical Arrow batches while
/// bounding one allocation), CARv2 index 256 MiB.
/// </summary>
public sealed record CarReaderOptions
{
    /// <summary>The defaults.</summary>
    public static CarReaderOptions Default { get; } = new();

    /// <summary>Largest CARv1 header block accepted, in bytes.</summary>
    public int MaxHeaderLength { get; init; } = 1 << 20;

    /// <summary>Largest block accepted, in bytes (the CID is allowed on top).</summary>
    public int MaxBlockLength { get; init; } = 64 << 20;

    /// <summary>Largest CARv2 index accepted, in bytes.</summary>
    public int MaxIndexLength { get; init; } = 256 << 20;
}
