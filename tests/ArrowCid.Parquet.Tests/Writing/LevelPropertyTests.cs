using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.Parquet.Writing;
using FsCheck;
using FsCheck.Fluent;

namespace ArrowCid.Parquet.Tests.Writing;

/// <summary>
/// Dremel levels as a property: random nested data (nullable and non-nullable lists, structs and
/// maps, empty lists next to null lists, nulls at every depth) written and read back is equal.
/// </summary>
public class LevelPropertyTests
{
    private static readonly Arrow.Types.Schema Nested = new(
    [
        new Field("a", ArrowType.List(new Field("item", ArrowType.Struct(
            new Field("x", ArrowType.Int32),
            new Field("y", ArrowType.List(new Field("item", ArrowType.Utf8, nullable: false))))))),
        new Field("b", ArrowType.Struct(new Field("c", ArrowType.List(new Field("item", ArrowType.List(new Field("item", ArrowType.Int64)))))), nullable: false),
        new Field("m", ArrowType.Map(ArrowType.Utf8, ArrowType.List(new Field("item", ArrowType.Int32)))),
        new Field("r", ArrowType.LargeList(new Field("item", ArrowType.Float64, nullable: false)), nullable: false),
    ]);

    [Fact]
    public void Random_nested_data_round_trips_through_levels()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(150), Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), Arb.From(Gen.Choose(0, 40)), (int seed, int rows) =>
        {
            var random = new Random(seed);
            var builder = new RecordBatchBuilder(Nested);
            for (int r = 0; r < rows; r++)
            {
                builder.AppendRow(
                    Maybe(random, () => List(random, () => Maybe(random, () => new object?[] { Maybe(random, () => (object)random.Next()), Maybe(random, () => List(random, () => $"s{random.Next(5)}")) }))),
                    new object?[] { Maybe(random, () => List(random, () => Maybe(random, () => List(random, () => Maybe(random, () => (object)(long)random.Next(-9, 9)))))) },
                    Maybe(random, () => Enumerable.Range(0, random.Next(3)).Select(k => new KeyValuePair<string, object?>($"k{k}", Maybe(random, () => List(random, () => Maybe(random, () => (object)k))))).ToArray()),
                    List(random, () => random.NextDouble()));
            }
            RecordBatch batch = builder.Build();
            var options = new ParquetWriteOptions { RowGroupSize = 1 + seed % 13, PageSize = 1 + seed % 97, DataPageVersion = 1 + seed % 2, Dictionary = seed % 3 != 0 };
            GoldenRoundTripTests.AssertRoundTrip(Nested, [batch], options, $"seed {seed}, {rows} rows");
        }));
    }

    private static object? Maybe(Random random, Func<object?> value) => random.Next(4) == 0 ? null : value();

    private static object?[] List(Random random, Func<object?> item) => [.. Enumerable.Range(0, random.Next(4)).Select(_ => item())];
}
