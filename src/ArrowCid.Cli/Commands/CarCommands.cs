using System.CommandLine;
using System.Globalization;
using ArrowCid.Registry.ContentAccess;

namespace ArrowCid.Cli.Commands;

/// <summary><c>arrowcid export car</c> and <c>arrowcid import car</c>: repository content as CAR files.</summary>
internal static class CarCommands
{
    public static Command Export(CliConsole console, RepositoryOption repository)
    {
        var cids = new Argument<string[]>("cids") { Description = "Batch or dataset CIDs (or dataset NAME, NAME@N): the CAR's roots", Arity = ArgumentArity.OneOrMore, HelpName = "CID|NAME[@N]" };
        var output = new Option<string>("--output", "-o") { Description = "The CAR file to write", Required = true, HelpName = "OUT.car" };
        var v2 = new Option<bool>("--v2") { Description = "Write a CARv2 with a multihash index (default CARv1)" };
        var car = new Command("car", "Write CIDs, with every batch of each dataset, as a CAR file; every block is re-hashed") { cids, output, v2 };
        car.SetAction(parse =>
        {
            string path = parse.GetRequiredValue(output);
            if (path == IpcSource.StandardStream && parse.GetValue(v2))
            {
                throw new CliException("a CARv2 is written with seeks, so it cannot go to stdout; name a file");
            }

            using var content = repository.Open(parse);
            var roots = parse.GetRequiredValue(cids).Select(c => CliCids.Resolve(c, content.Repository.Registry)).ToArray();
            using var target = OutputTarget.Create(path, console);
            var report = CliProgress.Run(console, $"exporting {roots.Length} roots", null, _ => content.ExportCar(roots, target.Stream, parse.GetValue(v2)));
            target.Commit();
            if (path != IpcSource.StandardStream)
            {
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"exported {report.Blocks} blocks ({report.Bytes} bytes) under {report.Roots.Count} roots to {path}"));
            }

            return ExitCodes.Ok;
        });
        return new Command("export", "Write repository content to other formats") { car };
    }

    public static Command Import(CliConsole console, RepositoryOption repository)
    {
        var file = new Argument<string>("file") { Description = "The CAR (v1 or v2) to read (- for stdin)" };
        var car = new Command("car", "Read a CAR into the repository: canonical Arrow batches and dataset manifests are stored and registered, anything else is refused; roots are pinned") { file };
        car.SetAction(parse =>
        {
            string path = parse.GetRequiredValue(file);
            using var content = repository.Open(parse);
            var report = CliErrors.About(path == IpcSource.StandardStream ? "stdin" : path, () =>
            {
                using var input = path == IpcSource.StandardStream ? null : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
                var stream = input ?? console.Input;
                double? total = input?.Length;
                return CliProgress.Run(console, $"importing {path}", total, _ => content.ImportCar(stream, new PutOptions { Producer = "arrowcid import car", Provenance = path }));
            });
            foreach (var cid in report.Batches)
            {
                console.Out.WriteLine($"batch {cid}");
            }

            foreach (var cid in report.Datasets)
            {
                console.Out.WriteLine($"dataset {cid}");
            }

            foreach (var refused in report.Refused)
            {
                CliErrors.Report(console.Error, $"refused {refused.Cid}: {refused.Reason}");
            }

            foreach (var root in report.MissingRoots)
            {
                CliErrors.Report(console.Error, $"root {root} is not in the CAR");
            }

            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"imported {report.Batches.Count} batches and {report.Datasets.Count} datasets from {report.BlocksRead} blocks; {report.Refused.Count} refused"));
            return report.IsComplete ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return new Command("import", "Read content into the repository from other formats") { car };
    }
}
