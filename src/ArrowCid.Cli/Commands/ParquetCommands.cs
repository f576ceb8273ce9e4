using System.CommandLine;
using System.Globalization;
using ArrowCid.Cli.Export;
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
        var cids = new Argument<string[]>("cids") { Description = "Dataset or batch CIDs, written in order as one table", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--output", "-o") { Description = "The Parquet file to write (- for stdout; default <first CID>.parquet)", HelpName = "OUT.parquet" };
        var compression = new Option<string>("--compression") { Description = "Page compression", DefaultValueFactory = _ => "snappy", HelpName = "CODEC" };
        compression.AcceptOnlyFromAmong([.. Codecs.Keys]);
        var rowGroupSize = new Option<int>("--row-group-size") { Description = "Most rows per row group (each batch also starts one)", DefaultValueFactory = _ => ParquetWriteOptions.Default.RowGroupSize, HelpName = "N" };
        var pageSize = new Option<int>("--page-size") { Description = "Target uncompressed bytes per data page", DefaultValueFactory = _ => ParquetWriteOptions.Default.PageSize, HelpName = "N" };
        Positive(rowGroupSize);
        Positive(pageSize);
        var parquet = new Command("parquet", "Write the batches of datasets or batch CIDs as one Parquet file (footer keys arrowcid.cids, arrowcid.dataset); every block is re-hashed")
        {
            cids, output, compression, rowGroupSize, pageSize,
        };
        parquet.SetAction(parse =>
        {
            var roots = parse.GetRequiredValue(cids).Select(CliCids.Parse).ToArray();
            string path = parse.GetValue(output) ?? $"{roots[0]}.parquet";
            using var content = repository.Open(parse);
            var plan = ParquetCidExport.Resolve(content, roots);
            var options = ParquetCidExport.WithMetadata(plan, new ParquetWriteOptions
            {
                Compression = Codecs[parse.GetRequiredValue(compression)],
                RowGroupSize = parse.GetValue(rowGroupSize),
                PageSize = parse.GetValue(pageSize),
            });
            using var target = OutputTarget.Create(path, console);
            CliProgress.Run(console, $"exporting {plan.Batches.Count} batches to {target.Name}", Math.Max(1, plan.Rows), advance =>
            {
                try
                {
                    using var writer = new ParquetWriter(target.Stream, plan.Schema, options, leaveOpen: true);
                    ParquetCidExport.Write(content, plan, writer, advance);
                }
                catch (NotSupportedException e)
                {
                    throw new CliException($"cannot write Parquet: {e.Message}", e);
                }

                return 0;
            });
            long bytes = target.Stream.CanSeek ? target.Stream.Length : 0;
            target.Commit();
            if (path != IpcSource.StandardStream)
            {
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"exported {plan.Rows} rows in {plan.Batches.Count} batches ({bytes} bytes, {parse.GetRequiredValue(compression)}) to {path}"));
            }

            return ExitCodes.Ok;
        });
        return parquet;
    }

    private static void Positive(Option<int> option) => option.Validators.Add(result =>
    {
        if (result.Tokens.Count == 1 && int.TryParse(result.Tokens[0].Value, CultureInfo.InvariantCulture, out int value) && value < 1)
        {
            result.AddError($"{option.Name} must be 1 or more");
        }
    });
}
