using System.CommandLine;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Printing;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Multiformats;
using ArrowCid.Repository;
using ArrowCid.Repository.Export;

namespace ArrowCid.Cli.Commands;

/// <summary>
/// <c>arrowcid quickstart</c>: a tour in one command. Builds a small table, writes it as an Arrow
/// IPC file, maps the file back (zero copy), prints it and checks it came back unchanged; then
/// puts it into a repository (a temporary one unless <c>--repo</c>), prints its CIDs, gets it back
/// re-hashing the bytes, and exports a CAR. Each step is its own method so later steps (shared
/// memory, Flight) can be added beside them.
/// </summary>
internal static class QuickstartCommand
{
    public static Command Create(CliConsole console, RepositoryOption repository)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var keep = new Option<bool>("--keep") { Description = "Keep the demo files (and the temporary repository) instead of deleting them" };
        var command = new Command("quickstart", "Build a demo table, write it as an Arrow IPC file, map it back and print it, put it into a repository, get it back and export a CAR and a Parquet file") { keep };
        command.SetAction(parse => Run(console, parse.GetValue(keep), parse.GetValue(repository.Option)));
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

    /// <summary>Puts the demo table into the repository at <paramref name="repositoryPath"/>, prints its CIDs, gets both back re-hashing them, and exports a CAR; true when everything came back intact.</summary>
    public static bool PublishDemo(CliConsole console, RecordBatch batch, string repositoryPath, string carPath, bool keep = false)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(batch);
        using var content = CliErrors.About(repositoryPath, () => ContentRepository.Open(repositoryPath));
        var put = content.PutStream(batch.Schema, [batch], new PutOptions { Producer = "arrowcid quickstart" });
        console.Out.WriteLine(Commands.ContentOutput.TableLine(put));

        // A small table is one chunk: get writes its exact canonical bytes, which hash to the table's CID.
        using var fetched = new MemoryStream();
        content.WriteTable(put.Table.Cid, fetched);
        bool hashMatches = Cid.ForRaw(fetched.GetBuffer().AsSpan(0, (int)fetched.Length)) == put.Table.Cid;
        using var reader = new ArrowStreamReader(fetched.ToArray().AsMemory());
        using var back = reader.ReadNext();
        bool identical = back is not null && ArrayEquality.Equals(batch, back, out _);

        bool flightVerified = FlightCommands.QuickstartStep(console, content, batch, put.Table.Cid, keep);
        using (var car = CliErrors.About(carPath, () => new FileStream(carPath, FileMode.Create, FileAccess.Write)))
        {
            var exported = content.ExportCar([put.Table.Cid], car);
            console.Out.WriteLine($"quickstart: repository {content.Repository.Root}; get {put.Table.Cid}: {(hashMatches ? "bytes hash to the CID" : "HASH MISMATCH")}, "
                + $"read back as an IPC stream: {(identical ? "identical" : "DIFFERENT")}; CAR of {exported.Blocks} block{(exported.Blocks == 1 ? string.Empty : "s")}: {carPath}");
        }

        bool parquetSame = ExportParquetDemo(console, content, put, Path.ChangeExtension(carPath, ".parquet"));
        return hashMatches && identical && parquetSame && flightVerified;
    }

    /// <summary>Exports the demo table as Parquet (zstd) by its CID and names the file's row groups again; true when they give the same table CID.</summary>
    public static bool ExportParquetDemo(CliConsole console, ContentRepository content, PutStreamResult put, string parquetPath)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(put);
        var plan = ParquetCidExport.Resolve(content, [put.Table.Cid]);
        var options = ParquetCidExport.WithMetadata(plan, new Parquet.Writing.ParquetWriteOptions { Compression = Parquet.Writing.ParquetCompression.Zstd });
        CliErrors.About(parquetPath, () =>
        {
            using var file = new FileStream(parquetPath, FileMode.Create, FileAccess.Write);
            ParquetCidExport.Write(content, plan, file, options, _ => { });
            return 0;
        });
        using var reader = CliErrors.About(parquetPath, () => Parquet.Reading.ParquetReader.Open(parquetPath));
        var again = ContentRepository.ComputeCids(reader.Schema, reader.ReadAll());
        bool same = again.Table.Cid == put.Table.Cid;
        console.Out.WriteLine($"quickstart: exported the table as Parquet (zstd, {new FileInfo(parquetPath).Length} bytes): {parquetPath}; "
            + $"its row groups name {(same ? "the same table CID" : "A DIFFERENT TABLE CID")}");
        return same;
    }

    private static int Run(CliConsole console, bool keep, string? repositoryPath)
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
            string repository = repositoryPath is null ? Path.Combine(directory.FullName, "repo") : Path.GetFullPath(repositoryPath);
            bool published = PublishDemo(console, batch, repository, Path.Combine(directory.FullName, "demo.car"), keep);
            console.Out.WriteLine(keep
                ? $"quickstart: kept {directory.FullName} and the files above"
                : $"quickstart: deleted {directory.FullName} and the files above (--keep keeps them)");
            return identical && published ? ExitCodes.Ok : ExitCodes.Failure;
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
