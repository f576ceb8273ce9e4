using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Integration;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Cli.Tests;

public sealed class IntegrationCommandTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public static TheoryData<string> Cases() =>
    [
        "1.0.0-littleendian/generated_primitive",
        "1.0.0-littleendian/generated_nested",
        "1.0.0-littleendian/generated_dictionary",
        "1.0.0-littleendian/generated_datetime",
        "1.0.0-littleendian/generated_custom_metadata",
        "1.0.0-littleendian/generated_extension",
        "1.0.0-littleendian/generated_map",
        "1.0.0-littleendian/generated_union",
        "2.0.0-compression/generated_lz4",
        "2.0.0-compression/generated_zstd",
        "4.0.0-shareddict/generated_shared_dict",
    ];

    public void Dispose() => _temp.Dispose();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Validate_accepts_the_golden_file_and_stream_of_each_case(string goldenCase)
    {
        foreach (string arrow in new[] { Golden.File(goldenCase), Golden.Stream(goldenCase) })
        {
            var result = CliRun.Run("integration", "validate", "--json", Golden.Json(goldenCase), "--arrow", arrow);
            Assert.True(result.ExitCode == 0, result.Error);
            Assert.Equal(string.Empty, result.Error);
            Assert.Contains("matches", result.Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Validate_reports_a_schema_mismatch_on_one_line_and_exits_1()
    {
        var result = CliRun.Run("integration", "validate",
            "--json", Golden.Json("1.0.0-littleendian/generated_primitive"),
            "--arrow", Golden.File("1.0.0-littleendian/generated_datetime"));
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("arrowcid: ", line, StringComparison.Ordinal);
        Assert.Contains("does not match", line, StringComparison.Ordinal);
        Assert.Contains("schema", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_reports_a_single_changed_value()
    {
        var schema = new Schema([new Field("n", ArrowType.Int32)]);
        string json = _temp.File("expected.json");
        string arrow = _temp.File("actual.arrow");
        using (var stream = File.Create(json))
        {
            IntegrationJson.Write(new IntegrationFile(schema, [Batch(schema, 1, 2, 3)]), stream);
        }

        WriteFile(arrow, schema, Batch(schema, 1, 2, 4));

        var result = CliRun.Run("integration", "validate", "--json", json, "--arrow", arrow);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("column 0 'n'", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_reports_a_missing_batch()
    {
        string goldenCase = "1.0.0-littleendian/generated_primitive";
        string arrow = _temp.File("first-batch-only.arrow");
        using (var reader = ArrowFileReader.Open(Golden.File(goldenCase)))
        {
            Assert.True(reader.RecordBatchCount > 1);
            using var first = reader.ReadRecordBatch(0);
            WriteFile(arrow, reader.Schema, first);
        }

        var result = CliRun.Run("integration", "validate", "--json", Golden.Json(goldenCase), "--arrow", arrow);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("record batches", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_names_a_truncated_arrow_file_without_a_stack_trace()
    {
        string truncated = _temp.File("truncated.arrow");
        File.WriteAllBytes(truncated, File.ReadAllBytes(Golden.File("1.0.0-littleendian/generated_nested"))[..400]);

        var result = CliRun.Run("integration", "validate", "--json", Golden.Json("1.0.0-littleendian/generated_nested"), "--arrow", truncated);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"arrowcid: {truncated}: ", line, StringComparison.Ordinal);
        Assert.Contains("not an Arrow IPC file", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_names_a_json_file_that_is_not_json()
    {
        string json = _temp.File("broken.json");
        File.WriteAllText(json, "{ \"schema\": [");

        var result = CliRun.Run("integration", "validate", "--json", json, "--arrow", Golden.File("1.0.0-littleendian/generated_nested"));

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"arrowcid: {json}: ", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_says_no_such_file_for_a_missing_input()
    {
        string missing = _temp.File("missing.arrow");

        var result = CliRun.Run("integration", "validate", "--json", Golden.Json("1.0.0-littleendian/generated_nested"), "--arrow", missing);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"arrowcid: {missing}: no such file", Assert.Single(result.ErrorLines));
    }

    [Fact]
    public void Validate_without_arrow_option_is_a_usage_error()
    {
        var result = CliRun.Run("integration", "validate", "--json", Golden.Json("1.0.0-littleendian/generated_nested"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--arrow", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_accepts_an_ipc_file_with_arrow_uuid_against_its_own_json()
    {
        // As Arrow C++ writes both: the storage type plus ARROW:extension:name/metadata field metadata.
        string json = _temp.File("uuid.json");
        File.WriteAllText(json, """
            {"schema": {"fields": [
              {"name": "id", "nullable": true, "type": {"name": "fixedsizebinary", "byteWidth": 16}, "children": [],
               "metadata": [{"key": "ARROW:extension:name", "value": "arrow.uuid"}, {"key": "ARROW:extension:metadata", "value": ""}]},
              {"name": "ids", "nullable": true, "type": {"name": "list"}, "children": [
                {"name": "item", "nullable": true, "type": {"name": "fixedsizebinary", "byteWidth": 16}, "children": [],
                 "metadata": [{"key": "ARROW:extension:name", "value": "arrow.uuid"}, {"key": "ARROW:extension:metadata", "value": ""}]}]}]},
             "batches": [{"count": 2, "columns": [
              {"name": "id", "count": 2, "VALIDITY": [1, 0], "DATA": ["0123456789ABCDEF0123456789ABCDEF", "00000000000000000000000000000000"]},
              {"name": "ids", "count": 2, "VALIDITY": [1, 1], "OFFSET": [0, 1, 1], "children": [
                {"name": "item", "count": 1, "VALIDITY": [1], "DATA": ["FEDCBA9876543210FEDCBA9876543210"]}]}]}]}
            """);
        // The IPC file is written from plain fields that carry the keys, not from our JSON reader's schema.
        var file = IntegrationJson.Read(json);
        var plain = new Schema(file.Schema.Fields.Select(f => f.Name == "id"
            ? new Field(f.Name, ArrowType.FixedSizeBinary(16), f.Nullable, [new("ARROW:extension:name", "arrow.uuid"), new("ARROW:extension:metadata", "")])
            : f));
        var batch = file.Batches[0];
        string arrow = _temp.File("uuid.arrow");
        using (var stream = File.Create(arrow))
        using (var writer = new ArrowFileWriter(stream, plain))
        {
            writer.Write(new RecordBatch(plain, batch.Length, batch.Columns.Select((c, i) => c.WithType(plain.Fields[i].Type))));
            writer.Finish();
        }

        var check = CliRun.Run("integration", "validate", "--json", json, "--arrow", arrow);
        Assert.True(check.ExitCode == 0, check.Error);
        Assert.Contains("matches", check.Out, StringComparison.Ordinal);
        var schema = CliRun.Run("ipc", "schema", arrow);
        Assert.Contains("extension<arrow.uuid", schema.Out, StringComparison.Ordinal);
        // Round trips through the CLI agree too.
        string back = _temp.File("back.json");
        Assert.Equal(0, CliRun.Run("integration", "arrow-to-json", "--arrow", arrow, "--json", back).ExitCode);
        string again = _temp.File("again.arrow");
        Assert.Equal(0, CliRun.Run("integration", "json-to-arrow", "--json", back, "--arrow", again).ExitCode);
        Assert.Equal(0, CliRun.Run("integration", "validate", "--json", json, "--arrow", again).ExitCode);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Json_to_arrow_writes_a_file_that_validates(string goldenCase)
    {
        string arrow = _temp.File("out.arrow");

        var write = CliRun.Run("integration", "json-to-arrow", "--json", Golden.Json(goldenCase), "--arrow", arrow);
        Assert.True(write.ExitCode == 0, write.Error);

        Assert.Equal("ARROW1"u8.ToArray(), File.ReadAllBytes(arrow)[..6]);
        var check = CliRun.Run("integration", "validate", "--json", Golden.Json(goldenCase), "--arrow", arrow);
        Assert.True(check.ExitCode == 0, check.Error);
        Assert.Single(Directory.GetFiles(_temp.Path));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Arrow_to_json_writes_json_the_golden_stream_validates_against(string goldenCase)
    {
        string json = _temp.File("out.json");

        var write = CliRun.Run("integration", "arrow-to-json", "--arrow", Golden.Stream(goldenCase), "--json", json);
        Assert.True(write.ExitCode == 0, write.Error);

        var check = CliRun.Run("integration", "validate", "--json", json, "--arrow", Golden.File(goldenCase));
        Assert.True(check.ExitCode == 0, check.Error);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Stream_to_file_and_file_to_stream_go_from_stdin_to_stdout(string goldenCase)
    {
        var toFile = CliRun.RunWithInput(File.ReadAllBytes(Golden.Stream(goldenCase)), "integration", "stream-to-file");
        Assert.True(toFile.ExitCode == 0, toFile.Error);
        Assert.Equal("ARROW1"u8.ToArray(), toFile.BinaryOut[..6]);
        Assert.Equal("ARROW1"u8.ToArray(), toFile.BinaryOut[^6..]);
        string file = _temp.File("from-stream.arrow");
        File.WriteAllBytes(file, toFile.BinaryOut);
        Assert.Equal(0, CliRun.Run("integration", "validate", "--json", Golden.Json(goldenCase), "--arrow", file).ExitCode);

        var toStream = CliRun.RunWithInput(toFile.BinaryOut, "integration", "file-to-stream");
        Assert.True(toStream.ExitCode == 0, toStream.Error);
        Assert.NotEqual("ARROW1"u8.ToArray(), toStream.BinaryOut[..6]);
        string stream = _temp.File("from-file.stream");
        File.WriteAllBytes(stream, toStream.BinaryOut);
        Assert.Equal(0, CliRun.Run("integration", "validate", "--json", Golden.Json(goldenCase), "--arrow", stream).ExitCode);
    }

    [Fact]
    public void Stream_to_file_reports_garbage_on_stdin()
    {
        var result = CliRun.RunWithInput(Text.Utf8("this is not an arrow stream at all"), "integration", "stream-to-file");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("arrowcid: stdin: ", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.Empty(result.BinaryOut);
    }

    private static ArrowCid.Arrow.Arrays.RecordBatch Batch(Schema schema, params int[] values)
    {
        var builder = new RecordBatchBuilder(schema);
        foreach (int value in values)
        {
            builder.AppendRow(value);
        }

        return builder.Build();
    }

    private static void WriteFile(string path, Schema schema, ArrowCid.Arrow.Arrays.RecordBatch batch)
    {
        using var stream = File.Create(path);
        using var writer = new ArrowFileWriter(stream, schema);
        writer.Write(batch);
        writer.Finish();
    }
}
