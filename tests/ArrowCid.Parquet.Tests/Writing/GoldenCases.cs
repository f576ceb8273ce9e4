using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Integration;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Parquet.Tests.Writing;

/// <summary>
/// The Arrow integration golden cases (testdata/arrow-ipc-golden) as Parquet round-trip
/// inputs: every field whose type Parquet can hold, the rest dropped with a stated reason.
/// </summary>
internal static class GoldenCases
{
    public static string Directory => Path.Combine(Path.GetDirectoryName(TestFiles.Directory)!, "arrow-ipc-golden");

    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (string path in System.IO.Directory.GetFiles(Directory, "*.json.gz", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(Directory, path));
        }
        return data;
    }

    /// <summary>Why Parquet cannot hold <paramref name="type"/>, or null when it can.</summary>
    public static string? Unmappable(ArrowType type)
    {
        ArrowType t = type.Id == ArrowTypeId.Extension && type.ExtensionName != "arrow.uuid" ? type.StorageType! : type;
        if (t.Id == ArrowTypeId.Dictionary)
        {
            return Unmappable(t.ValueType!);
        }
        return t.Id switch
        {
            ArrowTypeId.IntervalYearMonth or ArrowTypeId.IntervalDayTime or ArrowTypeId.IntervalMonthDayNano =>
                "Parquet's INTERVAL (months, days, millis) cannot hold Arrow intervals exactly",
            ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion => "Parquet has no union type",
            ArrowTypeId.RunEndEncoded => "run-end encoding is not written",
            ArrowTypeId.Struct when t.Children.Length == 0 => "a Parquet group needs children",
            ArrowTypeId.FixedSizeBinary when t.ByteWidth == 0 => "FIXED_LEN_BYTE_ARRAY needs a length ≥ 1",
            _ => t.Children.Select(c => Unmappable(c.Type)).FirstOrDefault(r => r is not null),
        };
    }

    /// <summary>The case's schema and batches without the unmappable fields (null when none is left).</summary>
    public static (Arrow.Types.Schema Schema, List<RecordBatch> Batches)? Load(string relativePath)
    {
        IntegrationFile file = IntegrationJson.Read(Path.Combine(Directory, relativePath));
        int[] keep = [.. Enumerable.Range(0, file.Schema.Fields.Length).Where(i => Unmappable(file.Schema.Fields[i].Type) is null)];
        if (keep.Length == 0)
        {
            return null;
        }
        var schema = new Arrow.Types.Schema(keep.Select(i => file.Schema.Fields[i]), file.Schema.Metadata);
        return (schema, [.. file.Batches.Select(b => new RecordBatch(schema, b.Length, keep.Select(i => b.Column(i))))]);
    }
}
