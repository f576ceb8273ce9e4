using System.Collections.Immutable;
using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Integration;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Tests.Integration;

/// <summary>
/// Extension types read from integration JSON and from IPC give one schema: canonical extensions
/// become extension types in both, unknown ones stay their storage with the metadata kept, at the
/// top level, inside lists and structs, and over dictionaries. The JSON is written as Arrow's
/// archery/C++ writes it: the storage type plus <c>ARROW:extension:name/metadata</c> field metadata.
/// </summary>
public class ExtensionTypeTests
{
    private const string Tensor = """{"shape":[2,3],"dim_names":["r","c"],"permutation":[1,0]}""";
    private const string Opaque = """{"type_name":"geometry","vendor_name":"PostGIS"}""";
    private const string UnknownParameters = "a=1; b=\"two\"";

    private static string Ext(string name, string parameters, string? extra = null) =>
        $$"""[{"key": "ARROW:extension:name", "value": "{{name}}"}, {"key": "ARROW:extension:metadata", "value": {{JsonSerializer.Serialize(parameters)}}}{{extra}}]""";

    private static readonly string Json = $$"""
        {"schema": {"fields": [
          {"name": "u", "nullable": true, "type": {"name": "fixedsizebinary", "byteWidth": 16}, "children": [], "metadata": {{Ext("arrow.uuid", "")}}},
          {"name": "j", "nullable": true, "type": {"name": "utf8"}, "children": [], "metadata": {{Ext("arrow.json", "{}")}}},
          {"name": "b8", "nullable": false, "type": {"name": "int", "bitWidth": 8, "isSigned": true}, "children": [], "metadata": {{Ext("arrow.bool8", "")}}},
          {"name": "t", "nullable": true, "type": {"name": "fixedsizelist", "listSize": 6}, "children": [
            {"name": "item", "nullable": false, "type": {"name": "floatingpoint", "precision": "SINGLE"}, "children": []}],
           "metadata": {{Ext("arrow.fixed_shape_tensor", Tensor)}}},
          {"name": "o", "nullable": true, "type": {"name": "binary"}, "children": [], "metadata": {{Ext("arrow.opaque", Opaque)}}},
          {"name": "x", "nullable": true, "type": {"name": "int", "bitWidth": 32, "isSigned": true}, "children": [],
           "metadata": {{Ext("my.unknown", UnknownParameters, ", {\"key\": \"note\", \"value\": \"kept\"}")}}},
          {"name": "lu", "nullable": true, "type": {"name": "list"}, "children": [
            {"name": "item", "nullable": true, "type": {"name": "fixedsizebinary", "byteWidth": 16}, "children": [], "metadata": {{Ext("arrow.uuid", "")}}}]},
          {"name": "s", "nullable": true, "type": {"name": "struct"}, "children": [
            {"name": "doc", "nullable": true, "type": {"name": "largeutf8"}, "children": [], "metadata": {{Ext("arrow.json", "")}}}]},
          {"name": "de", "nullable": true, "type": {"name": "utf8"}, "children": [],
           "dictionary": {"id": 0, "indexType": {"name": "int", "bitWidth": 8, "isSigned": true}, "isOrdered": false},
           "metadata": {{Ext("arrow.opaque", Opaque)}}}
        ]},
        "dictionaries": [{"id": 0, "data": {"count": 2, "columns": [
          {"name": "DICT0", "count": 2, "VALIDITY": [1, 1], "OFFSET": [0, 1, 2], "DATA": ["a", "b"]}]} }],
        "batches": [{"count": 2, "columns": [
          {"name": "u", "count": 2, "VALIDITY": [1, 0], "DATA": ["000102030405060708090A0B0C0D0E0F", "00000000000000000000000000000000"]},
          {"name": "j", "count": 2, "VALIDITY": [1, 1], "OFFSET": [0, 2, 4], "DATA": ["{}", "[]"]},
          {"name": "b8", "count": 2, "VALIDITY": [1, 1], "DATA": [1, 0]},
          {"name": "t", "count": 2, "VALIDITY": [1, 1], "children": [
            {"name": "item", "count": 12, "VALIDITY": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], "DATA": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]}]},
          {"name": "o", "count": 2, "VALIDITY": [1, 1], "OFFSET": [0, 1, 3], "DATA": ["AB", "CDEF"]},
          {"name": "x", "count": 2, "VALIDITY": [1, 1], "DATA": [5, -6]},
          {"name": "lu", "count": 2, "VALIDITY": [1, 1], "OFFSET": [0, 1, 2], "children": [
            {"name": "item", "count": 2, "VALIDITY": [1, 0], "DATA": ["FFEEDDCCBBAA99887766554433221100", "00000000000000000000000000000000"]}]},
          {"name": "s", "count": 2, "VALIDITY": [1, 1], "children": [
            {"name": "doc", "count": 2, "VALIDITY": [1, 1], "OFFSET": ["0", "2", "6"], "DATA": ["{}", "null"]}]},
          {"name": "de", "count": 2, "VALIDITY": [1, 1], "DATA": [1, 0]}
        ]}]}
        """;

