using ArrowCid.Arrow.Types;
using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Tests.Datasets;

public sealed class DatasetManifestTests
{
    private static readonly Schema Schema = new(
        [
            new Field("id", ArrowType.Int64, nullable: false),
            new Field("name", ArrowType.Dictionary(ArrowType.Int32, ArrowType.Utf8), metadata: [new("z", "1"), new("a", "2")]),
        ],
        [new("owner", "tests"), new("b", "x")]);

    private static DatasetBatch Batch(int n, long rows, long bytes = 4096) => new(Cid.ForRaw(BitConverter.GetBytes(n)), rows, bytes);

    private static DatasetManifest Sample() => DatasetManifest.Create(Schema, [Batch(1, 10), Batch(2, 0, 900), Batch(1, 10)]);

    [Fact]
    public void A_schema_message_is_encoded_once_per_schema_and_each_caller_gets_an_array_of_its_own()
    {
        var schema = new Schema([new Field("x", ArrowType.Int64)], [new("b", "2"), new("a", "1")]);
        byte[] first = DatasetSchemaMessage.Encode(schema);
        byte[] copy = (byte[])first.Clone();
        Array.Clear(first);

        byte[] second = DatasetSchemaMessage.Encode(schema);
        Assert.NotSame(first, second);
        Assert.Equal(copy, second);
        // The same message as a schema of equal content but another instance gets, and it decodes back.
        Assert.Equal(copy, DatasetSchemaMessage.Encode(new Schema([new Field("x", ArrowType.Int64)], [new("a", "1"), new("b", "2")])));
        Assert.Equal(["a", "b"], DatasetSchemaMessage.Decode(second).Metadata.Select(p => p.Key));
    }

    [Fact]
    public void Round_trip_keeps_every_field_and_re_encodes_byte_identically()
    {
        var manifest = Sample();
        var block = manifest.Encode();

        var decoded = DatasetManifest.Decode(block.Bytes, block.Cid);

        Assert.StartsWith("bafyrei", block.Cid.ToString(), StringComparison.Ordinal);
        Assert.Equal(manifest.Batches, decoded.Batches);
        Assert.Equal(20, decoded.Rows);
        Assert.Equal(4096 + 900 + 4096, decoded.Bytes);
        Assert.True(decoded.SchemaMessage.SequenceEqual(manifest.SchemaMessage));
        Assert.Equal(manifest.Schema, decoded.Schema);
        Assert.Equal(block.Bytes, decoded.Encode().Bytes);
        Assert.Equal(block.Cid, decoded.Encode().Cid);
    }

    [Fact]
    public void Encoding_has_the_documented_fields_in_canonical_order()
    {
        var node = DagCborDecoder.Decode(Sample().Encode().Bytes);

        Assert.Equal(["rows", "type", "bytes", "schema", "batches", "version"], node.Entries.Select(e => e.Key));
        Assert.True(node.TryGetValue("type", out var type));
        Assert.Equal("arrowcid/dataset", type.AsString());
        Assert.True(node.TryGetValue("version", out var version));
        Assert.Equal(1, version.AsInt64());
        Assert.True(node.TryGetValue("batches", out var batches));
        Assert.Equal(["cid", "rows", "bytes"], batches.Items[0].Entries.Select(e => e.Key));
        Assert.Equal(DagKind.Link, batches.Items[0].Entries[0].Value.Kind);
    }

    [Fact]
    public void Schema_message_is_the_canonical_one_whatever_the_metadata_order()
    {
        var reordered = new Schema(
            [
                new Field("id", ArrowType.Int64, nullable: false),
                new Field("name", ArrowType.Dictionary(ArrowType.Int32, ArrowType.Utf8), metadata: [new("a", "2"), new("z", "1")]),
            ],
            [new("b", "x"), new("owner", "tests")]);

        var a = DatasetManifest.Create(Schema, [Batch(1, 3)]).Encode();
        var b = DatasetManifest.Create(reordered, [Batch(1, 3)]).Encode();

        Assert.Equal(a.Bytes, b.Bytes);
    }

    [Fact]
    public void Empty_dataset_round_trips()
    {
        var block = DatasetManifest.Create(Schema, []).Encode();
        var decoded = DatasetManifest.Decode(block.Bytes, block.Cid);

        Assert.Empty(decoded.Batches);
        Assert.Equal(0, decoded.Rows);
        Assert.Equal(0, decoded.Bytes);
    }

