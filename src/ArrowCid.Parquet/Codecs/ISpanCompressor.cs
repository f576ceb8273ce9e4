namespace ArrowCid.Parquet.Codecs;

/// <summary>
/// A codec that compresses into a caller's buffer. The writer compresses every page into one
/// reused buffer; the <see cref="IParquetCodec.Compress"/> form allocates a result array per
/// page (and the codec's own scratch), which at a megabyte a page made collections and page
/// faults a large share of writing. The bytes produced are the same as Compress's.
/// </summary>
internal interface ISpanCompressor
{
    /// <summary>The largest compressed size of <paramref name="length"/> input bytes.</summary>
    int MaxCompressedLength(int length);

    /// <summary>Compresses <paramref name="source"/> into <paramref name="destination"/> (at least <see cref="MaxCompressedLength"/> bytes); returns the bytes written.</summary>
    int Compress(ReadOnlySpan<byte> source, Span<byte> destination);
}
