using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Codecs;

/// <summary>
/// Finds the implementation of a <see cref="CompressionCodec"/>. UNCOMPRESSED, SNAPPY, GZIP,
/// BROTLI, ZSTD and LZ4_RAW are available (the last two through the reference C libraries bound
/// in ArrowCid.Arrow.Compression); LZO and the deprecated Hadoop-framed LZ4 throw "codec … not
/// available".
/// </summary>
public static class ParquetCodecs
{
    private static readonly IParquetCodec Uncompressed = new UncompressedCodec();
    private static readonly IParquetCodec Snappy = new SnappyCodec();
    private static readonly IParquetCodec Gzip = new GzipCodec();
    private static readonly IParquetCodec Brotli = new BrotliCodec();
    private static readonly IParquetCodec Zstd = new ZstdCodec();
    private static readonly IParquetCodec Lz4Raw = new Lz4RawCodec();

    /// <summary>Returns the codec or throws <see cref="ParquetFormatException"/> naming it.</summary>
    public static IParquetCodec Get(CompressionCodec codec) => codec switch
    {
        CompressionCodec.Uncompressed => Uncompressed,
        CompressionCodec.Snappy => Snappy,
        CompressionCodec.Gzip => Gzip,
        CompressionCodec.Brotli => Brotli,
        CompressionCodec.Zstd => Zstd,
        CompressionCodec.Lz4Raw => Lz4Raw,
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