    [Fact]
    public void Json_gives_canonical_extensions_as_extension_types_and_unknown_ones_as_storage()
    {
        var schema = IntegrationJson.Parse(Json).Schema;

        AssertExtension(schema.Fields[0], "arrow.uuid", "", ArrowType.FixedSizeBinary(16));
        AssertExtension(schema.Fields[1], "arrow.json", "{}", ArrowType.Utf8);
        AssertExtension(schema.Fields[2], "arrow.bool8", "", ArrowType.Int8);
        AssertExtension(schema.Fields[3], "arrow.fixed_shape_tensor", Tensor, ArrowType.FixedSizeList(new Field("item", ArrowType.Float32, false), 6));
        AssertExtension(schema.Fields[4], "arrow.opaque", Opaque, ArrowType.Binary);
        var unknown = schema.Fields[5];
        Assert.Equal(ArrowType.Int32, unknown.Type);
        Assert.Equal("my.unknown", unknown.GetMetadata("ARROW:extension:name"));
        Assert.Equal(UnknownParameters, unknown.GetMetadata("ARROW:extension:metadata"));
        Assert.Equal("kept", unknown.GetMetadata("note"));
        AssertExtension(schema.Fields[6].Type.Children[0], "arrow.uuid", "", ArrowType.FixedSizeBinary(16));
        AssertExtension(schema.Fields[7].Type.Children[0], "arrow.json", "", ArrowType.LargeUtf8);
        AssertExtension(schema.Fields[8], "arrow.opaque", Opaque, ArrowType.Dictionary(ArrowType.Int8, ArrowType.Utf8));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Json_to_ipc_validates_and_ipc_reads_back_the_same_schema(bool fileFormat)
    {
        var expected = IntegrationJson.Parse(Json);
        byte[] ipc = WriteIpc(expected, fileFormat);

        var actual = IntegrationValidator.ReadIpc(ipc);
        Assert.Null(ArrayEquality.SchemaDifference(expected.Schema, actual.Schema));
        Assert.Equal(expected.Schema.Fields.Select(f => f.Type), actual.Schema.Fields.Select(f => f.Type));
        Assert.Null(IntegrationValidator.Compare(expected, actual));
        // And back to JSON: the same storage-plus-metadata form, which reads as the same schema again.
        var again = IntegrationJson.Parse(IntegrationJson.ToJson(actual));
        Assert.Null(IntegrationValidator.Compare(again, actual));
    }

    [Fact]
    public void Both_forms_carry_storage_plus_the_two_keys_on_the_wire()
    {
        var file = IntegrationJson.Parse(Json);
        using var json = JsonDocument.Parse(IntegrationJson.ToJson(file));
        var uuid = json.RootElement.GetProperty("schema").GetProperty("fields")[0];
        Assert.Equal("fixedsizebinary", uuid.GetProperty("type").GetProperty("name").GetString());
        var keys = uuid.GetProperty("metadata").EnumerateArray().ToDictionary(kv => kv.GetProperty("key").GetString()!, kv => kv.GetProperty("value").GetString());
        Assert.Equal("arrow.uuid", keys["ARROW:extension:name"]);
        Assert.Equal("", keys["ARROW:extension:metadata"]);

        // An IPC file written from plain storage fields carrying the keys (as Arrow C++ writes
        // them) reads as the extension types too.
        var plain = new Schema(file.Schema.Fields.Select(f =>
        {
            var (storage, metadata) = ExtensionTypes.ToFieldMetadata(f);
            return new Field(f.Name, storage, f.Nullable, metadata);
        }).Where(f => f.Type.Id != ArrowTypeId.List && f.Type.Id != ArrowTypeId.Struct));
        var batch = file.Batches[0];
        var columns = plain.Fields.Select(f => batch.Columns[file.Schema.IndexOf(f.Name)]);
        var storageFile = new IntegrationFile(plain, [new RecordBatch(plain, batch.Length, columns.Select((c, i) => c.WithType(plain.Fields[i].Type)))]);
        var read = IntegrationValidator.ReadIpc(WriteIpc(storageFile, fileFormat: true));
        AssertExtension(read.Schema.Fields[0], "arrow.uuid", "", ArrowType.FixedSizeBinary(16));
        Assert.Equal(file.Schema.Fields.First(f => f.Name == "de").Type, read.Schema.Fields.First(f => f.Name == "de").Type);
    }

    [Fact]
    public void A_dictionary_of_extension_values_is_written_with_the_keys_and_read_as_the_extension()
    {
        var file = IntegrationJson.Parse(Json);
        var de = file.Schema.Fields[8];
        var opaque = de.Type;
        var inside = new Field("de", ArrowType.Dictionary(ArrowType.Int8, ArrowType.Extension(opaque.ExtensionName!, opaque.ExtensionMetadata, ArrowType.Utf8)), true);
        var (storage, metadata) = ExtensionTypes.ToFieldMetadata(inside);
        Assert.Equal(opaque.StorageType, storage);
        Assert.Equal("arrow.opaque", KeyValueMetadata.Find(metadata, "ARROW:extension:name"));
        Assert.Throws<ArgumentException>(() => ExtensionTypes.ToFieldMetadata(new Field("twice", ArrowType.Extension("a.b", "", opaque), true)));
    }

    [Theory]
    [InlineData("arrow.uuid", "", """{"name": "fixedsizebinary", "byteWidth": 8}""", "storage must be fixed_size_binary[16]")]
    [InlineData("arrow.bool8", "x", """{"name": "int", "bitWidth": 8, "isSigned": true}""", "parameters must be empty")]
    [InlineData("arrow.json", "", """{"name": "binary"}""", "storage must be utf8, large_utf8 or utf8_view")]
    [InlineData("arrow.json", "[1]", """{"name": "utf8"}""", "must be a JSON object")]
    [InlineData("arrow.opaque", "", """{"name": "null"}""", "not JSON")]
    [InlineData("arrow.opaque", """{"type_name": "t"}""", """{"name": "null"}""", "'vendor_name'")]
    public void A_canonical_extension_with_the_wrong_storage_or_parameters_is_refused_by_both_readers(string name, string parameters, string storageJson, string expected)
    {
        string json = $$"""
            {"schema": {"fields": [{"name": "bad", "nullable": true, "type": {{storageJson}}, "children": [], "metadata": {{Ext(name, parameters)}}}]}, "batches": []}
            """;
        var fromJson = Assert.Throws<ArrowFormatException>(() => IntegrationJson.Parse(json));
        Assert.Contains("'bad'", fromJson.Message, StringComparison.Ordinal);
        Assert.Contains($"extension {name}: ", fromJson.Message, StringComparison.Ordinal);
        Assert.Contains(expected, fromJson.Message, StringComparison.Ordinal);

        // The same field written to IPC as plain storage plus keys, as another writer might.
        var storage = IntegrationJson.Parse(json.Replace(name, "not.registered", StringComparison.Ordinal)).Schema.Fields[0];
        var metadata = storage.Metadata.Select(kv => kv.Key == "ARROW:extension:name" ? new KeyValuePair<string, string>(kv.Key, name) : kv).ToImmutableArray();
        var schema = new Schema([new Field("bad", storage.Type, true, metadata)]);
        byte[] ipc = WriteIpc(new IntegrationFile(schema, []), fileFormat: false);
        var fromIpc = Assert.Throws<ArrowFormatException>(() => IntegrationValidator.ReadIpc(ipc));
        Assert.Contains("'bad'", fromIpc.Message, StringComparison.Ordinal);
        Assert.Contains($"extension {name}: ", fromIpc.Message, StringComparison.Ordinal);
        Assert.Contains(expected, fromIpc.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"shape":[4]}""", "has 4 elements, the storage lists hold 6")]
    [InlineData("""{"shape":[2,3],"dim_names":["r"]}""", "dim_names")]
    [InlineData("""{"shape":[2,3],"permutation":[0,0]}""", "not a permutation of 0..1")]
    [InlineData("""{"dim_names":["r","c"]}""", "'shape' array")]
    public void Tensor_parameters_must_fit_the_storage(string parameters, string expected)
    {
        var storage = ArrowType.FixedSizeList(new Field("item", ArrowType.Float32, false), 6);
        var error = Assert.Throws<ArgumentException>(() => ArrowType.Extension("arrow.fixed_shape_tensor", parameters, storage));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(ArrowTypeId.Extension, ArrowType.Extension("arrow.fixed_shape_tensor", Tensor, storage).Id);
    }

    [Fact]
    public void A_variable_shape_tensor_needs_data_and_shape_children()
    {
        var shape = new Field("shape", ArrowType.FixedSizeList(new Field("item", ArrowType.Int32, false), 2), false);
        var data = new Field("data", ArrowType.List(new Field("item", ArrowType.Float64)), false);
        var storage = ArrowType.Struct(data, shape);
        Assert.Equal(ArrowTypeId.Extension, ArrowType.Extension("arrow.variable_shape_tensor", "", storage).Id);
        Assert.Equal(ArrowTypeId.Extension, ArrowType.Extension("arrow.variable_shape_tensor", """{"uniform_shape":[400,null]}""", storage).Id);
        Assert.Throws<ArgumentException>(() => ArrowType.Extension("arrow.variable_shape_tensor", """{"uniform_shape":[400]}""", storage));
        Assert.Throws<ArgumentException>(() => ArrowType.Extension("arrow.variable_shape_tensor", "", ArrowType.Struct(data)));
    }

    private static void AssertExtension(Field field, string name, string parameters, ArrowType storage)
    {
        Assert.Equal(ArrowTypeId.Extension, field.Type.Id);
        Assert.Equal(name, field.Type.ExtensionName);
        Assert.Equal(parameters, field.Type.ExtensionMetadata);
        Assert.Equal(storage, field.Type.StorageType);
        Assert.Null(field.GetMetadata(ExtensionTypes.NameKey));
        Assert.Null(field.GetMetadata(ExtensionTypes.MetadataKey));
    }

    private static byte[] WriteIpc(IntegrationFile file, bool fileFormat)
    {
        using var buffer = new MemoryStream();
        using (ArrowStreamWriter writer = fileFormat ? new ArrowFileWriter(buffer, file.Schema, leaveOpen: true) : new ArrowStreamWriter(buffer, file.Schema, leaveOpen: true))
        {
            foreach (var batch in file.Batches)
            {
                writer.Write(batch);
            }

            writer.Finish();
        }

        return buffer.ToArray();
    }
}
