using System.CommandLine;
using System.Globalization;
using ArrowCid.Bench;
using ArrowCid.Content.Multiformats;
using ArrowCid.Wire;
using ArrowCid.Repository.Export;
using ArrowCid.Parquet.Writing;

namespace ArrowCid.Cli.Commands;

/// <summary><c>arrowcid export parquet</c> (and <c>bench parquet</c>, added beside the other benchmarks).</summary>
internal static class ParquetCommands
{
    /// <summary>The codec names the command line accepts.</summary>
    public static IReadOnlyDictionary<string, ParquetCompression> Codecs { get; } = new Dictionary<string, ParquetCompression>(StringComparer.Ordinal)
    {
        ["zstd"] = ParquetCompression.Zstd,
        ["snappy"] = ParquetCompression.Snappy,
        ["gzip"] = ParquetCompression.Gzip,
        ["lz4"] = ParquetCompression.Lz4Raw,
        ["brotli"] = ParquetCompression.Brotli,
        ["none"] = ParquetCompression.None,
    };

    /// <summary>Adds <c>parquet</c> to the <c>export</c> command.</summary>
    public static Command AddExport(Command export, CliConsole console, RepositoryOption repository)
    {
        ArgumentNullException.ThrowIfNull(export);
        export.Subcommands.Add(Export(console, repository));
        return export;
    }

