using System.Text.Json.Nodes;
using ArrowCid.Apache;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.Parquet.Reading;
using ArrowCid.Parquet.Writing;
using Parquet.Serialization;
using PN = Parquet;
using PS = ParquetSharp;

namespace ArrowCid.Parquet.Tests.Interop;

/// <summary>
/// The two .NET Parquet libraries as peers: ParquetSharp (Arrow C++'s Parquet through
/// ParquetSharp.Arrow) and Parquet.Net (managed, read and written through its class serializer, as
/// most .NET code uses it). Each reads our exports with every codec, page version and dictionary
/// setting, nested and nullable columns included, and we read the files each writes with its codecs
/// and encodings, with equal values. Values are compared row by row in <see cref="CanonicalValues"/>'
/// form, so batch and row-group boundaries may differ.
/// </summary>
[Trait("Category", "Peers")]
public sealed class ParquetDotNetPeersTests : IDisposable
{
    private static readonly (string Name, ParquetCompression Ours, PS.Compression Theirs, PN.CompressionMethod Managed)[] Codecs =
    [
        ("none", ParquetCompression.None, PS.Compression.Uncompressed, PN.CompressionMethod.None),
        ("snappy", ParquetCompression.Snappy, PS.Compression.Snappy, PN.CompressionMethod.Snappy),
        ("gzip", ParquetCompression.Gzip, PS.Compression.Gzip, PN.CompressionMethod.Gzip),
        ("zstd", ParquetCompression.Zstd, PS.Compression.Zstd, PN.CompressionMethod.Zstd),
        ("lz4_raw", ParquetCompression.Lz4Raw, PS.Compression.Lz4, PN.CompressionMethod.Lz4Raw),
        ("brotli", ParquetCompression.Brotli, PS.Compression.Brotli, PN.CompressionMethod.Brotli),
    ];

    private readonly string _dir = Directory.CreateTempSubdirectory("arrowcid-parquet-peers-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> CodecNames() => [.. Codecs.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(CodecNames))]
    public void ParquetSharp_reads_our_export_and_we_read_its_files(string codec)
    {
        var (_, ours, theirs, _) = Codecs.Single(c => c.Name == codec);
        List<RecordBatch> batches = InteropDataset.Batches();
        try
        {
            List<string> expected = Rows(batches);
            for (int variant = 0; variant < 2; variant++)
            {
                // Our export: both page versions, with and without dictionaries, small row groups and pages.
                string file = Path.Combine(_dir, $"ours-{codec}-{variant}.parquet");
                ParquetExport.WriteFile(file, InteropDataset.Schema, batches, new ParquetWriteOptions
                {
                    Compression = ours, RowGroupSize = 8, PageSize = 40, DataPageVersion = variant + 1, Dictionary = variant == 0,
                });
                AssertRowsEqual(expected, ReadWithParquetSharp(file));

                // Theirs: dictionaries, or (v2 pages) the delta and byte-stream-split encodings.
                string theirsFile = Path.Combine(_dir, $"parquetsharp-{codec}-{variant}.parquet");
                WriteWithParquetSharp(theirsFile, batches, theirs, variant == 1);
                AssertRowsEqual(expected, ReadWithUs(theirsFile));
                var encodings = EncodingsOf(theirsFile);
                if (variant == 1)
                {
                    Assert.Contains(Metadata.Encoding.DeltaBinaryPacked, encodings["i64"]);
                    Assert.Contains(Metadata.Encoding.DeltaByteArray, encodings["s"]);
                    Assert.Contains(Metadata.Encoding.ByteStreamSplit, encodings["f64"]);
                }
                else
                {
                    Assert.Contains(Metadata.Encoding.RleDictionary, encodings["s"]);
                }
            }
        }
        finally
        {
            batches.ForEach(b => b.Dispose());
        }
    }

    [Theory]
    [MemberData(nameof(CodecNames))]
    public async Task Parquet_Net_reads_our_export_and_we_read_its_files(string codec)
    {
        var (_, ours, _, managed) = Codecs.Single(c => c.Name == codec);
        List<ManagedRow> rows = [.. Enumerable.Range(0, 50).Select(ManagedRow.Make)];
        using RecordBatch batch = ManagedRow.ToBatch(rows);

        string ourFile = Path.Combine(_dir, $"ours-{codec}.parquet");
        ParquetExport.WriteFile(ourFile, batch.Schema, [batch], new ParquetWriteOptions { Compression = ours, RowGroupSize = 16, PageSize = 64 });
        await using (var stream = File.OpenRead(ourFile))
        {
            var read = await ParquetSerializer.DeserializeAsync<ManagedRow>(stream);
            Assert.Equal(rows, read.Data);
        }

        string theirFile = Path.Combine(_dir, $"parquet-net-{codec}.parquet");
        await using (var stream = File.Create(theirFile))
        {
            await ParquetSerializer.SerializeAsync(rows, stream, new PN.ParquetOptions { CompressionMethod = managed, RowGroupSize = 16 });
        }

        AssertRowsEqual(Rows([batch]), ReadWithUs(theirFile));
    }

    /// <summary>The encodings each top-level column's chunks use in a file, by column name.</summary>
    private static Dictionary<string, HashSet<Metadata.Encoding>> EncodingsOf(string file)
    {
        using var reader = ParquetFileReader.Open(File.OpenRead(file));
        var encodings = new Dictionary<string, HashSet<Metadata.Encoding>>();
        foreach (var group in reader.Metadata.RowGroups)
        {
            foreach (var chunk in group.Columns)
            {
                string column = chunk.MetaData!.PathInSchema[0];
                encodings.TryAdd(column, []);
                encodings[column].UnionWith(chunk.MetaData.Encodings);
            }
        }

        return encodings;
    }

    private static void AssertRowsEqual(List<string> expected, List<string> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int row = 0; row < expected.Count; row++)
        {
            Assert.True(expected[row] == actual[row], $"row {row}: expected {expected[row]}, read {actual[row]}");
        }
    }

