using System.IO.Compression;
using System.Numerics;
using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Integration;
using ArrowCid.Arrow.Types;
using ArrowCid.Arrow.Tests.Ipc;

namespace ArrowCid.Arrow.Tests.Integration;

/// <summary>What the reader produces for a few golden cases, checked against the README's table and against the raw JSON read independently.</summary>
public class IntegrationGoldenContentTests
{
    private static IntegrationFile Read(string goldenCase) => IntegrationJson.Read(GoldenFiles.JsonPath(goldenCase));

    private static JsonDocument Raw(string goldenCase)
    {
        using var gzip = new GZipStream(File.OpenRead(GoldenFiles.JsonPath(goldenCase)), CompressionMode.Decompress);
        return JsonDocument.Parse(gzip);
    }

    [Theory]
    [InlineData("1.0.0-littleendian/generated_primitive", 30, new[] { 17, 20 })]
    [InlineData("1.0.0-littleendian/generated_primitive_no_batches", 30, new int[0])]
    [InlineData("1.0.0-littleendian/generated_primitive_zerolength", 30, new[] { 0, 0, 0 })]
    [InlineData("1.0.0-littleendian/generated_union", 4, new[] { 0, 11 })]
    [InlineData("1.0.0-littleendian/generated_nested_dictionary", 2, new[] { 10, 13 })]
    [InlineData("1.0.0-littleendian/generated_null_trivial", 1, new[] { 0, 0 })]
    [InlineData("1.0.0-littleendian/generated_datetime", 15, new[] { 7, 10 })]
    [InlineData("2.0.0-compression/generated_lz4", 2, new[] { 30, 30 })]
    [InlineData("4.0.0-shareddict/generated_shared_dict", 2, new[] { 2 })]
    public void Field_and_row_counts_match_the_readme(string goldenCase, int fields, int[] rows)
    {
        var file = Read(goldenCase);
        Assert.Equal(fields, file.Schema.Fields.Length);
        Assert.Equal(rows, file.Batches.Select(b => b.Length));
    }

    [Fact]
    public void Decimal_cases_have_the_readme_shape_and_types()
    {
        var dec = Read("1.0.0-littleendian/generated_decimal");
        Assert.Equal(36, dec.Schema.Fields.Length);
        Assert.Equal(36, dec.Batches.Count);
        Assert.Equal(ArrowType.Decimal(3, 2), dec.Schema.Fields[0].Type);
        Assert.Equal(ArrowType.Decimal(38, 2), dec.Schema.Fields[35].Type);
        var dec256 = Read("1.0.0-littleendian/generated_decimal256");
        Assert.Equal(ArrowType.Decimal(37, 5, 256), dec256.Schema.Fields[0].Type);
        Assert.Equal(33, dec256.Batches.Count);
    }

    [Fact]
    public void First_utf8_column_of_generated_primitive_holds_the_raw_json_strings()
    {
        const string goldenCase = "1.0.0-littleendian/generated_primitive";
        var file = Read(goldenCase);
        using var raw = Raw(goldenCase);
        var rawFields = raw.RootElement.GetProperty("schema").GetProperty("fields");
        int column = rawFields.EnumerateArray().ToList().FindIndex(f => f.GetProperty("type").GetProperty("name").GetString() == "utf8");
        Assert.True(column >= 0);
        Assert.Equal(ArrowTypeId.Utf8, file.Schema.Fields[column].Type.Id);

        int batchIndex = 0, checkedValues = 0;
        foreach (var rawBatch in raw.RootElement.GetProperty("batches").EnumerateArray())
        {
            var rawColumn = rawBatch.GetProperty("columns")[column];
            var array = file.Batches[batchIndex++].Columns[column];
            var validity = rawColumn.GetProperty("VALIDITY").EnumerateArray().Select(v => v.GetInt32()).ToList();
            var data = rawColumn.GetProperty("DATA").EnumerateArray().Select(v => v.GetString()).ToList();
            for (int i = 0; i < array.Length; i++)
            {
                Assert.Equal(validity[i] == 1, array.IsValid(i));
                if (validity[i] == 1)
                {
                    Assert.Equal(data[i], array.GetString(i));
                    checkedValues++;
                }
            }
        }

        Assert.True(checkedValues > 5);
    }

    [Fact]
    public void Decimal_values_are_the_unscaled_strings_of_the_json()
    {
        const string goldenCase = "1.0.0-littleendian/generated_decimal";
        var file = Read(goldenCase);
        using var raw = Raw(goldenCase);
        var rawColumn = raw.RootElement.GetProperty("batches")[1].GetProperty("columns")[35];
        var array = file.Batches[1].Columns[35];
        var data = rawColumn.GetProperty("DATA").EnumerateArray().Select(v => v.GetString()).ToList();
        for (int i = 0; i < array.Length; i++)
        {
            var bytes = array.Buffers[1].Span.Slice((array.Offset + i) * 16, 16);
            Assert.Equal(BigInteger.Parse(data[i]!, System.Globalization.CultureInfo.InvariantCulture), new BigInteger(bytes, isUnsigned: false, isBigEndian: false));
        }
    }