    private static Command Export(CliConsole console, RepositoryOption repository)
    {
        var cids = new Argument<string[]>("cids") { Description = "Tables (CIDs, table NAMEs or NAME@N), written in order as one Parquet table", Arity = ArgumentArity.OneOrMore, HelpName = "CID|NAME[@N]" };
        var output = new Option<string?>("--output", "-o") { Description = "The Parquet file to write (- for stdout; default <first CID>.parquet)", HelpName = "OUT.parquet" };
        var compression = new Option<string>("--compression") { Description = "Page compression", DefaultValueFactory = _ => "snappy", HelpName = "CODEC" };
        compression.AcceptOnlyFromAmong([.. Codecs.Keys]);
        var rowGroupSize = new Option<int>("--row-group-size") { Description = "Most rows per row group", DefaultValueFactory = _ => ParquetWriteOptions.Default.RowGroupSize, HelpName = "N" };
        var pageSize = new Option<int>("--page-size") { Description = "Target uncompressed bytes per data page", DefaultValueFactory = _ => ParquetWriteOptions.Default.PageSize, HelpName = "N" };
        var rowGroupBytes = new Option<long>("--row-group-bytes") { Description = "Most bytes of Arrow chunks gathered into one row group (row groups hold whole chunks; a chunk longer than --row-group-size rows is split)", DefaultValueFactory = _ => ParquetCidExport.DefaultRowGroupBytes, HelpName = "N" };
        Positive(rowGroupSize);
        Positive(pageSize);
        Positive(rowGroupBytes);
        var json = new Option<bool>("--json") { Description = "Print one JSON object (on stderr when the file goes to stdout)" };
        var parquet = new Command("parquet", "Write tables as one Parquet file, row groups of whole chunks (footer keys arrowcid.cids, arrowcid.dataset); every block is re-hashed")
        {
            cids, output, compression, rowGroupSize, rowGroupBytes, pageSize, json, repository.Blocks,
        };
        parquet.SetAction(parse =>
        {
            using var node = repository.OpenNode(parse);
            var content = node.Content;
            var roots = parse.GetRequiredValue(cids).Select(c => CliCids.Resolve(c, node.Registry)).ToArray();
            repository.FetchMissing(parse, content, roots);

            string path = parse.GetValue(output) ?? DefaultFileName(parse.GetRequiredValue(cids)[0], roots[0]);
            var plan = ParquetCidExport.Resolve(content, roots, parse.GetValue(rowGroupBytes));
            var options = ParquetCidExport.WithMetadata(plan, new ParquetWriteOptions
            {
                Compression = Codecs[parse.GetRequiredValue(compression)],
                RowGroupSize = parse.GetValue(rowGroupSize),
                PageSize = parse.GetValue(pageSize),
            });
            using var target = OutputTarget.Create(path, console);
            CliProgress.Run(console, $"exporting {plan.Chunks.Count} chunks to {target.Name}", Math.Max(1, plan.Rows), advance =>
            {
                try
                {
                    ParquetCidExport.Write(content, plan, target.Stream, options, advance);
                }
                catch (NotSupportedException e)
                {
                    throw new CliException($"cannot write Parquet: {e.Message}", e);
                }

                return 0;
            });
            long bytes = target.Stream.CanSeek ? target.Stream.Length : 0;
            target.Commit();
            if (parse.GetValue(json))
            {
                var summary = new ParquetExportSummary(ContentOutput.Texts(roots), plan.Rows, plan.Chunks.Count, bytes, parse.GetRequiredValue(compression), path);
                (path == IpcSource.StandardStream ? console.Error : console.Out).WriteLine(WireJson.ToIndentedText(summary, WireJsonContext.Default.ParquetExportSummary));
            }
            else if (path != IpcSource.StandardStream)
            {
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"exported {plan.Rows} rows in {plan.Chunks.Count} chunks ({bytes} bytes, {parse.GetRequiredValue(compression)}) to {path}"));
            }

            return ExitCodes.Ok;
        });
        return parquet;
    }

    // NAME.parquet for a name (sales@2.parquet for a version; a path's slashes become dashes), CID.parquet for a CID.
    private static string DefaultFileName(string given, Cid root) =>
        CliCids.ParseCidOrName(given) is { Cid: not null } ? $"{root}.parquet" : $"{given.Replace('/', '-')}.parquet";

    /// <summary>Adds <c>parquet</c> to the <c>bench</c> command.</summary>
    public static Command AddBench(Command bench, CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(bench);
        bench.Subcommands.Add(Bench(console));
        return bench;
    }

    private static Command Bench(CliConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object (an entry per codec) instead of lines" };
        var size = new Option<int>("--size-mib") { Description = "Table size in MiB of Arrow buffers (1..1536); DuckDB holds a copy", DefaultValueFactory = _ => 256, HelpName = "N" };
        var runs = new Option<int>("--runs") { Description = "Runs per codec and writer; the best is kept", DefaultValueFactory = _ => 1, HelpName = "N" };
        size.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && int.TryParse(result.Tokens[0].Value, CultureInfo.InvariantCulture, out int mib) && mib is < 1 or > 1536)
            {
                result.AddError("--size-mib must be between 1 and 1536");
            }
        });
        Positive(runs);
        var command = new Command("parquet", "Our Parquet writer next to DuckDB's COPY … (FORMAT parquet) and ParquetSharp on a realistic table, zstd and snappy, and each column alone") { json, size, runs };
        command.SetAction(parse =>
        {
            string scratch = IpcBenchmark.DefaultScratchRoot();
            var r = CliProgress.Run(console, "bench parquet", null, _ => CliErrors.About(scratch, () =>
                ParquetBenchmark.Run(parse.GetValue(size) * (1L << 20), scratch, ["zstd", "snappy"], parse.GetValue(runs), _ => { })));
            if (parse.GetValue(json))
            {
                var codecs = r.Codecs.ToDictionary(c => c.Codec, c => new ParquetCodecReport(
                        BenchFigures.Round(c.OursSeconds),
                        BenchFigures.Round(c.DuckDbSeconds),
                        BenchFigures.Round(c.OursCpuSeconds),
                        BenchFigures.Round(c.DuckDbCpuSeconds),
                        BenchFigures.Round(c.TimeRatio),
                        c.OursBytes,
                        c.DuckDbBytes,
                        BenchFigures.Round(c.SizeRatio),
                        c.TimeGoalMet,
                        c.SizeGoalMet,
                        BenchFigures.Round(c.ParquetSharpSeconds),
                        BenchFigures.Round(c.ParquetSharpCpuSeconds),
                        c.ParquetSharpBytes,
                        BenchFigures.Round(c.TimeRatioVsParquetSharp)), StringComparer.Ordinal);
                console.Out.WriteLine(WireJson.ToIndentedText(
                    new ParquetReport(
                        BenchFigures.Round(r.ExportRatioVsDuckDb),
                        BenchFigures.Round(r.ExportRatioVsParquetSharp),
                        parse.GetValue(size),
                        r.Rows,
                        r.Batches,
                        r.BufferBytes,
                        r.RowGroupSize,
                        r.DuckDbThreads,
                        r.ScratchDirectory,
                        codecs,
                        [.. r.Columns.Select(c => new ParquetColumnReport(c.Column, c.Type, BenchFigures.Round(c.OursSeconds), BenchFigures.Round(c.DuckDbSeconds), BenchFigures.Round(c.TimeRatio)))]),
                    WireJsonContext.Default.ParquetReport));
                return ExitCodes.Ok;
            }

            foreach (var c in r.Codecs)
            {
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{c.Codec}: ours {c.OursSeconds:0.000} s, {c.OursBytes} bytes; DuckDB {c.DuckDbSeconds:0.000} s, {c.DuckDbBytes} bytes; ParquetSharp {c.ParquetSharpSeconds:0.000} s, {c.ParquetSharpBytes} bytes; time ratio vs DuckDB {c.TimeRatio:0.000} (goal <= 1.0: {(c.TimeGoalMet ? "met" : "MISSED")}), vs ParquetSharp {c.TimeRatioVsParquetSharp:0.000} (goal <= 0.8), size ratio {c.SizeRatio:0.000} (goal <= 1.1: {(c.SizeGoalMet ? "met" : "MISSED")})"));
            }

            foreach (var c in r.Columns)
            {
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"column {c.Column} ({c.Type}), zstd: ours {c.OursSeconds:0.000} s, DuckDB {c.DuckDbSeconds:0.000} s, ratio {c.TimeRatio:0.000}"));
            }

            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"table: {r.Rows} rows in {r.Batches} batches, {r.BufferBytes} bytes of Arrow buffers; row groups of {r.RowGroupSize} rows; DuckDB threads: {r.DuckDbThreads}; files in {r.ScratchDirectory}"));
            return ExitCodes.Ok;
        });
        return command;
    }

    // An int or long option: any token that parses as a number below 1 is refused.
    private static void Positive<T>(Option<T> option) => option.Validators.Add(result =>
    {
        if (result.Tokens.Count == 1 && long.TryParse(result.Tokens[0].Value, CultureInfo.InvariantCulture, out long value) && value < 1)
        {
            result.AddError($"{option.Name} must be 1 or more");
        }
    });
}
