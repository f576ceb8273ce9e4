using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;

using ArrowCid.Registry;
using ArrowCid.Repository;

namespace ArrowCid.Repository.Tests.Content;

/// <summary>Small batches with nulls, strings and a dictionary column whose dictionary differs per batch.</summary>
public static class SampleBatches
{
    public static Schema Schema { get; } = new(
    [
        new Field("id", ArrowType.Int64, nullable: false),
        new Field("name", ArrowType.Utf8),
        new Field("color", ArrowType.Dictionary(ArrowType.Int32, ArrowType.Utf8)),
    ]);

    private static readonly string[] Colors = ["red", "green", "blue", "cyan", "magenta"];

    public static RecordBatch Build(int seed, int rows)
    {
        var random = new Random(seed);
        var builder = new RecordBatchBuilder(Schema);
        for (int i = 0; i < rows; i++)
        {
            builder.AppendRow(
                (long)(seed * 1000 + i),
                random.Next(4) == 0 ? null : $"name-{seed}-{random.Next(100)}",
                random.Next(5) == 0 ? null : Colors[(seed + random.Next(2)) % Colors.Length]);
        }

        return builder.Build();
    }

    public static IReadOnlyList<RecordBatch> Several(int count = 3) =>
        Enumerable.Range(1, count).Select(i => Build(i, 5 + (i * 7))).ToArray();
}
