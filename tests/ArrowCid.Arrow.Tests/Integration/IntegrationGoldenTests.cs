using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Integration;
using ArrowCid.Arrow.Tests.Ipc;

namespace ArrowCid.Arrow.Tests.Integration;

public class IntegrationGoldenTests
{
    public static TheoryData<string> Cases => GoldenFiles.Theory();

    [Fact]
    public void Every_golden_folder_contributes_cases()
    {
        var cases = GoldenFiles.All().ToList();
        Assert.Contains(cases, c => c.StartsWith("1.0.0-littleendian/", StringComparison.Ordinal));
        Assert.Contains(cases, c => c.StartsWith("2.0.0-compression/", StringComparison.Ordinal));
        Assert.Contains(cases, c => c.StartsWith("4.0.0-shareddict/", StringComparison.Ordinal));
        Assert.True(cases.Count >= 26, $"only {cases.Count} cases found under {GoldenFiles.Root}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Json_round_trips_through_the_model(string goldenCase)
    {
        var original = IntegrationJson.Read(GoldenFiles.JsonPath(goldenCase));
        var again = IntegrationJson.Parse(IntegrationJson.ToJson(original));
        AssertSameContent(original, again);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sliced_batches_are_written_as_their_slice(string goldenCase)
    {
        var original = IntegrationJson.Read(GoldenFiles.JsonPath(goldenCase));
        var sliced = new IntegrationFile(original.Schema,
            original.Batches.Select(b => b.Length >= 2 ? b.Slice(1, b.Length - 2) : b));
        var again = IntegrationJson.Parse(IntegrationJson.ToJson(sliced));
        AssertSameContent(sliced, again);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Writing_is_deterministic(string goldenCase)
    {
        var original = IntegrationJson.Read(GoldenFiles.JsonPath(goldenCase));
        string first = IntegrationJson.ToJson(original);
        Assert.Equal(first, IntegrationJson.ToJson(IntegrationJson.Parse(first)));
    }

    private static void AssertSameContent(IntegrationFile expected, IntegrationFile actual)
    {
        Assert.Null(ArrayEquality.SchemaDifference(expected.Schema, actual.Schema));
        Assert.Equal(expected.Batches.Count, actual.Batches.Count);
        for (int b = 0; b < expected.Batches.Count; b++)
        {
            Assert.True(ArrayEquality.Equals(expected.Batches[b], actual.Batches[b], out string? difference), $"batch {b}: {difference}");
        }
    }
}