    [Fact]
    public void Create_refuses_batches_that_cannot_be_canonical_blocks()
    {
        Assert.Throws<ArgumentException>(() => DatasetManifest.Create(Schema, [new DatasetBatch(Cid.ForDagCbor([1]), 1, 4096)]));
        Assert.Throws<ArgumentException>(() => DatasetManifest.Create(Schema, [Batch(1, -1)]));
        Assert.Throws<ArgumentException>(() => DatasetManifest.Create(Schema, [Batch(1, (long)int.MaxValue + 1)]));
        Assert.Throws<ArgumentException>(() => DatasetManifest.Create(Schema, [Batch(1, 1, bytes: 8)]));
    }

    [Fact]
    public void Decode_refuses_a_block_that_does_not_hash_to_the_expected_cid()
    {
        var block = Sample().Encode();
        var other = DatasetManifest.Create(Schema, [Batch(3, 1)]).Encode();

        Assert.Throws<ContentFormatException>(() => DatasetManifest.Decode(block.Bytes, other.Cid));
        Assert.Throws<ContentFormatException>(() => DatasetManifest.Decode(block.Bytes, Cid.ForRaw(block.Bytes)));
    }

    public static TheoryData<string, string> Malformations() => new()
    {
        { "missing type", "type" },
        { "wrong type", "type=other" },
        { "version 2", "version=2" },
        { "version as string", "version=\"1\"" },
        { "extra field", "+extra" },
        { "rows total off", "rows=21" },
        { "bytes total off", "bytes=1" },
        { "schema not bytes", "schema=\"x\"" },
        { "schema garbage", "schema=garbage" },
        { "batches not a list", "batches=1" },
        { "batch cid not a link", "batch.cid=\"x\"" },
        { "batch cid dag-cbor", "batch.cid=dagcbor" },
        { "batch rows negative", "batch.rows=-1" },
        { "batch extra field", "batch.+extra" },
        { "batch missing bytes", "batch.-bytes" },
    };

    [Theory]
    [MemberData(nameof(Malformations))]
    public void Decode_refuses_every_malformed_field(string name, string change)
    {
        byte[] bytes = DagCborEncoder.Encode(Mutate(Sample().ToNode(), change));

        var error = Assert.Throws<ContentFormatException>(() => DatasetManifest.Decode(bytes, Cid.ForDagCbor(bytes)));
        Assert.False(string.IsNullOrEmpty(error.Message), name);
    }

    [Fact]
    public void Decode_refuses_a_root_that_is_not_a_map_and_bytes_that_are_not_dag_cbor()
    {
        byte[] list = DagCborEncoder.Encode(DagNode.ListOf(DagNode.Of(1L)));
        byte[] junk = [0xff, 0x00, 0x12];

        Assert.Throws<ContentFormatException>(() => DatasetManifest.Decode(list));
        Assert.Throws<ContentFormatException>(() => DatasetManifest.Decode(junk));
    }

    // change: "key" removes, "+key" adds, "key=value" replaces; "batch." applies to the first batch entry.
    private static DagNode Mutate(DagNode root, string change)
    {
        if (change.StartsWith("batch.", StringComparison.Ordinal))
        {
            var entries = root.Entries.ToDictionary(e => e.Key, e => e.Value);
            var items = entries["batches"].Items.ToArray();
            items[0] = Mutate(items[0], change["batch.".Length..]);
            entries["batches"] = DagNode.ListOf(items);
            return DagNode.MapOf(entries);
        }

        var map = root.Entries.ToDictionary(e => e.Key, e => e.Value);
        if (change.StartsWith('+'))
        {
            map[change[1..]] = DagNode.Of(0L);
        }
        else if (change.StartsWith('-') || !change.Contains('=', StringComparison.Ordinal))
        {
            map.Remove(change.TrimStart('-'));
        }
        else
        {
            string key = change[..change.IndexOf('=', StringComparison.Ordinal)];
            string value = change[(key.Length + 1)..];
            map[key] = value switch
            {
                "garbage" => DagNode.OfBytes([1, 2, 3, 4, 5, 6, 7, 8, 9]),
                "dagcbor" => DagNode.Of(Cid.ForDagCbor([1])),
                _ when value.StartsWith('"') => DagNode.Of(value.Trim('"')),
                _ when long.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out long n) => DagNode.Of(n),
                _ => DagNode.Of(value),
            };
        }

        return DagNode.MapOf(map);
    }
}
