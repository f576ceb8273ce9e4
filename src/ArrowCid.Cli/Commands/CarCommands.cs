using System.CommandLine;
using System.Globalization;
using ArrowCid.Repository;
using ArrowCid.Wire;

namespace ArrowCid.Cli.Commands;

/// <summary><c>arrowcid export car</c> and <c>arrowcid import car</c>: repository content as CAR files.</summary>
internal static class CarCommands
{
    public static Command Export(CliConsole console, RepositoryOption repository)
    {
        var cids = new Argument<string[]>("cids") { Description = "Tables (CIDs, NAMEs or NAME@N): the CAR's roots", Arity = ArgumentArity.OneOrMore, HelpName = "CID|NAME[@N]" };
        var output = new Option<string>("--output", "-o") { Description = "The CAR file to write", Required = true, HelpName = "OUT.car" };
        var v2 = new Option<bool>("--v2") { Description = "Write a CARv2 with a multihash index (default CARv1)" };
        var since = new Option<string?>("--since") { Description = "Leave out every block of this table (a CID, NAME or NAME@N the reader holds): only what it lacks is written", HelpName = "BASE" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (on stderr when the CAR goes to stdout)" };
        var car = new Command("car", "Write CIDs, with every block of each table (manifest nodes and chunks), as a CAR file; every block is re-hashed") { cids, output, v2, since, json, repository.Blocks };
        car.SetAction(parse =>
        {
            string path = parse.GetRequiredValue(output);
            if (path == IpcSource.StandardStream && parse.GetValue(v2))
            {
                throw new CliException("a CARv2 is written with seeks, so it cannot go to stdout; name a file");
            }

            using var node = repository.OpenNode(parse);
            var content = node.Content;
            var roots = parse.GetRequiredValue(cids).Select(c => CliCids.Resolve(c, node.Registry)).ToArray();
            repository.FetchMissing(parse, content, roots);

            var basis = parse.GetValue(since) is { } text ? TableBlocks.Read(content, CliCids.Resolve(text, node.Registry)) : null;
            var exclude = basis?.Blocks.Select(b => b.Cid).ToHashSet();
            using var target = OutputTarget.Create(path, console);
            // In bytes written, with the rate (how many a walk of the roots will write is not known up front).
            var report = CliProgress.Run(console, $"exporting {roots.Length} roots", null, ProgressUnit.Bytes, advance =>
            {
                using var counted = new Ingest.CountingStream(target.Stream, leaveOpen: true, written => advance(written));
                return content.ExportCar(roots, counted, parse.GetValue(v2), exclude);
            });
            target.Commit();
            if (parse.GetValue(json))
            {
                var summary = new CarExportSummary(ContentOutput.Texts(report.Roots), report.Blocks, report.Bytes, path, basis?.Root.ToString());
                (path == IpcSource.StandardStream ? console.Error : console.Out).WriteLine(WireJson.ToIndentedText(summary, WireJsonContext.Default.CarExportSummary));
            }
            else if (path != IpcSource.StandardStream)
            {
                string left = basis is null ? string.Empty : $", leaving out the blocks of {basis.Root}";
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"exported {CliText.Count(report.Blocks, "block")} ({CliText.Count(report.Bytes, "byte")}) under {CliText.Count(report.Roots.Count, "root")} to {path}{left}"));
            }

            return ExitCodes.Ok;
        });
        return new Command("export", "Write repository content to other formats") { car };
    }

    public static Command Import(CliConsole console, RepositoryOption repository)
    {
        var file = new Argument<string>("file") { Description = "The CAR (v1 or v2) to read (- for stdin)" };
        var strict = new Option<bool>("--strict") { Description = "Take only canonical Arrow batches and dataset manifests whose batches are present; refuse everything else" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of lines" };
        var car = new Command("car", "Read a CAR into the repository: every block whose hash verifies is stored; canonical batches and dataset manifests are registered as such, other Arrow IPC streams are described, anything else is kept as a foreign block; roots are pinned. On the folder of a node with a shared registry or a bucket, what it stores is published as the node's puts are") { file, strict, json, repository.Blocks };
        car.SetAction(parse =>
        {
            string path = parse.GetRequiredValue(file);
            using var node = repository.OpenNode(parse);
            var content = node.Content;
            using var publication = RepositoryOption.OpenPublication(node);
            var report = CliErrors.About(path == IpcSource.StandardStream ? "stdin" : path, () =>
            {
                using var input = path == IpcSource.StandardStream ? null : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
                double? total = input?.Length;
                var options = new PutOptions { Producer = "arrowcid import car", Provenance = path };
                // In bytes of the CAR read (a file: against its length).
                return CliProgress.Run(console, $"importing {path}", total, ProgressUnit.Bytes, advance =>
                {
                    using var counted = new Ingest.CountingStream(input ?? console.Input, leaveOpen: true, read => advance(read));
                    return RepositoryOption.Publishing(path == IpcSource.StandardStream ? "stdin" : path, () => content.ImportCar(counted, options, parse.GetValue(strict), publication));
                });
            });
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText(Summary(report), WireJsonContext.Default.CarImportSummary));
            }
            else
            {
                PrintImport(console, report);
            }

            return report.IsComplete ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return new Command("import", "Read content into the repository from other formats") { car };
    }

    private static void PrintImport(CliConsole console, CarImportReport report)
    {
        foreach (var block in report.Blocks)
        {
            console.Out.WriteLine(ImportLine(block));
        }

        foreach (var refused in report.Refused)
        {
            CliErrors.Report(console.Error, $"refused {refused.Cid}: {refused.Reason}");
        }

        foreach (var unverifiable in report.Unverifiable)
        {
            CliErrors.Report(console.Error, $"refused {unverifiable.Reason}");
        }

        foreach (var root in report.MissingRoots)
        {
            CliErrors.Report(console.Error, $"root {root} is not in the CAR");
        }

        foreach (var table in report.Incomplete)
        {
            CliErrors.Report(console.Error, $"table {table.Root} is incomplete here: {table.Reason}; its blocks were kept (the root as a plain DAG-CBOR block, not yet a table): import what it lacks (for a CAR made with --since, the base version), then this CAR again");
        }

        console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"imported {report.Blocks.Count} of {report.BlocksRead} blocks: {report.CountOf(ImportedBlockKind.Batch)} batches, {report.CountOf(ImportedBlockKind.Dataset)} tables, {report.CountOf(ImportedBlockKind.TableNode)} table nodes, {report.CountOf(ImportedBlockKind.ArrowStream)} arrow streams, {report.CountOf(ImportedBlockKind.Raw)} other raw, {report.CountOf(ImportedBlockKind.DagCbor)} dag-cbor, {report.CountOf(ImportedBlockKind.DagPb)} dag-pb, {report.CountOf(ImportedBlockKind.Other)} other; {report.RefusedCount} refused"));
    }

    // One line per stored block: kind, CID, then what is known of it.
    private static string ImportLine(ImportedBlock block) => block.Kind switch
    {
        ImportedBlockKind.Batch => string.Create(CultureInfo.InvariantCulture, $"batch {block.Cid} {block.Rows} rows {block.Bytes} bytes"),
        ImportedBlockKind.Dataset => string.Create(CultureInfo.InvariantCulture, $"table {block.Cid} {block.Rows} rows"),
        ImportedBlockKind.ArrowStream => string.Create(CultureInfo.InvariantCulture,
            $"arrow-stream {block.Cid} {block.Rows} rows {block.Bytes} bytes{(block.Canonical is { } canonical ? $" canonical {canonical.Table.Cid}" : string.Empty)}"),
        ImportedBlockKind.DagCbor or ImportedBlockKind.DagPb => string.Create(CultureInfo.InvariantCulture,
            $"{ImportedBlock.NameOf(block.Kind)} {block.Cid} {block.Bytes} bytes {block.Links} links"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{ImportedBlock.NameOf(block.Kind)} {block.Cid} {block.Bytes} bytes"),
    };

    private static CarImportSummary Summary(CarImportReport report)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var kind in Enum.GetValues<ImportedBlockKind>())
        {
            counts[ImportedBlock.NameOf(kind)] = report.CountOf(kind);
        }

        counts["refused"] = report.RefusedCount;
        return new CarImportSummary(
            ContentOutput.Texts(report.Roots),
            report.Strict,
            report.BlocksRead,
            report.IsComplete,
            counts,
            [.. report.Blocks.Select(Entry)],
            [.. report.Refused.Select(r => new RefusedBlockEntry(r.Cid.ToString(), null, r.Reason)),
             .. report.Unverifiable.Select(u => new RefusedBlockEntry(u.Cid, u.HashFunction, u.Reason))],
            ContentOutput.Texts(report.MissingRoots),
            [.. report.Incomplete.Select(i => new IncompleteTableEntry(i.Root.ToString(), i.Missing?.ToString(), i.Reason))]);
    }

    private static ImportedBlockEntry Entry(ImportedBlock block) => new(
        block.Cid.ToString(),
        ImportedBlock.NameOf(block.Kind),
        block.Bytes,
        block.Schema is not null ? block.Rows : null,
        block.Schema,
        block.Kind is ImportedBlockKind.DagCbor or ImportedBlockKind.DagPb ? block.Links : null,
        block.Canonical is { } canonical ? new CanonicalCopy(canonical.Table.Cid.ToString(), ContentOutput.Texts(canonical.Batches.Select(b => b.Cid))) : null,
        block.Note);
}
