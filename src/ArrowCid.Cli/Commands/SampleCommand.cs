using System.CommandLine;
using System.Globalization;
using System.Text;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Integration;
using ArrowCid.Arrow.IO;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Ingest.Csv;
using ArrowCid.Parquet.Writing;

namespace ArrowCid.Cli.Commands;

/// <summary>
/// <c>arrowcid sample DIR</c>: the files the docs use, made here so every example runs on a fresh
/// machine: one table of sensor readings as CSV, an Arrow IPC stream, an Arrow IPC file and
/// Parquet (the same rows, so they name the same table); two versions of a table as CSV; and a
/// small Arrow IPC file with its Arrow integration JSON (a golden pair, as the integration suite's).
/// Every file is the same on every run.
/// </summary>
internal static class SampleCommand
{
    /// <summary>The rows of <c>readings.*</c> by default.</summary>
    public const int DefaultRows = 50_000;

    private const int RevisedFrom = 1_000;

    public static Command Create(CliConsole console)
    {
        var folder = new Argument<string>("dir") { Description = "Folder to write the sample files into (created if missing; files there of the same names are replaced)" };
        var rows = new Option<int>("--rows") { Description = "Rows of the readings table", DefaultValueFactory = _ => DefaultRows, HelpName = "N" };
        rows.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && (!int.TryParse(result.Tokens[0].Value, CultureInfo.InvariantCulture, out int n) || n < 1 || n > 10_000_000))
            {
                result.AddError("--rows must be 1 to 10000000");
            }
        });
        var command = new Command("sample", "Write sample data the docs use into DIR: readings as CSV, Arrow IPC stream and file, and Parquet; two versions of a table (v1.csv, v2.csv); a golden Arrow file with its integration JSON") { folder, rows };
        command.SetAction(parse =>
        {
            string dir = Path.GetFullPath(parse.GetRequiredValue(folder));
            CliErrors.About(dir, () => Directory.CreateDirectory(dir));
            int count = parse.GetValue(rows);
            using var readings = Readings(0, count, revised: false);
            Write(console, dir, "readings.csv", "sensor readings as CSV", stream => WriteCsv(stream, readings));
            Write(console, dir, "readings.arrows", "the same rows as an Arrow IPC stream", stream => WriteStream(stream, readings));
            Write(console, dir, "readings.arrow", "the same rows as an Arrow IPC file", stream => WriteFile(stream, readings));
            Write(console, dir, "readings.parquet", "the same rows as Parquet (zstd)", stream => WriteParquet(stream, readings));

            // Version 2 revises 20 readings near the start of version 1 and adds rows at the end:
            // the chunks between are the same blocks in both (arrowcid diff v@1 v@2 shows them).
            int first = Math.Max(1, count * 4 / 5);
            using (var v1 = Readings(0, first, revised: false))
            {
                Write(console, dir, "v1.csv", "version 1 of a table", stream => WriteCsv(stream, v1));
            }

            using (var v2 = Readings(0, count, revised: true))
            {
                Write(console, dir, "v2.csv", "version 2: 20 readings revised, rows added at the end", stream => WriteCsv(stream, v2));
            }

            using var golden = Golden();
            Write(console, dir, "golden.arrow_file", "a small table of every primitive type, with nulls, as an Arrow IPC file", stream => WriteFile(stream, golden));
            Write(console, dir, "golden.json", "the same table as Arrow integration JSON ('arrowcid integration validate' compares the two)", stream => IntegrationJson.Write(new IntegrationFile(golden.Schema, [golden]), stream));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Sensor readings: a row every 10 s from 12 sensors; <paramref name="revised"/> changes the 20 readings from row 1,000 on.</summary>
    public static RecordBatch Readings(int first, int count, bool revised)
    {
        var schema = new Schema(
        [
            // The types the CSV reader infers from readings.csv, so all four files name one table.
            new Field("time", ArrowType.Timestamp(TimeUnit.Microsecond, "UTC")),
            new Field("sensor", ArrowType.Utf8),
            new Field("reading", ArrowType.Float64),
            new Field("status", ArrowType.Utf8),
        ]);
        var builder = new RecordBatchBuilder(schema);
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (int i = first; i < first + count; i++)
        {
            // A fixed arithmetic walk, not a random generator: the files are the same on every machine.
            int sensor = i % 12;
            double reading = Math.Round(20 + (5 * Math.Sin(i / 360.0)) + (sensor * 0.25) + ((i * 7919 % 100) / 100.0), 2);
            if (revised && i is >= RevisedFrom and < RevisedFrom + 20)
            {
                reading += 1.5;
            }

            builder.AppendRow(
                start.AddSeconds(i / 12 * 10),
                string.Create(CultureInfo.InvariantCulture, $"s{sensor + 1:00}"),
                i % 97 == 0 ? null : reading,
                i % 97 == 0 ? "offline" : reading > 26 ? "high" : "ok");
        }

        return builder.Build();
    }

    // Every primitive type the CSV reader cannot make, with a null in each nullable column.
    private static RecordBatch Golden()
    {
        var schema = new Schema(
        [
            new Field("bool", ArrowType.Boolean),
            new Field("int8", ArrowType.Int8),
            new Field("int16", ArrowType.Int16),
            new Field("int32", ArrowType.Int32),
            new Field("int64", ArrowType.Int64),
            new Field("uint8", ArrowType.UInt8),
            new Field("uint64", ArrowType.UInt64),
            new Field("float32", ArrowType.Float32),
            new Field("float64", ArrowType.Float64),
            new Field("utf8", ArrowType.Utf8),
            new Field("binary", ArrowType.Binary),
            new Field("date32", ArrowType.Date32),
            new Field("timestamp_us", ArrowType.Timestamp(TimeUnit.Microsecond, null)),
        ]);
        var builder = new RecordBatchBuilder(schema);
        builder.AppendRow(true, (sbyte)-1, (short)-300, -70_000, long.MinValue, (byte)255, ulong.MaxValue, 1.5f, Math.PI, "héllo", new byte[] { 0, 1, 2 }, new DateOnly(2024, 2, 29), new DateTime(2024, 3, 1, 12, 0, 0, DateTimeKind.Unspecified));
        builder.AppendRow(null, null, null, null, null, null, null, null, null, null, null, null, null);
        builder.AppendRow(false, sbyte.MaxValue, short.MaxValue, int.MaxValue, long.MaxValue, (byte)0, 0UL, float.NegativeInfinity, -0.0, string.Empty, Array.Empty<byte>(), new DateOnly(1970, 1, 1), new DateTime(1969, 12, 31, 23, 59, 59, DateTimeKind.Unspecified));
        return builder.Build();
    }

    private static void Write(CliConsole console, string dir, string name, string what, Action<Stream> write)
    {
        string path = Path.Combine(dir, name);
        CliErrors.About(path, () =>
        {
            DurableFile.WriteAtomically(path, write);
            return 0;
        });
        console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{path}  {new FileInfo(path).Length} bytes  {what}"));
    }

    private static void WriteCsv(Stream stream, RecordBatch batch)
    {
        using var text = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true);
        var writer = new CsvBatchWriter(text, batch.Schema);
        writer.WriteHeader();
        writer.Write(batch);
    }

    private static void WriteStream(Stream stream, RecordBatch batch) => WriteIpc(new ArrowStreamWriter(stream, batch.Schema, leaveOpen: true), batch);

    private static void WriteFile(Stream stream, RecordBatch batch) => WriteIpc(new ArrowFileWriter(stream, batch.Schema, leaveOpen: true), batch);

    private static void WriteIpc(ArrowStreamWriter writer, RecordBatch batch)
    {
        using (writer)
        {
            writer.Write(batch);
            writer.Finish();
        }
    }

    private static void WriteParquet(Stream stream, RecordBatch batch)
    {
        using var writer = new ParquetWriter(stream, batch.Schema, new ParquetWriteOptions { Compression = ParquetCompression.Zstd }, leaveOpen: true);
        writer.Write(batch);
        writer.Close();
    }
}