    /// <summary>Each row as the JSON text of its canonical values.</summary>
    private static List<string> Rows(IEnumerable<RecordBatch> batches) =>
        [.. batches.SelectMany(b => Enumerable.Range(0, b.Length).Select(r => new JsonArray([.. b.Columns.Select(c => CanonicalValues.Value(c, r))]).ToJsonString()))];

    private static List<string> ReadWithUs(string file)
    {
        using var reader = ParquetReader.Open(file);
        List<RecordBatch> read = [.. reader.ReadAll()];
        try
        {
            return Rows(read);
        }
        finally
        {
            read.ForEach(b => b.Dispose());
        }
    }

    private static List<string> ReadWithParquetSharp(string file)
    {
        using var reader = new PS.Arrow.FileReader(file);
        using var stream = reader.GetRecordBatchReader();
        var rows = new List<string>();
        while (stream.ReadNextRecordBatchAsync().AsTask().GetAwaiter().GetResult() is { } theirs)
        {
            using (theirs)
            using (RecordBatch batch = ApacheArrow.ToArrowCid(theirs))
            {
                rows.AddRange(Rows([batch]));
            }
        }

        return rows;
    }

    private static void WriteWithParquetSharp(string file, List<RecordBatch> batches, PS.Compression codec, bool deltaEncodings)
    {
        using var builder = new PS.WriterPropertiesBuilder().Compression(codec).MaxRowGroupLength(10).DataPagesize(64);
        if (deltaEncodings)
        {
            builder.DataPageVersion(PS.ParquetDataPageVersion.V2).DisableDictionary()
                .Encoding("i32", PS.Encoding.DeltaBinaryPacked).Encoding("i64", PS.Encoding.DeltaBinaryPacked)
                .Encoding("s", PS.Encoding.DeltaByteArray).Encoding("f64", PS.Encoding.ByteStreamSplit)
                .Encoding("ts", PS.Encoding.DeltaBinaryPacked);
        }

        using var properties = builder.Build();
        using var writer = new PS.Arrow.FileWriter(file, ApacheArrow.ToApache(InteropDataset.Schema), properties);
        foreach (RecordBatch batch in batches)
        {
            using var theirs = ApacheArrow.ToApache(batch);
            writer.WriteRecordBatch(theirs);
        }

        writer.Close();
    }

    /// <summary>A row as a .NET program hands it to Parquet.Net's serializer: nullable scalars, a timestamp, a list and a nested class.</summary>
    public sealed record ManagedRow
    {
        public long Id { get; init; }

        public int? Count { get; init; }

        public double? Score { get; init; }

        public string? Label { get; init; }

        public bool? Flag { get; init; }

        public DateTime? At { get; init; }

        public List<int>? Items { get; init; }

        public ManagedPoint? Point { get; init; }

        public static ManagedRow Make(int r) => new()
        {
            Id = (r - 20) * 1_234_567_890_123L,
            Count = r % 4 == 1 ? null : r * 1000 - 7,
            Score = r % 5 == 2 ? null : r * 0.75,
            Label = r % 3 == 0 ? null : $"label {r} é✓",
            Flag = r % 7 == 3 ? null : r % 2 == 0,
            At = r % 6 == 4 ? null : new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(r * 3_601.5),
            Items = r % 8 == 5 ? null : [.. Enumerable.Range(r, r % 4)],
            Point = r % 9 == 1 ? null : new ManagedPoint { X = r, Y = $"y{r}" },
        };

        public bool Equals(ManagedRow? other) =>
            other is not null && Id == other.Id && Count == other.Count && Score == other.Score && Label == other.Label && Flag == other.Flag
            && At == other.At && (Items is null ? other.Items is null : other.Items is not null && Items.SequenceEqual(other.Items)) && Equals(Point, other.Point);

        public override int GetHashCode() => Id.GetHashCode();

        /// <summary>The same rows as our batch, in the Arrow types Parquet.Net writes and reads them as.</summary>
        public static RecordBatch ToBatch(IReadOnlyList<ManagedRow> rows)
        {
            var schema = new Arrow.Types.Schema(
            [
                new Field("Id", ArrowType.Int64, nullable: false),
                new Field("Count", ArrowType.Int32),
                new Field("Score", ArrowType.Float64),
                new Field("Label", ArrowType.Utf8),
                new Field("Flag", ArrowType.Boolean),
                new Field("At", ArrowType.Timestamp(TimeUnit.Microsecond, "UTC")),
                new Field("Items", ArrowType.List(new Field("element", ArrowType.Int32, nullable: false))),
                new Field("Point", ArrowType.Struct(new Field("X", ArrowType.Int32, nullable: false), new Field("Y", ArrowType.Utf8))),
            ]);
            var builder = new RecordBatchBuilder(schema);
            foreach (ManagedRow row in rows)
            {
                builder.AppendRow(
                    row.Id, row.Count, row.Score, row.Label, row.Flag,
                    row.At is { } at ? (at - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond : null,
                    row.Items?.Cast<object?>().ToArray(),
                    row.Point is { } point ? new object?[] { point.X, point.Y } : null);
            }

            return builder.Build();
        }
    }

    /// <summary>The nested class of <see cref="ManagedRow"/>.</summary>
    public sealed record ManagedPoint
    {
        public int X { get; init; }

        public string? Y { get; init; }
    }
}
