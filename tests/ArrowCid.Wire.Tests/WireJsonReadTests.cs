using System.Text;
using ArrowCid.Wire;

namespace ArrowCid.Wire.Tests;

/// <summary>Reading a peer's document: unknown members ignored, and every misfit a WireFormatException naming the member and where.</summary>
public sealed class WireJsonReadTests
{
    private static PutCommand ReadPut(string json) =>
        WireJson.Read(Encoding.UTF8.GetBytes(json), WireJsonContext.Default.PutCommand, "DoPut descriptor command");

    private static WireFormatException Misfit<T>(string json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class =>
        Assert.Throws<WireFormatException>(() => WireJson.Read(Encoding.UTF8.GetBytes(json), type, "the command"));

    [Fact]
    public void A_document_reads_into_its_model_ignoring_members_it_does_not_know()
    {
        var command = ReadPut("""{"tags":{"site":"north"},"name":"plant-3/temps","pin":false,"future":[1,2]}""");

        Assert.Equal("north", command.Tags!["site"]);
        Assert.Equal("plant-3/temps", command.Name);
        Assert.False(command.Pin);
        Assert.Null(command.Producer);
    }

    [Theory]
    [InlineData("""{"name":5}""", "name", "a string")]
    [InlineData("""{"pin":"yes"}""", "pin", "true or false")]
    [InlineData("""{"tags":["a"]}""", "tags", "an object of strings")]
    [InlineData("""{"tags":{"site":1}}""", "tags.site", "a string")]
    public void A_member_of_the_wrong_type_is_named_with_what_it_must_be(string json, string member, string expected)
    {
        var e = Misfit(json, WireJsonContext.Default.PutCommand);

        Assert.Equal($"the command: '{member}' must be {expected}", e.Message);
        Assert.Equal(member, e.Path);
        Assert.NotNull(e.Offset);
    }

    [Theory]
    [InlineData("""{"limit":1.5}""", "limit", "an integer")]
    [InlineData("""{"from":"yesterday"}""", "from", "an ISO 8601 time")]
    public void Numbers_and_times_are_checked(string json, string member, string expected)
    {
        Assert.Equal($"the command: '{member}' must be {expected}", Misfit(json, WireJsonContext.Default.TableQuery).Message);
    }

    [Fact]
    public void A_nested_member_is_named_by_its_path()
    {
        var e = Misfit("""{"subscribe":{"after":"7"}}""", WireJsonContext.Default.SubscribeCommand);

        Assert.Equal("the command: 'subscribe.after' must be an integer", e.Message);
        Assert.Equal("subscribe.after", e.Path);
    }

    [Theory]
    [InlineData("[1]", "the command must be a JSON object")]
    [InlineData("null", "the command must be a JSON object")]
    [InlineData("", "the command is empty; it must be a JSON object")]
    public void A_document_that_is_not_an_object_says_so(string json, string message)
    {
        Assert.Equal(message, Misfit(json, WireJsonContext.Default.PutCommand).Message);
    }

    [Fact]
    public void Broken_json_is_a_syntax_error_with_its_offset()
    {
        var e = Misfit("""{"name":"a",}""", WireJsonContext.Default.PutCommand);

        Assert.StartsWith("the command is not valid JSON: ", e.Message, StringComparison.Ordinal);
        Assert.Equal(12, e.Offset);
    }

    [Fact]
    public void A_document_nested_deeper_than_the_limit_is_refused()
    {
        string deep = "{\"future\":" + string.Concat(Enumerable.Repeat("[", 40)) + string.Concat(Enumerable.Repeat("]", 40)) + "}";

        Assert.StartsWith("the command is not valid JSON: ", Misfit(deep, WireJsonContext.Default.PutCommand).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void What_one_side_writes_the_other_reads_back()
    {
        var sent = new TableQuery(Tags: new Dictionary<string, string> { ["site"] = "north" }, Kind: "dataset", From: new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)), Limit: 10);

        var read = WireJson.Read(WireJson.ToUtf8(sent, WireJsonContext.Default.TableQuery), WireJsonContext.Default.TableQuery, "query");

        Assert.Equal(sent.From, read.From);
        Assert.Equal(sent.Limit, read.Limit);
        Assert.Equal("north", read.Tags!["site"]);
        Assert.Equal("dataset", read.Kind);
    }
}
