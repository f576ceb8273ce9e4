using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Printing;

namespace ArrowCid.Cli.Tests;

public sealed class IpcCommandTests : IDisposable
{
    private const string Primitive = "1.0.0-littleendian/generated_primitive";
    private const string Nested = "1.0.0-littleendian/generated_nested";
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Cat_prints_every_batch_with_every_row()
    {
        var result = CliRun.Run("ipc", "cat", Golden.File(Nested));

        Assert.True(result.ExitCode == 0, result.Error);
        using var reader = ArrowFileReader.Open(Golden.File(Nested));
        string expected = string.Concat(reader.ReadAll().Select((batch, i) =>
        {
            using (batch)
            {
                return $"batch {i}: {batch.Length} rows\n" + ArrayPrinter.Format(batch);
            }
        }));
        Assert.Equal(expected, result.Out.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Cat_prints_the_same_for_file_stream_and_stdin()
    {
        string fromFile = CliRun.Run("ipc", "cat", Golden.File(Nested)).Out;
        string fromStream = CliRun.Run("ipc", "cat", Golden.Stream(Nested)).Out;
        var stdinStream = CliRun.RunWithInput(File.ReadAllBytes(Golden.Stream(Nested)), "ipc", "cat", "-");
        var stdinFile = CliRun.RunWithInput(File.ReadAllBytes(Golden.File(Nested)), "ipc", "cat", "-");

        Assert.Contains("batch 1:", fromFile, StringComparison.Ordinal);
        Assert.Equal(fromFile, fromStream);
        Assert.Equal(fromFile, stdinStream.Out);
        Assert.Equal(fromFile, stdinFile.Out);
    }

    [Fact]
    public void Cat_limit_stops_after_that_many_rows()
    {
        var result = CliRun.Run("ipc", "cat", Golden.File(Primitive), "--limit", "3");

        Assert.Equal(0, result.ExitCode);
        var lines = result.Out.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // "batch 0", header, rule, 3 rows, "… n more rows", "(stopped …)".
        Assert.Equal(8, lines.Length);
        Assert.StartsWith("batch 0:", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("… ", lines[6], StringComparison.Ordinal);
        Assert.Equal("(stopped at --limit 3)", lines[7]);
        Assert.DoesNotContain("batch 1:", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Cat_negative_limit_is_a_usage_error()
    {
        var result = CliRun.Run("ipc", "cat", Golden.File(Primitive), "--limit", "-1");

        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
    }

    [Fact]
    public void Cat_of_random_bytes_is_one_line_naming_the_file()
    {
        string junk = _temp.File("junk.arrow");
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(junk, bytes);

        var result = CliRun.Run("ipc", "cat", junk);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"arrowcid: {junk}: ", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Cat_of_a_stream_cut_short_fails_after_printing_what_was_whole()
    {
        byte[] stream = File.ReadAllBytes(Golden.Stream(Nested));
        var result = CliRun.RunWithInput(stream[..(stream.Length - 100)], "ipc", "cat", "-");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("arrowcid: stdin: ", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.Contains("batch 0:", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Schema_prints_fields_and_metadata()
    {
        var result = CliRun.Run("ipc", "schema", Golden.File("1.0.0-littleendian/generated_custom_metadata"));

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("Arrow IPC file, 1 record batch", result.Out, StringComparison.Ordinal);
        Assert.Contains("lots_of_meta: int8", result.Out, StringComparison.Ordinal);
        Assert.Contains("-- field metadata: pandas: {}", result.Out, StringComparison.Ordinal);
        Assert.Contains("-- schema metadata: schema_custom_0: {}", result.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("none", "file")]
    [InlineData("lz4", "file")]
    [InlineData("zstd", "file")]
    [InlineData("none", "stream")]
    [InlineData("lz4", "stream")]
    [InlineData("zstd", "stream")]
    public void Convert_output_validates_against_the_golden_json(string compression, string format)
    {
        foreach (string goldenCase in new[] { Primitive, Nested, "1.0.0-littleendian/generated_dictionary", "2.0.0-compression/generated_zstd" })
        {
            string output = _temp.File($"{Path.GetFileName(goldenCase)}.{compression}.{format}");

            var convert = CliRun.Run("ipc", "convert", Golden.Stream(goldenCase), output, "--format", format, "--compression", compression);
            Assert.True(convert.ExitCode == 0, convert.Error);

            bool isFile = File.ReadAllBytes(output).AsSpan(0, 6).SequenceEqual("ARROW1"u8);
            Assert.Equal(format == "file", isFile);
            var check = CliRun.Run("integration", "validate", "--json", Golden.Json(goldenCase), "--arrow", output);
            Assert.True(check.ExitCode == 0, check.Error);
        }
    }

    [Fact]
    public void Convert_compression_changes_the_bytes()
    {
        string plain = _temp.File("plain.arrow");
        string zstd = _temp.File("zstd.arrow");
        string lz4 = _temp.File("lz4.arrow");

        Assert.Equal(0, CliRun.Run("ipc", "convert", Golden.File(Primitive), plain).ExitCode);
        Assert.Equal(0, CliRun.Run("ipc", "convert", Golden.File(Primitive), zstd, "--compression", "zstd").ExitCode);
        Assert.Equal(0, CliRun.Run("ipc", "convert", Golden.File(Primitive), lz4, "--compression", "lz4").ExitCode);

        Assert.NotEqual(File.ReadAllBytes(plain), File.ReadAllBytes(zstd));
        Assert.NotEqual(File.ReadAllBytes(plain), File.ReadAllBytes(lz4));
        Assert.NotEqual(File.ReadAllBytes(zstd), File.ReadAllBytes(lz4));
    }

    [Fact]
    public void Convert_to_dash_writes_stdout()
    {
        var result = CliRun.Run("ipc", "convert", Golden.File(Nested), "-", "--format", "stream");

        Assert.Equal(0, result.ExitCode);
        using var reader = new ArrowStreamReader(result.BinaryOut.AsMemory());
        var batches = reader.ReadAll().ToList();
        using var golden = ArrowFileReader.Open(Golden.File(Nested));
        Assert.Equal(golden.RecordBatchCount, batches.Count);
        for (int i = 0; i < batches.Count; i++)
        {
            using var expected = golden.ReadRecordBatch(i);
            Assert.True(ArrayEquality.Equals(expected, batches[i], out string? difference), difference);
        }
    }

    [Fact]
    public void Convert_of_a_corrupt_input_leaves_no_output_file()
    {
        byte[] file = File.ReadAllBytes(Golden.File(Nested));
        string corrupt = _temp.File("corrupt.arrow");
        // Keep both magics but break the footer length, so the reader must reject the footer.
        file[^10] = 0xFF;
        file[^9] = 0xFF;
        File.WriteAllBytes(corrupt, file);
        string output = _temp.File("out.arrow");

        var result = CliRun.Run("ipc", "convert", corrupt, output);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"arrowcid: {corrupt}: ", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.Equal([corrupt], Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void Convert_with_an_unknown_codec_is_a_usage_error()
    {
        var result = CliRun.Run("ipc", "convert", Golden.File(Nested), _temp.File("x.arrow"), "--compression", "brotli");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("brotli", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_temp.Path));
    }
}
