using System.Text;
using ArrowCid.Arrow;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Ingest.Csv;
using ArrowCid.Parquet.Writing;

namespace ArrowCid.Ingest.Tests;

/// <summary>The one input dispatch: every format, from a file or a stream that cannot seek, gives the same rows.</summary>
public sealed class TableInputTests
{
    private const string Csv = "id,name,score\n1,ada,1.5\n2,grace,\n3,,2.25\n";

    [Theory]
    [InlineData("arrow stream")]
    [InlineData("arrow file")]
    [InlineData("parquet")]
    [InlineData("csv")]
    public void Every_format_from_a_stream_that_cannot_seek_and_from_a_file_reads_back_the_rows(string which)
    {
        var (bytes, format) = Encode(which);

        using (var fromStream = TableInput.Open(new OneWayStream(bytes), format))
        {
            Assert.Equal(Csv, Rows(fromStream));
        }

        string path = Path.Combine(Path.GetTempPath(), $"arrowcid-input-{Guid.NewGuid():N}");
        File.WriteAllBytes(path, bytes);
        try
        {
            using var fromFile = TableInput.OpenFile(path, format);
            Assert.Equal(Csv, Rows(fromFile));
            Assert.Equal(which == "arrow file" ? TableInputFormat.Arrow : format == TableInputFormat.Arrow ? TableInputFormat.ArrowStream : format, fromFile.Format);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_csv_input_counts_progress_in_bytes_read_batch_by_batch_up_to_its_length(bool fromFile)
    {
        // 40,000 rows in batches of 1,000: progress is the bytes read, not one unit a batch.
        var text = new StringBuilder("id,name,score\n");
        for (int i = 0; i < 40_000; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{i},name-{i % 97},{i * 0.5}\n");
        }

        byte[] bytes = Encoding.UTF8.GetBytes(text.ToString());
        string path = Path.Combine(Path.GetTempPath(), $"arrowcid-progress-{Guid.NewGuid():N}.csv");
        File.WriteAllBytes(path, bytes);
        try
        {
            var options = new TableInputOptions { Csv = new CsvReadOptions { BatchSize = 1_000 } };
            using var input = fromFile ? TableInput.OpenFile(path, TableInputFormat.Csv, options) : TableInput.Open(new OneWayStream(bytes), TableInputFormat.Csv, options);
            Assert.Equal(TableInputProgressUnit.Bytes, input.ProgressUnit);
            Assert.Equal(fromFile ? bytes.Length : null, input.ProgressTotal);
            var seen = new List<double>();
            while (input.ReadNext() is { } batch)
            {
                batch.Dispose();
                seen.Add(input.ProgressDone);
            }

            Assert.Equal(40, seen.Count);
            Assert.True(seen[0] < bytes.Length / 4, $"after the first of 40 batches: {seen[0]} of {bytes.Length} bytes");
            Assert.True(seen.Zip(seen.Skip(1)).Count(pair => pair.Second > pair.First) >= 10, string.Join(", ", seen));
            Assert.Equal(bytes.Length, seen[^1]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_upload_that_says_arrow_stream_is_not_read_as_a_file_held_whole()
    {
        var (file, _) = Encode("arrow file");

        Assert.ThrowsAny<ArrowFormatException>(() =>
        {
            using var input = TableInput.Open(new OneWayStream(file), TableInputFormat.ArrowStream);
            while (input.ReadNext() is { } batch)
            {
                batch.Dispose();
            }
        });
    }

    [Theory]
    [InlineData("t.parquet", TableInputFormat.Parquet)]
    [InlineData("t.PQ", TableInputFormat.Parquet)]
    [InlineData("t.tsv", TableInputFormat.Csv)]
    [InlineData("t.arrows", TableInputFormat.Arrow)]
    [InlineData("t", TableInputFormat.Arrow)]
    public void A_path_s_extension_names_its_format(string path, TableInputFormat expected) =>
        Assert.Equal(expected, TableInput.FormatOfPath(path));

    [Theory]
    [InlineData("application/vnd.apache.arrow.stream", TableInputFormat.ArrowStream)]
    [InlineData("APPLICATION/VND.APACHE.PARQUET", TableInputFormat.Parquet)]
    [InlineData("text/csv", TableInputFormat.Csv)]
    [InlineData("application/json", null)]
    [InlineData(null, null)]
    public void A_media_type_names_its_format(string? mediaType, TableInputFormat? expected) =>
        Assert.Equal(expected, TableInput.FormatOfMediaType(mediaType));

    private static (byte[] Bytes, TableInputFormat Format) Encode(string which)
    {
        if (which == "csv")
        {
            return (Encoding.UTF8.GetBytes(Csv), TableInputFormat.Csv);
        }

        using var csv = new CsvBatchReader(new StringReader(Csv));
        using var batch = csv.ReadNext()!;
        using var output = new MemoryStream();
        switch (which)
        {
            case "parquet":
                using (var writer = new ParquetWriter(output, batch.Schema, leaveOpen: true))
                {
                    writer.Write(batch);
                }

                return (output.ToArray(), TableInputFormat.Parquet);
            default:
                using (var writer = which == "arrow file" ? new ArrowFileWriter(output, batch.Schema, leaveOpen: true) : new ArrowStreamWriter(output, batch.Schema, leaveOpen: true))
                {
                    writer.Write(batch);
                    writer.Finish();
                }

                return (output.ToArray(), TableInputFormat.Arrow);
        }
    }

    // The rows read, written back as CSV.
    private static string Rows(TableInput input)
    {
        using var text = new StringWriter { NewLine = "\n" };
        var writer = new CsvBatchWriter(text, input.Schema);
        writer.WriteHeader();
        while (input.ReadNext() is { } batch)
        {
            using (batch)
            {
                writer.Write(batch);
            }
        }

        return text.ToString();
    }

    // A pipe or a request body: read forward only.
    private sealed class OneWayStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    }
}

/// <summary>A CSV error says where it was found as every format's does.</summary>
public sealed class CsvErrorPositionTests
{
    [Fact]
    public void A_record_with_too_many_fields_gives_its_line_column_and_how_far_the_input_was_read()
    {
        const string text = "a,b\n1,2\n3,4,5\n6,7\n";
        var error = Assert.Throws<CsvFormatException>(() =>
        {
            // Type inference reads ahead, so the error may come as the reader opens.
            using var reader = new CsvBatchReader(new StringReader(text));
            while (reader.ReadNext() is { } batch)
            {
                batch.Dispose();
            }
        });

        var position = Assert.IsAssignableFrom<Arrow.IFormatErrorPosition>(error);
        Assert.Equal("line 3, column 3", position.Path);
        // The offending record ends at character 14 of the input; the parser has read at least that far.
        Assert.InRange(Assert.NotNull(position.Offset), "a,b\n1,2\n3,4,5".Length, text.Length);
    }
}
