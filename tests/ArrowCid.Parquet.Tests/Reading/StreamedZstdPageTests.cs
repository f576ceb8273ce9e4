using System.Buffers;
using System.Buffers.Binary;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Parquet.Codecs;
using ArrowCid.Parquet.Metadata;
using ArrowCid.Parquet.Reading;
using ArrowCid.Parquet.Tests.Interop;
using ArrowCid.Parquet.Tests.Writing;
using ArrowCid.Parquet.Thrift;
using ArrowCid.Parquet.Writing;
using ArrowCid.TestSupport;

namespace ArrowCid.Parquet.Tests.Reading;

/// <summary>
/// Files whose zstd pages are frames as arrow-rs streams them (nested_structs.rust.parquet in
/// parquet-testing): no content size in the frame header and a window far larger than the page.
/// Our writer's file is taken apart and every page body re-compressed that way, offsets fixed up.
/// </summary>
public class StreamedZstdPageTests
{
    [Theory]
    [InlineData(1, 27)]
    [InlineData(2, 27)]
    [InlineData(1, 22)]
    public void Pages_streamed_with_a_large_window_and_no_content_size_read_like_the_original(int pageVersion, int windowLog)
    {
        var options = new ParquetWriteOptions
        {
            Compression = ParquetCompression.Zstd, RowGroupSize = 8, PageSize = 40, DataPageVersion = pageVersion, PageIndex = false,
        };
        byte[] original = GoldenRoundTripTests.Write(InteropDataset.Schema, InteropDataset.Batches(), options);
        byte[] restreamed = RestreamZstdPages(original, windowLog);

        using var expected = ParquetReader.Open(original);
        using var actual = ParquetReader.Open(restreamed);
        RecordBatch[] want = [.. expected.ReadAll()];
        RecordBatch[] got = [.. actual.ReadAll()];
        Assert.Equal(want.Length, got.Length);
        for (int b = 0; b < want.Length; b++)
        {
            Assert.True(ArrayEquality.Equals(want[b], got[b], out string? difference), $"batch {b}: {difference}");
        }
    }

    [Fact]
    public void A_streamed_page_that_expands_past_its_declared_size_is_a_format_error()
    {
        var options = new ParquetWriteOptions { Compression = ParquetCompression.Zstd, Dictionary = false, PageIndex = false };
        var schema = new Arrow.Types.Schema([new Arrow.Types.Field("x", Arrow.Types.ArrowType.Int64, nullable: false)]);
        var builder = new Arrow.Builders.RecordBatchBuilder(schema);
        for (long i = 0; i < 1000; i++)
        {
            builder.AppendRow([i]);
        }
        byte[] original = GoldenRoundTripTests.Write(schema, [builder.Build()], options);
        // Each page body becomes its own bytes followed by 64 MiB of zeros, in one streamed frame.
        byte[] bomb = RestreamZstdPages(original, 27, body => [.. body, .. new byte[64 << 20]]);

        using var reader = ParquetReader.Open(bomb);
        var error = Assert.Throws<ParquetFormatException>(() => reader.ReadAll().ToList());
        Assert.Contains("ZSTD page: zstd: data decompresses to more than the expected", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Rewrites a zstd file so every page body is one streamed frame of
    /// <paramref name="transform"/>(the page's uncompressed body) with window 2^<paramref name="windowLog"/>,
    /// keeping page headers (sizes fixed, CRCs dropped) and updating the footer's offsets.
    /// v2 pages keep their levels uncompressed in front, as the format requires.
    /// </summary>
    private static byte[] RestreamZstdPages(byte[] file, int windowLog, Func<byte[], byte[]>? transform = null)
    {
        using var reader = ParquetFileReader.Open(file);
        FileMetaData footer = reader.Metadata;
        IParquetCodec zstd = ParquetCodecs.Get(CompressionCodec.Zstd);
        var output = new ArrayBufferWriter<byte>();
        output.Write("PAR1"u8);
        foreach (RowGroup group in footer.RowGroups)
        {
            long groupStart = output.WrittenCount;
            foreach (ColumnChunk chunk in group.Columns)
            {
                ColumnMetaData column = chunk.MetaData!;
                Assert.Equal(CompressionCodec.Zstd, column.Codec);
                long chunkStart = output.WrittenCount;
                long? dictionaryOffset = null;
                long? dataOffset = null;
                foreach (var (header, body) in StoredPages(file, column))
                {
                    int levels = header.DataPageHeaderV2 is { } v2 ? v2.RepetitionLevelsByteLength + v2.DefinitionLevelsByteLength : 0;
                    byte[] newBody = body;
                    if (header.DataPageHeaderV2?.IsCompressed ?? true)
                    {
                        byte[] values = zstd.Decompress(body.AsSpan(levels), header.UncompressedPageSize - levels);
                        newBody = [.. body.AsSpan(0, levels), .. StreamedZstd.Compress(transform?.Invoke(values) ?? values, windowLog)];
                    }
                    header.CompressedPageSize = newBody.Length;
                    header.Crc = null;
                    if (header.Type == PageType.DictionaryPage)
                    {
                        dictionaryOffset ??= output.WrittenCount;
                    }
                    else
                    {
                        dataOffset ??= output.WrittenCount;
                    }
                    header.Write(new ThriftCompactWriter(output));
                    output.Write(newBody);
                }
                column.DictionaryPageOffset = dictionaryOffset;
                column.DataPageOffset = dataOffset!.Value;
                column.TotalCompressedSize = output.WrittenCount - chunkStart;
                chunk.FileOffset = chunkStart;
            }
            group.FileOffset = groupStart;
            group.TotalCompressedSize = output.WrittenCount - groupStart;
        }
        return Bounded.HandMadeParquet.Finish(output, footer);
    }

    /// <summary>The pages of a column chunk as the file stores them: each header and its body bytes.</summary>
    private static List<(PageHeader Header, byte[] Body)> StoredPages(byte[] file, ColumnMetaData column)
    {
        long start = column.DictionaryPageOffset ?? column.DataPageOffset;
        ReadOnlySpan<byte> pages = file.AsSpan(checked((int)start), checked((int)column.TotalCompressedSize));
        var result = new List<(PageHeader, byte[])>();
        while (!pages.IsEmpty)
        {
            var thrift = new ThriftCompactReader(pages);
            PageHeader header = PageHeader.Read(ref thrift);
            result.Add((header, pages.Slice(thrift.Position, header.CompressedPageSize).ToArray()));
            pages = pages[(thrift.Position + header.CompressedPageSize)..];
        }
        return result;
    }
}
