using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Codecs;

/// <summary>
/// Finds the implementation of a <see cref="CompressionCodec"/>. UNCOMPRESSED, SNAPPY, GZIP and
/// BROTLI are built in. ZSTD and LZ4_RAW need the native-library bindings of
/// ArrowCid.Arrow.Compression, which this project does not reference yet; until then asking for
/// them, or for LZO and the deprecated Hadoop LZ4, throws "codec … not available".
/// </summary>
public static class ParquetCodecs
{
    private static readonly IParquetCodec Uncompressed = new UncompressedCodec();
    private static readonly IParquetCodec Snappy = new SnappyCodec();
    private static readonly IParquetCodec Gzip = new GzipCodec();
    private static readonly IParquetCodec Brotli = new BrotliCodec();

    /// <summary>Returns the codec or throws <see cref="ParquetFormatException"/> naming it.</summary>
    public static IParquetCodec Get(CompressionCodec codec) => codec switch
    {
        CompressionCodec.Uncompressed => Uncompressed,
        CompressionCodec.Snappy => Snappy,
        CompressionCodec.Gzip => Gzip,
        CompressionCodec.Brotli => Brotli,
        _ => throw new ParquetFormatException($"codec {SpecName(codec)} not available"),
    };

    /// <summary>The codec's name as parquet.thrift spells it.</summary>
    public static string SpecName(CompressionCodec codec) => codec switch
    {
        CompressionCodec.Uncompressed => "UNCOMPRESSED",
        CompressionCodec.Snappy => "SNAPPY",
        CompressionCodec.Gzip => "GZIP",
        CompressionCodec.Lzo => "LZO",
        CompressionCodec.Brotli => "BROTLI",
        CompressionCodec.Lz4 => "LZ4",
        CompressionCodec.Zstd => "ZSTD",
        CompressionCodec.Lz4Raw => "LZ4_RAW",
        _ => $"#{(int)codec}",
    };
}