    [Fact]
    public void Dictionary_columns_decode_to_the_json_dictionary_strings()
    {
        const string goldenCase = "1.0.0-littleendian/generated_dictionary";
        var file = Read(goldenCase);
        using var raw = Raw(goldenCase);
        var rawField = raw.RootElement.GetProperty("schema").GetProperty("fields")[0];
        long id = rawField.GetProperty("dictionary").GetProperty("id").GetInt64();
        var rawDictionary = raw.RootElement.GetProperty("dictionaries").EnumerateArray().Single(d => d.GetProperty("id").GetInt64() == id);
        var dictColumn = rawDictionary.GetProperty("data").GetProperty("columns")[0];
        var dictValid = dictColumn.GetProperty("VALIDITY").EnumerateArray().Select(v => v.GetInt32()).ToList();
        var dictData = dictColumn.GetProperty("DATA").EnumerateArray().Select(v => v.GetString()).ToList();

        Assert.Equal(ArrowType.Dictionary(ArrowType.Int8, ArrowType.Utf8), file.Schema.Fields[0].Type);
        int decoded = 0;
        for (int b = 0; b < file.Batches.Count; b++)
        {
            var rawColumn = raw.RootElement.GetProperty("batches")[b].GetProperty("columns")[0];
            var valid = rawColumn.GetProperty("VALIDITY").EnumerateArray().Select(v => v.GetInt32()).ToList();
            var indices = rawColumn.GetProperty("DATA").EnumerateArray().Select(v => v.GetInt32()).ToList();
            var array = file.Batches[b].Columns[0];
            Assert.NotNull(array.Dictionary);
            for (int i = 0; i < array.Length; i++)
            {
                Assert.Equal(valid[i] == 1, array.IsValid(i));
                if (valid[i] == 1 && dictValid[indices[i]] == 0)
                {
                    Assert.True(array.Dictionary.IsNull((sbyte)array.Buffers[1].Span[array.Offset + i]));
                }

                if (valid[i] == 1 && dictValid[indices[i]] == 1)
                {
                    int index = (sbyte)array.Buffers[1].Span[array.Offset + i];
                    Assert.Equal(dictData[indices[i]], array.Dictionary.GetString(index));
                    decoded++;
                }
            }
        }

        Assert.Equal(3, decoded);
    }

    [Fact]
    public void Shared_and_nested_dictionaries_are_resolved_to_one_instance_per_id()
    {
        var shared = Read("4.0.0-shareddict/generated_shared_dict");
        var batch = shared.Batches[0];
        Assert.Same(batch.Columns[0].Dictionary, batch.Columns[1].Dictionary);

        // list_dict: dictionary 1 of list<dictionary 0>; struct_dict: dictionary 2 of struct<dictionary 0, dictionary 0>.
        var nested = Read("1.0.0-littleendian/generated_nested_dictionary").Batches[1];
        var listValues = nested.Columns[0].Dictionary!;
        var structValues = nested.Columns[1].Dictionary!;
        var inner = listValues.Children[0].Dictionary;
        Assert.NotNull(inner);
        Assert.Equal(10, inner.Length);
        Assert.Same(inner, structValues.Children[0].Dictionary);
        Assert.Same(inner, structValues.Children[1].Dictionary);
        Assert.Equal(ArrowTypeId.Dictionary, nested.Schema.Fields[0].Type.ValueType!.Children[0].Type.Id);
    }

    [Fact]
    public void Unknown_extensions_keep_their_storage_type_and_metadata()
    {
        var file = Read("1.0.0-littleendian/generated_custom_metadata");
        var field = file.Schema.Fields[2];
        Assert.Equal(ArrowType.Int8, field.Type);
        Assert.Equal("!nonexistent", field.GetMetadata("ARROW:extension:name"));
        Assert.Equal("{}", file.Schema.GetMetadata("schema_custom_0"));
        Assert.Equal("{}", file.Schema.Fields[3].Type.Children[0].GetMetadata("odd_values"));

        var uuid = Read("1.0.0-littleendian/generated_extension").Schema.Fields[0];
        Assert.Equal(ArrowType.FixedSizeBinary(16), uuid.Type);
        Assert.Equal("uuid", uuid.GetMetadata("ARROW:extension:name"));
    }

    [Fact]
    public void Union_type_codes_and_64_bit_values_are_read_exactly()
    {
        var union = Read("1.0.0-littleendian/generated_union");
        Assert.Equal([42, 43, 44], union.Schema.Fields[3].Type.TypeCodes.Select(c => (int)c));
        var dense = union.Batches[1].Columns[1];
        Assert.Equal((0, 0), dense.UnionChildSlot(3));

        // Nanosecond timestamps need all 64 bits: any trip through a double would change them.
        const string datetime = "1.0.0-littleendian/generated_datetime";
        var file = Read(datetime);
        using var raw = Raw(datetime);
        var rawData = raw.RootElement.GetProperty("batches")[1].GetProperty("columns")[9].GetProperty("DATA")
            .EnumerateArray().Select(v => long.Parse(v.GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(ArrowType.Timestamp(TimeUnit.Nanosecond), file.Schema.Fields[9].Type);
        Assert.Equal(rawData, file.Batches[1].Columns[9].GetValues<long>().ToArray());
        Assert.Contains(rawData, v => v is > (1L << 53) or < -(1L << 53));
    }
}
