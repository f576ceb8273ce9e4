using ArrowCid.Arrow.Compression;

namespace ArrowCid.Arrow.Ipc;

/// <summary>How IPC messages are written.</summary>
public sealed record IpcWriteOptions
{
    /// <summary>Default options: no compression, 8-byte alignment, metadata in the order given.</summary>
    public static IpcWriteOptions Default { get; } = new();

    /// <summary>Body compression of record and dictionary batches (LZ4 frame or ZSTD per buffer).</summary>
    public CompressionCodec Compression { get; init; } = CompressionCodec.None;

    /// <summary>Alignment of each body buffer: 8 (the format's minimum) or 64 (recommended for SIMD).</summary>
    public int BufferAlignment { get; init; } = 8;

    /// <summary>Write custom metadata sorted by key (the canonical form does).</summary>
    public bool SortMetadata { get; init; }

    /// <summary>
    /// When a later batch's dictionary extends the previous one, send only the new values as a
    /// delta dictionary batch instead of replacing the whole dictionary (streams only).
    /// </summary>
    public bool EmitDictionaryDeltas { get; init; }
}
