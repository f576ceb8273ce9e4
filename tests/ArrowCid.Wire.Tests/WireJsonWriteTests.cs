using System.Text;
using System.Text.Json;
using ArrowCid.Wire;

namespace ArrowCid.Wire.Tests;

/// <summary>Writing: one naming policy, one time format, the null rule, and documents each whole though the writer behind them is reused.</summary>
public sealed class WireJsonWriteTests
{
    private static readonly DateTimeOffset Time = new(2026, 11, 25, 21, 1, 53, TimeSpan.Zero);

    [Fact]
    public void Members_are_snake_case_in_declaration_order_and_absent_ones_are_left_out()
    {
        var body = new PutResultBody([new ChunkEntry("bafkrei-a", 3, 120)], "bafyrei-t", 3, 120, 1, null, null);

        string json = Encoding.UTF8.GetString(WireJson.ToUtf8(body, WireJsonContext.Default.PutResultBody));

        Assert.Equal("""{"chunks":[{"cid":"bafkrei-a","rows":3,"bytes":120}],"dataset":"bafyrei-t","rows":3,"bytes":120,"batches":1}""", json);
    }

    [Fact]
    public void A_member_the_model_keeps_is_written_as_null()
    {
        string json = Encoding.UTF8.GetString(WireJson.ToUtf8(new TagBody("bafkrei-a", "site", null), WireJsonContext.Default.TagBody));

        Assert.Equal("""{"cid":"bafkrei-a","key":"site","value":null}""", json);
    }

    [Fact]
    public void Times_are_written_in_round_trip_form_with_their_offset()
    {
        var entry = new NameVersionEntry("plant-3/temps", 2, "bafyrei-t", Time.AddTicks(1200), null);

        string json = Encoding.UTF8.GetString(WireJson.ToUtf8(entry, WireJsonContext.Default.NameVersionEntry));

        // Only what JSON needs is escaped: the offset reads "+00:00", not "\u002B00:00".
        Assert.Equal("""{"name":"plant-3/temps","version":2,"cid":"bafyrei-t","created":"2026-11-25T21:01:53.0001200+00:00"}""", json);
        Assert.Equal(Time.AddTicks(1200), WireJson.Read(Encoding.UTF8.GetBytes(json), WireJsonContext.Default.NameVersionEntry, "entry").Created);
    }

    [Fact]
    public void Indented_text_escapes_only_what_json_requires()
    {
        var entry = new NameVersionEntry("plant-3/temps <é>", 1, "bafyrei-t", Time, 7);

        string text = WireJson.ToIndentedText(entry, WireJsonContext.Default.NameVersionEntry);

        Assert.Contains("\"created\": \"2026-11-25T21:01:53.0000000+00:00\"", text, StringComparison.Ordinal);
        Assert.Contains("\"name\": \"plant-3/temps <é>\"", text, StringComparison.Ordinal);
        Assert.Contains("\n  \"rows\": 7", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Routing_records_keep_the_names_their_spec_gives()
    {
        var body = new ProvidersBody([new PeerRecord("peer", "12D3Koo", ["/ip4/127.0.0.1/tcp/1"], ["transport-ipfs-gateway-http"])]);

        string json = Encoding.UTF8.GetString(WireJson.ToUtf8(body, WireJsonContext.Default.ProvidersBody));

        Assert.Equal("""{"Providers":[{"Schema":"peer","ID":"12D3Koo","Addrs":["/ip4/127.0.0.1/tcp/1"],"Protocols":["transport-ipfs-gateway-http"]}]}""", json);
    }

    [Fact]
    public void Documents_written_one_after_another_are_each_whole_and_unshared()
    {
        byte[] first = WireJson.ToUtf8(new PinResult(new string('a', 300), true), WireJsonContext.Default.PinResult);
        byte[] second = WireJson.ToUtf8(new PinResult("b", false), WireJsonContext.Default.PinResult);

        Assert.Equal($"{{\"cid\":\"{new string('a', 300)}\",\"pinned\":true}}", Encoding.UTF8.GetString(first));
        Assert.Equal("{\"cid\":\"b\",\"pinned\":false}", Encoding.UTF8.GetString(second));
    }

    [Fact]
    public void A_write_that_fails_leaves_the_next_document_clean()
    {
        // An undefined JsonElement cannot be written: the serializer throws halfway through the object.
        var broken = new FlightInfoSummary("bafkrei-a", null, 1, 2, 3, [], default(JsonElement));
        Assert.Throws<InvalidOperationException>(() => WireJson.ToUtf8(broken, WireJsonContext.Default.FlightInfoSummary));

        Assert.Equal("{\"cid\":\"next\",\"deleted\":true}", Encoding.UTF8.GetString(WireJson.ToUtf8(new DeleteResult("next", true), WireJsonContext.Default.DeleteResult)));
    }

    [Fact]
    public void A_document_larger_than_the_kept_buffer_is_written_whole()
    {
        string large = new('x', 100_000);
        byte[] document = WireJson.ToUtf8(new PinResult(large, true), WireJsonContext.Default.PinResult);
        Assert.Equal($"{{\"cid\":\"{large}\",\"pinned\":true}}", Encoding.UTF8.GetString(document));
        Assert.Equal("{\"cid\":\"s\",\"pinned\":true}", Encoding.UTF8.GetString(WireJson.ToUtf8(new PinResult("s", true), WireJsonContext.Default.PinResult)));
    }
}
