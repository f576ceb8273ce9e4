using System.CommandLine;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Printing;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Cli.Commands;

/// <summary>
/// <c>arrowcid quickstart</c>: a tour in one command. Builds a small table, writes it as an Arrow
/// IPC file, maps the file back (zero copy), prints it and checks it came back unchanged. Each
/// step is its own method so later steps (hashing, publishing) can be added beside them.
/// </summary>
internal static class QuickstartCommand
{
    public static Command Create(CliConsole console)
    {
        var keep = new Option<bool>("--keep") { Description = "Keep the demo file instead of deleting it" };
        var command = new Command("quickstart", "Build a demo table, write it as an Arrow IPC file, map it back and print it") { keep };
        command.SetAction(parse => Run(console, parse.GetValue(keep)));
        return command;
    }

    /// <summary>A few rows of weather observations: integers, strings, floats, zoned timestamps and lists, with nulls.</summary>
    public static RecordBatch BuildDemoBatch()
    {
        var schema = new Schema(
        [
            new Field("station", ArrowType.Int32, nullable: false),
            new Field("city", ArrowType.Utf8),
            new Field("temperature_c", ArrowType.Float64),
            new Field("observed", ArrowType.Timestamp(TimeUnit.Millisecond, "UTC"), nullable: false),
            new Field("conditions", ArrowType.List(new Field("item", ArrowType.Utf8))),
        ]);
        var builder = new RecordBatchBuilder(schema);
        var start = new DateTimeOffset(2024, 3, 1, 6, 0, 0, TimeSpan.Zero);
        builder.AppendRow(101, "Lisbon", 14.5, start, new List<string> { "clear" });
        builder.AppendRow(102, "Oslo", -3.25, start.AddMinutes(30), new List<string> { "snow", "wind" });
        builder.AppendRow(103, null, 21.0, start.AddHours(1), new List<string>());
        builder.AppendRow(104, "Nairobi", null, start.AddHours(1.5), null);
        builder.AppendRow(105, "Kyoto", 9.75, start.AddHours(2), new List<string> { "rain", "fog", "wind" });
        return builder.Build();
    }

    /// <summary>Writes <paramref name="batch"/> as a one-batch IPC file; returns its size in bytes.</summary>
    public static long WriteIpcFile(RecordBatch batch, string path)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        using var writer = new ArrowFileWriter(stream, batch.Schema);
        writer.Write(batch);
        writer.Finish();
        return writer.BytesWritten;
    }

    private static int Run(CliConsole console, bool keep)
    {
        var batch = BuildDemoBatch();
        var directory = Directory.CreateTempSubdirectory("arrowcid-quickstart-");
        string path = Path.Combine(directory.FullName, "demo.arrow");
        try
        {
            long bytes = CliErrors.About(path, () => WriteIpcFile(batch, path));
            bool identical;
            string? difference;
            using (var reader = CliErrors.About(path, () => ArrowFileReader.Open(path)))
            using (var mapped = CliErrors.About(path, () => reader.ReadRecordBatch(0)))
            {
                console.Out.Write(ArrayPrinter.Format(mapped));
                identical = ArrayEquality.Equals(batch, mapped, out difference);
            }

            console.Out.WriteLine(
                $"quickstart: wrote {batch.Length} rows x {batch.Schema.Fields.Length} columns as a {bytes}-byte Arrow IPC file, "
                + $"read it back memory-mapped: {(identical ? "identical" : $"DIFFERENT ({difference})")}; "
                + $"file: {path}{(keep ? string.Empty : " (deleted)")}");
            return identical ? ExitCodes.Ok : ExitCodes.Failure;
        }
        finally
        {
            if (!keep)
            {
                directory.Delete(recursive: true);
            }
        }
    }
}
