using ArrowCid.Arrow.Integration;

namespace ArrowCid.Arrow.Tests.Integration;

/// <summary>Malformed integration JSON gives an <see cref="ArrowFormatException"/> that names where it is wrong.</summary>
public class IntegrationMalformedTests
{
    private const string Schema = """
        {"fields": [{"name": "x", "nullable": true, "type": {"name": "int", "isSigned": true, "bitWidth": 32}, "children": []},
                    {"name": "s", "nullable": true, "type": {"name": "utf8"}, "children": []}]}
        """;

    private static string File(string columns, int count = 2) =>
        $$"""{"schema": {{Schema}}, "batches": [{"count": {{count}}, "columns": [{{columns}}]}]}""";

    private const string GoodX = """{"name": "x", "count": 2, "VALIDITY": [1, 0], "DATA": [1, 2]}""";
    private const string GoodS = """{"name": "s", "count": 2, "VALIDITY": [1, 1], "OFFSET": [0, 1, 3], "DATA": ["a", "bc"]}""";

    [Fact]
    public void The_well_formed_base_case_reads()
    {
        var file = IntegrationJson.Parse(File(GoodX + "," + GoodS));
        Assert.Equal("bc", file.Batches[0].Columns[1].GetString(1));
        Assert.True(file.Batches[0].Columns[0].IsNull(1));
    }

    [Theory]
    [InlineData("""{"name": "x", "count": 2, "VALIDITY": [1, 0], "DATA": [1]}""", GoodS, "batch 0 column 'x' (0)")]
    [InlineData("""{"name": "x", "count": 2, "VALIDITY": [1, 0], "DATA": [1, "z"]}""", GoodS, "batch 0 column 'x' (0) DATA[1]")]
    [InlineData("""{"name": "x", "count": 2, "VALIDITY": [1, 0], "DATA": [1, 4294967296]}""", GoodS, "DATA[1]")]
    [InlineData(GoodX, """{"name": "s", "count": 2, "VALIDITY": [1, 1], "OFFSET": [0, 1, 4], "DATA": ["a", "bc"]}""", "batch 0 column 's' (1) DATA[1]")]
    [InlineData(GoodX, """{"name": "s", "count": 2, "VALIDITY": [1, 1], "DATA": ["a", "bc"]}""", "missing 'OFFSET'")]
    [InlineData(GoodX, """{"name": "s", "VALIDITY": [1, 1], "OFFSET": [0, 1, 3], "DATA": ["a", "bc"]}""", "missing 'count'")]
    [InlineData(GoodX, """{"name": "s", "count": 3, "VALIDITY": [1, 1, 1], "OFFSET": [0, 1, 3, 3], "DATA": ["a", "bc", ""]}""", "batch 0 column 's' (1): 3 rows")]
    public void Bad_columns_name_the_batch_column_and_member(string x, string s, string expected)
    {
        var ex = Assert.Throws<ArrowFormatException>(() => IntegrationJson.Parse(File(x + "," + s)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"schema": {"fields": [{"name": "f", "nullable": true, "type": {"name": "int128"}}]}, "batches": []}""", "schema field 0 'f': unknown type name 'int128'")]
    [InlineData("""{"schema": {"fields": [{"name": "f", "nullable": true, "type": {"name": "list"}, "children": []}]}, "batches": []}""", "schema field 0 'f'")]
    [InlineData("""{"schema": {"fields": [{"name": "f", "type": {"name": "bool"}}]}, "batches": []}""", "missing 'nullable'")]
    [InlineData("""{"schema": {"fields": [{"name": "f", "nullable": true, "type": {"name": "decimal", "precision": 0, "scale": 0}}]}, "batches": []}""", "invalid decimal type")]
    [InlineData("""{"schema": {"fields": []}}""", "missing 'batches'")]
    [InlineData("""{"schema": {"fields": [], """, "does not parse")]
    [InlineData("""[1, 2]""", "integration JSON: expected a JSON object")]
    public void Bad_schemas_and_documents_are_format_errors(string json, string expected)
    {
        var ex = Assert.Throws<ArrowFormatException>(() => IntegrationJson.Parse(json));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dictionary_id_without_a_dictionary_is_named()
    {
        const string json = """
            {"schema": {"fields": [{"name": "d", "nullable": true, "type": {"name": "utf8"}, "children": [],
                                    "dictionary": {"id": 7, "indexType": {"name": "int", "isSigned": true, "bitWidth": 8}, "isOrdered": false}}]},
             "batches": [{"count": 1, "columns": [{"name": "d", "count": 1, "VALIDITY": [1], "DATA": [0]}]}]}
            """;
        var ex = Assert.Throws<ArrowFormatException>(() => IntegrationJson.Parse(json));
        Assert.Contains("batch 0 column 'd' (0): dictionary id 7", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Out_of_range_dictionary_indices_and_union_codes_are_rejected()
    {
        const string dict = """
            {"schema": {"fields": [{"name": "d", "nullable": true, "type": {"name": "utf8"}, "children": [],
                                    "dictionary": {"id": 0, "indexType": {"name": "int", "isSigned": true, "bitWidth": 8}}}]},
             "dictionaries": [{"id": 0, "data": {"count": 1, "columns": [{"name": "D", "count": 1, "VALIDITY": [1], "OFFSET": [0, 1], "DATA": ["a"]}]}}],
             "batches": [{"count": 1, "columns": [{"name": "d", "count": 1, "VALIDITY": [1], "DATA": [3]}]}]}
            """;
        Assert.Contains("index 3", Assert.Throws<ArrowFormatException>(() => IntegrationJson.Parse(dict)).Message, StringComparison.Ordinal);

        const string union = """
            {"schema": {"fields": [{"name": "u", "nullable": true, "type": {"name": "union", "mode": "SPARSE", "typeIds": [5]},
                                    "children": [{"name": "i", "nullable": true, "type": {"name": "int", "isSigned": true, "bitWidth": 8}, "children": []}]}]},
             "batches": [{"count": 1, "columns": [{"name": "u", "count": 1, "TYPE_ID": [6],
                                                   "children": [{"name": "i", "count": 1, "VALIDITY": [1], "DATA": [1]}]}]}]}
            """;
        Assert.Contains("TYPE_ID[0] = 6", Assert.Throws<ArrowFormatException>(() => IntegrationJson.Parse(union)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_gzip_is_a_format_error()
    {
        byte[] bytes = [0x1F, 0x8B, 0x08, 0x00, 0x01, 0x02];
        Assert.Throws<ArrowFormatException>(() => IntegrationJson.Parse(bytes));
    }
}
