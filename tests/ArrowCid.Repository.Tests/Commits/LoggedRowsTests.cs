using ArrowCid.Registry;
using static ArrowCid.Registry.Tests.Support.TestBlocks;

namespace ArrowCid.Repository.Tests.Commits;

/// <summary>The registry rows of a group as one write-ahead log entry.</summary>
public sealed class LoggedRowsTests
{
    [Fact]
    public void Every_field_an_upsert_stores_survives_a_round_trip()
    {
        var created = new DateTimeOffset(2026, 11, 23, 1, 2, 3, TimeSpan.Zero).AddTicks(4560);
        BlockRecord[] records =
        [
            BatchRecord(FakeCid(1)) with
            {
                Created = created,
                Pinned = true,
                Provenance = "sensor é",
                Tags = new Dictionary<string, string> { ["a"] = "1", ["b"] = string.Empty },
                Locations = ["grpc://x:1", "/tmp/y"],
            },
            DatasetRecord(FakeDatasetCid(2), FakeCid(1), FakeCid(3)) with { Schema = null, Producer = null, Created = created },
        ];

        var decoded = LoggedRows.Decode(LoggedRows.Encode(records));

        Assert.Equal(2, decoded.Count);
        for (int i = 0; i < records.Length; i++)
        {
            var (expected, actual) = (records[i], decoded[i]);
            Assert.Equal(expected.Cid, actual.Cid);
            Assert.Equal(expected.Kind, actual.Kind);
            Assert.Equal(expected.Schema, actual.Schema);
            Assert.Equal(expected.Rows, actual.Rows);
            Assert.Equal(expected.Bytes, actual.Bytes);
            Assert.Equal(RegistryTime.Truncate(expected.Created), actual.Created);
            Assert.Equal(expected.Producer, actual.Producer);
            Assert.Equal(expected.Provenance, actual.Provenance);
            Assert.Equal(expected.Pinned, actual.Pinned);
            Assert.Equal(expected.Tags.OrderBy(p => p.Key), actual.Tags.OrderBy(p => p.Key));
            Assert.Equal(expected.Locations, actual.Locations);
            Assert.Equal(expected.Links, actual.Links);
        }
    }

    [Fact]
    public void A_schema_given_before_is_written_as_a_reference_and_resolved_on_decode()
    {
        string schema = new('s', 400);
        var full = LoggedRows.Encode([BatchRecord(FakeCid(1)) with { Schema = schema }]);
        var given = new Dictionary<string, LoggedSchema>();
        var referring = LoggedRows.Encode([BatchRecord(FakeCid(2)) with { Schema = schema }, BatchRecord(FakeCid(3)) with { Schema = "other" }, BatchRecord(FakeCid(4)) with { Schema = "other" }], (text, index) =>
        {
            if (text == schema)
            {
                return new LoggedSchema(64, 0);
            }

            if (given.TryGetValue(text, out var earlier))
            {
                return earlier;
            }

            given[text] = new LoggedSchema(640, index);
            return null;
        });

        Assert.True(referring.Length < full.Length);
        var decoded = LoggedRows.Decode(referring, 640, reference => reference == new LoggedSchema(64, 0) ? LoggedRows.Decode(full)[0].Schema : null);
        Assert.Equal([schema, "other", "other"], decoded.Select(r => r.Schema));
        Assert.Throws<InvalidDataException>(() => LoggedRows.Decode(referring, 640, _ => null));
    }

    [Fact]
    public void A_damaged_entry_is_refused_with_a_format_error()
    {
        byte[] payload = LoggedRows.Encode([BatchRecord(FakeCid(1))]);
        Assert.Throws<InvalidDataException>(() => LoggedRows.Decode(payload.AsSpan(0, payload.Length - 3)));
        Assert.Throws<InvalidDataException>(() => LoggedRows.Decode([.. payload, 0]));
        byte[] newer = [.. payload];
        newer[0] = 2;
        Assert.Throws<InvalidDataException>(() => LoggedRows.Decode(newer));
        byte[] hugeCount = [payload[0], 0xFF, 0xFF, 0xFF, 0x7F, .. payload.AsSpan(2)];
        Assert.Throws<InvalidDataException>(() => LoggedRows.Decode(hugeCount));
        Assert.Empty(LoggedRows.Decode(LoggedRows.Encode([])));
    }
}
