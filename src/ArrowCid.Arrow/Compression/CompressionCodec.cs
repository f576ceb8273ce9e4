namespace ArrowCid.Arrow.Compression;

/// <summary>Codecs for Arrow IPC body compression (Message.fbs CompressionType, plus None).</summary>
public enum CompressionCodec
{
    /// <summary>Buffers are stored as they are, with no length prefix.</summary>
    None = 0,

    /// <summary>LZ4 frame format (CompressionType.LZ4_FRAME).</summary>
    Lz4Frame = 1,

    /// <summary>Zstandard frames (CompressionType.ZSTD).</summary>
    Zstd = 2,
}
