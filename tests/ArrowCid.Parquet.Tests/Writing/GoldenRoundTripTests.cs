using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Parquet.Reading;
using ArrowCid.Parquet.Writing;

namespace ArrowCid.Parquet.Tests.Writing;

/// <summary>
/// Every golden Arrow case (minus the fields Parquet cannot hold) written with every codec, both
/// data page versions and dictionary on and off, read back by our reader: the concatenated batches
/// equal the originals exactly, types included (through ARROW:schema).
/// </summary>
public class GoldenRoundTripTests
{
    public static TheoryData<string> Cases => GoldenCases.All();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Golden_case_round_trips_with_every_codec_page_version_and_dictionary_setting(string goldenCase)
    {
        if (GoldenCases.Load(goldenCase) is not var (schema, batches))
        {
            // Every field of this case is unmappable (only unions / intervals): writing must refuse clearly.
            var original = Arrow.Integration.IntegrationJson.Read(Path.Combine(GoldenCases.Directory, goldenCase));
            Assert.Throws<NotSupportedException>(() => new ParquetWriter(new MemoryStream(), original.Schema));
            return;
        }
        foreach (ParquetCompression codec in Enum.GetValues<ParquetCompression>())
        {
            foreach (int version in new[] { 1, 2 })
            {
                foreach (bool dictionary in new[] { true, false })
                {
                    var options = new ParquetWriteOptions
                    {
                        Compression = codec, DataPageVersion = version, Dictionary = dictionary,
                        RowGroupSize = 9, PageSize = 64,
                    };
                    AssertRoundTrip(schema, batches, options, $"{codec} v{version} dictionary={dictionary}");
                }
            }
        }
    }

    internal static void AssertRoundTrip(Arrow.Types.Schema schema, IReadOnlyList<RecordBatch> batches, ParquetWriteOptions options, string label)
    {
        byte[] file = Write(schema, batches, options);
        using var reader = ParquetReader.Open(file);
        Assert.Equal(schema, reader.Schema);
        List<RecordBatch> read = [.. reader.ReadAll()];
        int totalRows = batches.Sum(b => b.Length);
        Assert.Equal(totalRows, read.Sum(b => b.Length));
        Assert.All(read, b => Assert.InRange(b.Length, 1, options.RowGroupSize));
        if (batches.Count == 1)
        {
            // One input batch: each row group must equal its slice (no concatenation needed).
            int offset = 0;
            foreach (RecordBatch batch in read)
            {
                for (int c = 0; c < schema.Fields.Length; c++)
                {
                    ArrayData expected = WholeDays(batches[0].Column(c).Slice(offset, batch.Length));
                    Assert.True(ArrayEquality.Equals(expected, batch.Column(c), out string? difference), $"{label}: rows {offset}.., column '{schema.Fields[c].Name}': {difference}");
                }
                offset += batch.Length;
            }
            return;
        }
        for (int c = 0; c < schema.Fields.Length; c++)
        {
            ArrayData expected = WholeDays(Concatenate(batches.Select(b => b.Column(c)).ToList(), schema.Fields[c].Type));
            ArrayData actual = Concatenate(read.Select(b => b.Column(c)).ToList(), schema.Fields[c].Type);
            Assert.True(ArrayEquality.Equals(expected, actual, out string? difference), $"{label}: column '{schema.Fields[c].Name}': {difference}");
        }
    }

    internal static byte[] Write(Arrow.Types.Schema schema, IEnumerable<RecordBatch> batches, ParquetWriteOptions options)
    {
        using var output = new MemoryStream();
        using (var writer = new ParquetWriter(output, schema, options, leaveOpen: true))
        {
            foreach (RecordBatch batch in batches)
            {
                writer.Write(batch);
            }
            writer.Close();
        }
        return output.ToArray();
    }

    /// <summary>
    /// date64 is stored as Parquet DATE (days), as Arrow C++ does; the golden data holds date64
    /// values that are not whole days (which the Arrow spec forbids), and those keep only their day.
    /// </summary>
    private static ArrayData WholeDays(ArrayData array)
    {
        if (array.Type.Id != ArrowTypeId.Date64)
        {
            return array;
        }
        var builder = Arrow.Builders.ArrayBuilder.Create(array.Type);
        for (int i = 0; i < array.Length; i++)
        {
            builder.Append(array.IsNull(i) ? null : (object)(Math.Floor(array.GetValues<long>()[i] / 86_400_000d) * 86_400_000d is double ms ? (long)ms : 0L));
        }
        return builder.Build();
    }

    private static ArrayData Concatenate(List<ArrayData> arrays, ArrowType type) =>
        arrays.Count == 0 ? Arrow.Builders.ArrayBuilder.Create(type).Build() : ArrayConcatenation.Concatenate(arrays);
}
