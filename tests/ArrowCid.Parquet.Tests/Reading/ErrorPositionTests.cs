using System.Buffers;
using System.Buffers.Binary;
using ArrowCid.Parquet.Metadata;
using ArrowCid.Parquet.Reading;
using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Tests.Reading;

/// <summary>Malformed files report where the problem is through <see cref="ParquetFormatException"/>'s properties, not only in the message.</summary>
public class ErrorPositionTests
{
    private const string Sample = "int32_decimal.parquet";

    [Fact]
    public void A_chunk_outside_the_data_area_reports_its_offset_and_column()
    {
        byte[] file = TestFiles.Read(Sample);
        using var reader = ParquetFileReader.Open(file);
        reader.GetColumnChunk(0, 0).MetaData!.DataPageOffset = file.Length;
        var error = Assert.Throws<ParquetFormatException>(() => reader.ReadColumn(0, 0));
        Assert.Equal(file.Length, error.Offset);
        Assert.Equal(reader.Schema.Leaves[0].ToString(), error.Column);
    }

    [Fact]
    public void A_page_larger_than_its_chunk_reports_the_column()
    {
        byte[] file = TestFiles.Read(Sample);
        using var reader = ParquetFileReader.Open(file);
        reader.GetColumnChunk(0, 0).MetaData!.TotalCompressedSize -= 1;
        var error = Assert.Throws<ParquetFormatException>(() => reader.ReadColumn(0, 0));
        Assert.Equal(reader.Schema.Leaves[0].ToString(), error.Column);
    }

    [Fact]
    public void A_row_group_with_negative_rows_reports_its_index()
    {
        var error = Assert.Throws<ParquetFormatException>(() => ParquetFileReader.Open(WithFooter(footer => footer.RowGroups[0].NumRows = -1)));
        Assert.Equal(0, error.RowGroup);
        Assert.Null(error.Column);
    }

    [Fact]
    public void A_chunk_with_the_wrong_path_reports_its_row_group_and_column()
    {
        string column = "";
        var error = Assert.Throws<ParquetFormatException>(() => ParquetFileReader.Open(WithFooter(footer =>
        {
            ColumnMetaData meta = footer.RowGroups[0].Columns[0].MetaData!;
            column = string.Join('.', meta.PathInSchema);
            meta.PathInSchema = ["elsewhere"];
        })));
        Assert.Equal(0, error.RowGroup);
        Assert.Equal(column, error.Column);
    }

    /// <summary>The sample file with its footer changed by <paramref name="change"/> and written again after the same data.</summary>
    private static byte[] WithFooter(Action<FileMetaData> change)
    {
        byte[] file = TestFiles.Read(Sample);
        int footerLength = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(file.Length - 8));
        int footerStart = file.Length - 8 - footerLength;
        FileMetaData footer;
        using (var reader = ParquetFileReader.Open(file))
        {
            footer = reader.Metadata;
        }
        change(footer);
        var output = new ArrayBufferWriter<byte>();
        output.Write(file.AsSpan(0, footerStart));
        footer.Write(new ThriftCompactWriter(output));
        BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(4), output.WrittenCount - footerStart);
        output.Advance(4);
        output.Write("PAR1"u8);
        return output.WrittenSpan.ToArray();
    }
}
