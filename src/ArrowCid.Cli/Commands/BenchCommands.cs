using System.CommandLine;
using System.Globalization;
using ArrowCid.Bench;
using ArrowCid.Bench.Native;
using ArrowCid.Wire;
using Spectre.Console;

using static ArrowCid.Cli.Commands.BenchFigures;

namespace ArrowCid.Cli.Commands;

/// <summary><c>arrowcid bench …</c>: throughput measured against a physical limit in the same run.</summary>
internal static class BenchCommands
{
    /// <summary>Largest table: the encoded stream must fit one .NET array and one mapping (2 GiB).</summary>
    private const int MaxSizeMib = 1536;

    public static Command Create(CliConsole console)
    {
        var command = new Command("bench", "Benchmarks that report ratios against memcpy and similar limits");
        command.Subcommands.Add(Ipc(console));
        command.Subcommands.Add(Cid(console));
        command.Subcommands.Add(Chunk(console));
        command.Subcommands.Add(Dedup(console));
        command.Subcommands.Add(Ingest(console));
        command.Subcommands.Add(Sql(console));
        command.Subcommands.Add(Native(console));
        command.Subcommands.Add(Scale(console));
        command.Subcommands.Add(ObjectStorage(console));
        command.Subcommands.Add(Names(console));
        command.Subcommands.Add(BenchAllCommand.Create(console));
        return command;
    }

    private static Command Names(CliConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var dir = new Option<string?>("--dir") { Description = "Where the scratch repository goes, on the disk to measure (default: the folder holding the repository); removed after", HelpName = "DIR" };
        var command = new Command("names", $"Signed names: a version published (its node stored and linked, its record signed and kept), and a name of {NamesBenchmark.ChainVersions} versions resolved and verified by a client through the gateway") { json, dir };
        command.SetAction(parse =>
        {
            string parent = parse.GetValue(dir) ?? Path.GetDirectoryName(Repository.LocalRepository.ResolvePath(null))!;
            Directory.CreateDirectory(parent);
            var r = CliErrors.About(parent, () => NamesBenchmark.RunAsync(parent).GetAwaiter().GetResult());
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText(
                    new NamesBenchReport(r.Folder, r.Publishes, Round(r.PublishMillisecondsP50), Round(r.PublishMillisecondsP90), r.ChainVersions, r.Resolves, Round(r.ResolveVerifyMillisecondsP50), r.PublishGoalMet, r.ResolveGoalMet),
                    WireJsonContext.Default.NamesBenchReport));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("measure", "value", "goal");
            table.AddRow("a version published (median)", $"{F(r.PublishMillisecondsP50)} ms", Goal(r.PublishGoalMet, "<= 2 ms"));
            table.AddRow("a version published (90th percentile)", $"{F(r.PublishMillisecondsP90)} ms", string.Empty);
            table.AddRow($"a name of {r.ChainVersions} versions resolved and verified through the gateway (median)", $"{F(r.ResolveVerifyMillisecondsP50)} ms", Goal(r.ResolveGoalMet, "<= 20 ms"));
            PlainConsole(console.Out).Write(table);
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Publishes} publishes and {r.Resolves} resolves timed, in {r.Folder} (removed)"));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command ObjectStorage(CliConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var blocks = new Option<string>("--blocks")
        {
            Description = "The bucket to measure in, s3://BUCKET/PREFIX (a fresh prefix under it is used and removed; endpoint and credentials from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the shared files)",
            HelpName = "URL",
            Required = true,
        };
        var bytes = new Option<long>("--bytes") { Description = "Bytes of the large table (default 1 GiB)", DefaultValueFactory = _ => 1L << 30, HelpName = "N" };
        var seconds = new Option<double>("--seconds") { Description = "Seconds each small-put measure runs (default 5)", DefaultValueFactory = _ => 5, HelpName = "S" };
        var rounds = new Option<int>("--rounds") { Description = "Timed DoGet rounds, the best counts (default 5)", DefaultValueFactory = _ => 5, HelpName = "N" };
        var dir = new Option<string?>("--dir") { Description = "Where the nodes' folders go (default: beside the repository); removed after", HelpName = "DIR" };
        var command = new Command("s3", $"A node keeping blocks in an S3-compatible bucket against the same bucket used raw: a large table's put and cold get, a warm DoGet against a node on local disk, small puts from {ArrowCid.Bench.ObjectStorageBenchmark.Concurrency} clients, the cache's hit ratio against the offline optimum") { json, blocks, bytes, seconds, rounds, dir };
        command.SetAction(parse =>
        {
            var location = ParseLocation(parse.GetValue(blocks)!);
            string parent = parse.GetValue(dir) ?? Path.GetDirectoryName(Repository.LocalRepository.ResolvePath(null))!;
            ArrowCid.Bench.ObjectStorageBenchmarkResult r;
            try
            {
                r = ArrowCid.Bench.ObjectStorageBenchmark.RunAsync(location, parent, Math.Max(1L << 20, parse.GetValue(bytes)), Math.Clamp(parse.GetValue(seconds), 1, 60), Math.Clamp(parse.GetValue(rounds), 1, 20)).GetAwaiter().GetResult();
            }
            catch (ArrowCid.ObjectStorage.ObjectStoreException e)
            {
                throw new CliException($"--blocks: {e.Message}", e);
            }

            var report = new ObjectStorageReport(
                r.Location,
                r.Endpoint,
                r.TableBytes,
                r.Chunks,
                Round(r.PutSeconds),
                Round(r.RawPutSeconds),
                Round(r.RawPutSeconds / r.PutSeconds),
                Round(r.ColdGetSeconds),
                Round(r.RawGetSeconds),
                Round(r.RawGetSeconds / r.ColdGetSeconds),
                Round(r.WarmDoGetSeconds),
                Round(r.LocalDoGetSeconds),
                Round(r.LocalDoGetSeconds / r.WarmDoGetSeconds),
                Round(r.SmallPutsPerSecond),
                Round(r.RawSmallPutsPerSecond),
                Round(r.SmallPutsPerSecond / r.RawSmallPutsPerSecond),
                Round(r.CacheHitRatio),
                Round(r.OptimalHitRatio),
                Round(r.CacheHitRatio / r.OptimalHitRatio));
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText(report, WireJsonContext.Default.ObjectStorageReport));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("measure", "ArrowCid", "raw / local", "ratio", "goal");
            table.AddRow($"put of {r.TableBytes:N0} bytes ({r.Chunks} objects)", $"{F(r.PutSeconds)} s", $"{F(r.RawPutSeconds)} s", F(report.PutRatioVsRawPut), Goal(report.PutRatioVsRawPut >= 0.8, ">= 0.8"));
            table.AddRow("cold get (every block from the bucket)", $"{F(r.ColdGetSeconds)} s", $"{F(r.RawGetSeconds)} s", F(report.ColdGetRatioVsRawGet), Goal(report.ColdGetRatioVsRawGet >= 0.8, ">= 0.8"));
            table.AddRow("warm DoGet (cache) vs a node on local disk", $"{F(r.WarmDoGetSeconds)} s", $"{F(r.LocalDoGetSeconds)} s", F(report.WarmDogetRatioVsLocal), Goal(report.WarmDogetRatioVsLocal >= 0.9, ">= 0.9"));
            table.AddRow($"small puts, {ArrowCid.Bench.ObjectStorageBenchmark.Concurrency} clients", $"{F(r.SmallPutsPerSecond)}/s", $"{F(r.RawSmallPutsPerSecond)}/s", F(report.SmallPutsPerS16VsRawPut), Goal(report.SmallPutsPerS16VsRawPut >= 3, ">= 3"));
            table.AddRow("cache hit ratio, skewed reads", F(r.CacheHitRatio), F(r.OptimalHitRatio), F(report.CacheHitRatioVsOptimum), Goal(report.CacheHitRatioVsOptimum >= 0.9, ">= 0.9 of the optimum"));
            PlainConsole(console.Out).Write(table);
            console.Out.WriteLine($"in {r.Location} at {r.Endpoint} (removed)");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static ArrowCid.ObjectStorage.S3Location ParseLocation(string text)
    {
        try
        {
            return ArrowCid.ObjectStorage.S3Location.Parse(text);
        }
        catch (FormatException e)
        {
            throw new CliUsageException($"--blocks: {e.Message}", e);
        }
    }

    private static Command Scale(CliConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var blocks = new Option<int>("--blocks") { Description = $"Tables (one block each) in the large repository (at least {ScaleBenchmark.SmallBlocks})", DefaultValueFactory = _ => 1_000_000, HelpName = "N" };
        blocks.Validators.Add(result =>
        {
            if (result.Tokens.Count == 1 && int.TryParse(result.Tokens[0].Value, CultureInfo.InvariantCulture, out int n) && n < ScaleBenchmark.SmallBlocks)
            {
                result.AddError($"--blocks must be at least {ScaleBenchmark.SmallBlocks}");
            }
        });
        var dir = new Option<string?>("--dir") { Description = "A folder on the disk to measure (default: the folder holding the repository, ~/.arrowcid or ARROWCID_REPO)", HelpName = "DIR" };
        var keep = new Option<bool>("--keep") { Description = "Leave both repositories afterwards (their folder is printed) for a closer look" };
        var command = new Command("scale", $"How each cost grows with the repository: N distinct one-row tables next to {ScaleBenchmark.SmallBlocks}; open, get (in process and as a CLI process), a node's start, ListFlights, ls --json, gc, verify and the registry's bytes per table") { json, blocks, dir, keep };
        command.SetAction(parse =>
        {
            string parent = parse.GetValue(dir) ?? Path.GetDirectoryName(Repository.LocalRepository.ResolvePath(null))!;
            Directory.CreateDirectory(parent);
            var r = CliErrors.About(parent, () => ScaleBenchmark.Run(parent, parse.GetValue(blocks), SelfProcess.StartInfo, what => console.Error.WriteLine($"bench scale: {what}"), parse.GetValue(keep)));
            var report = new ScaleReport(
                r.Blocks, Round(r.BuildSeconds), Round(r.OpenMilliseconds), Round(r.OpenMillisecondsSmall), Round(r.GetMicrosecondsP50), Round(r.GetMicrosecondsP50Small),
                Round(r.CliGetMilliseconds), Round(r.CliGetMillisecondsSmall), Round(r.CliGetMilliseconds / r.CliGetMillisecondsSmall),
                Round(r.ServeReadyMilliseconds), Round(r.ServeReadyMillisecondsSmall), Round(r.ServeIdleRssMiB),
                Round(r.ListFlightsSeconds), r.ListFlightsCount, Round(r.ListFlightsRssGrowthMiB), Round(r.ListFlightsAnonymousRssGrowthMiB), Round(r.LsJsonSeconds), Round(r.LsJsonPeakRssMiB), Round(r.LsJsonPeakRssMiBSmall),
                Round(r.GcSeconds), Round(r.GcPeakRssMiB), r.GcRemovedTables, Round(r.OpenMillisecondsAfterGc),
                Round(r.CliGetMillisecondsAfterGc), Round(r.CliGetMillisecondsSmallAfterGc), Round(r.CliGetMillisecondsAfterGc / r.CliGetMillisecondsSmallAfterGc),
                Round(r.VerifySeconds), Round(r.VerifyPeakRssMiB), Round(r.RegistryBytesPerTable), Round(r.StoreBytesPerTable),
                r.CliGetMilliseconds / r.CliGetMillisecondsSmall <= ScaleBenchmark.CliGetRatioGoal && r.CliGetMillisecondsAfterGc / r.CliGetMillisecondsSmallAfterGc <= ScaleBenchmark.CliGetRatioGoal,
                r.ServeReadyMilliseconds <= ScaleBenchmark.ServeReadyGoalMilliseconds,
                new[] { r.LsJsonPeakRssMiB, r.GcPeakRssMiB, r.VerifyPeakRssMiB }.All(peak => peak < ScaleBenchmark.WalkRssGoalMiB)
                    && r.ListFlightsRssGrowthMiB <= ScaleBenchmark.ListFlightsGrowthGoalMiB && r.ServeIdleRssMiB < ScaleBenchmark.IdleNodeRssGoalMiB);
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText(report, WireJsonContext.Default.ScaleReport));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("measure", $"{r.Blocks:N0} tables", $"{ScaleBenchmark.SmallBlocks} tables", "goal");
            table.AddRow("open (in process)", $"{F(r.OpenMilliseconds)} ms", $"{F(r.OpenMillisecondsSmall)} ms", string.Empty);
            table.AddRow("get p50 (in process)", $"{F(r.GetMicrosecondsP50)} µs", $"{F(r.GetMicrosecondsP50Small)} µs", string.Empty);
            table.AddRow("arrowcid get (a process)", $"{F(r.CliGetMilliseconds)} ms", $"{F(r.CliGetMillisecondsSmall)} ms", Goal(report.CliGetGoalMet, "<= 1.2x"));
            table.AddRow("serve ready", $"{F(r.ServeReadyMilliseconds)} ms", $"{F(r.ServeReadyMillisecondsSmall)} ms", Goal(report.ServeReadyGoalMet, "<= 200 ms"));
            table.AddRow("ListFlights", $"{F(r.ListFlightsSeconds)} s, {r.ListFlightsCount:N0} flights, RSS +{F(r.ListFlightsRssGrowthMiB)} MiB", string.Empty, Goal(r.ListFlightsRssGrowthMiB <= ScaleBenchmark.ListFlightsGrowthGoalMiB, "<= 64 MiB"));
            table.AddRow("ls --json", $"{F(r.LsJsonSeconds)} s, peak RSS {F(r.LsJsonPeakRssMiB)} MiB", string.Empty, Goal(r.LsJsonPeakRssMiB < ScaleBenchmark.WalkRssGoalMiB, "< 128 MiB"));
            table.AddRow("gc", $"{F(r.GcSeconds)} s, peak RSS {F(r.GcPeakRssMiB)} MiB, {r.GcRemovedTables:N0} tables removed", string.Empty, Goal(r.GcPeakRssMiB < ScaleBenchmark.WalkRssGoalMiB, "< 128 MiB"));
            table.AddRow("after gc: open, arrowcid get", $"{F(r.OpenMillisecondsAfterGc)} ms, {F(r.CliGetMillisecondsAfterGc)} ms", $"{F(r.CliGetMillisecondsSmallAfterGc)} ms", Goal(r.CliGetMillisecondsAfterGc / r.CliGetMillisecondsSmallAfterGc <= ScaleBenchmark.CliGetRatioGoal, "<= 1.2x"));
            table.AddRow("verify", $"{F(r.VerifySeconds)} s, peak RSS {F(r.VerifyPeakRssMiB)} MiB", string.Empty, Goal(r.VerifyPeakRssMiB < ScaleBenchmark.WalkRssGoalMiB, "< 128 MiB"));
            table.AddRow("registry / store bytes per table", $"{F(r.RegistryBytesPerTable)} / {F(r.StoreBytesPerTable)}", string.Empty, string.Empty);
            PlainConsole(console.Out).Write(table);
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"built in {r.BuildSeconds:F1} s under {parent} ({(parse.GetValue(keep) ? "kept" : "removed")}); idle node {r.ServeIdleRssMiB:F0} MiB"));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Native(CliConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var library = new Option<string?>("--library") { Description = "libarrowcid.so (default: $ARROWCID_LIBRARY, else artifacts/native/libarrowcid.so of the checkout this program was built in)", HelpName = "FILE" };
        var command = new Command("native", "libarrowcid through its C ABI from Python: cid_of of a 256 MiB table next to SHA-256, a put next to the C# put, attach of 1 GiB next to 1 KiB, and a Python subscriber's wake-up after a C# publish") { json, library };
        command.SetAction(parse =>
        {
            string root = CheckoutRoot() ?? throw new CliException("bench native runs in a checkout of ArrowCid (it needs clients/python): no ArrowCid.sln above " + AppContext.BaseDirectory);
            string file = parse.GetValue(library) ?? Environment.GetEnvironmentVariable("ARROWCID_LIBRARY") ?? Path.Combine(root, "artifacts", "native", "libarrowcid.so");
            var r = NativeBenchmark.Run(Path.GetFullPath(file), root, IpcBenchmark.DefaultScratchRoot());
            bool cidMet = r.CidRatio >= NativeBenchmark.CidGoal;
            bool putMet = r.PutRatio >= NativeBenchmark.PutGoal;
            bool attachMet = r.AttachRatio <= NativeBenchmark.AttachGoal;
            bool notifyMet = r.NotifyP50Microseconds <= NativeBenchmark.NotifyGoalMicroseconds;
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText(
                    new NativeReport(
                        r.Isa, r.TableBytes, Round(r.CidGbps), Round(r.Sha256Gbps), Round(r.CidRatio), Round(r.Sha256OneThreadGbps), Round(r.CidRatioOneThread), Round(r.PutGbps), Round(r.CSharpPutGbps), Round(r.PutRatio),
                        Round(r.AttachMicroseconds1GiB), Round(r.AttachMicroseconds1KiB), Round(r.AttachRatio), Round(r.NotifyP50Microseconds), Round(r.NotifyP99Microseconds),
                        cidMet, putMet, attachMet, notifyMet),
                    WireJsonContext.Default.NativeReport));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("measure", "value", "against", "goal");
            table.AddRow("build in use (arrowcid_isa)", r.Isa, string.Empty, string.Empty);
            table.AddRow("cid_of (C ABI, from Python)", $"{F(r.CidGbps)} GB/s", $"{F(r.CidRatio)}x SHA-256 on {Environment.ProcessorCount} threads ({F(r.Sha256Gbps)} GB/s; {F(r.CidRatioOneThread)}x one thread's)", Goal(cidMet, $">= {NativeBenchmark.CidGoal.ToString(CultureInfo.InvariantCulture)}x"));
            table.AddRow("put (C ABI, from Python)", $"{F(r.PutGbps)} GB/s", $"{F(r.PutRatio)}x the C# put ({F(r.CSharpPutGbps)} GB/s)", Goal(putMet, $">= {NativeBenchmark.PutGoal.ToString(CultureInfo.InvariantCulture)}x"));
            table.AddRow("attach 1 GiB (from Python)", $"{F(r.AttachMicroseconds1GiB)} µs", $"{F(r.AttachRatio)}x attach 1 KiB ({F(r.AttachMicroseconds1KiB)} µs)", Goal(attachMet, $"<= {NativeBenchmark.AttachGoal.ToString(CultureInfo.InvariantCulture)}x"));
            table.AddRow("notify C# → Python, p50 / p99", $"{F(r.NotifyP50Microseconds)} / {F(r.NotifyP99Microseconds)} µs", string.Empty, Goal(notifyMet, $"p50 <= {NativeBenchmark.NotifyGoalMicroseconds.ToString(CultureInfo.InvariantCulture)} µs"));
            PlainConsole(console.Out).Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    // The checkout this program runs from: the folder above it holding ArrowCid.sln.
    private static string? CheckoutRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "ArrowCid.sln")))
            {
                return folder.FullName;
            }
        }

        return null;
    }

    private static Command Sql(CliConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var size = SizeOption($"Table size in MiB (1..{MaxSizeMib}): put into a scratch repository and exported as Parquet beside it", 1024);
        var dir = new Option<string?>("--dir") { Description = "Where the scratch repository and Parquet file go, on one disk (default: the folder holding the repository); removed after", HelpName = "DIR" };
        var command = new Command("sql", "SQL over a table's blocks (arrowcid sql's engine) next to DuckDB reading its Parquet export, a small query's first batch over Flight SQL, and a repeated query answered by its stored result") { json, size, dir };
        command.SetAction(parse =>
        {
            string parent = parse.GetValue(dir) ?? Path.GetDirectoryName(Repository.LocalRepository.ResolvePath(null))!;
            Directory.CreateDirectory(parent);
            var r = CliErrors.About(parent, () => SqlBenchmark.RunAsync((long)parse.GetValue(size) << 20, parent).GetAwaiter().GetResult());
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText(
                    new SqlBenchReport(
                        r.Folder, r.TableBytes, r.Rows, r.ParquetBytes,
                        Round(r.ScanSeconds), Round(r.ScanParquetSeconds), Round(r.JoinSeconds), Round(r.JoinParquetSeconds),
                        Round(r.ScanRatio), Round(r.JoinRatio), Round(r.QueryRatio), Round(r.FirstBatchMilliseconds),
                        Round(r.FirstRunSeconds), Round(r.CachedSeconds), Round(r.CachedRatio),
                        r.QueryGoalMet, r.FirstBatchGoalMet, r.CachedGoalMet),
                    WireJsonContext.Default.SqlBenchReport));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("measure", "value", "vs peer", "goal");
            table.AddRow("scan-heavy query, DuckDB over Parquet", $"{F(r.ScanParquetSeconds)} s", "1x", string.Empty);
            table.AddRow("scan-heavy query, over our blocks", $"{F(r.ScanSeconds)} s", $"{F(r.ScanRatio)}x", Goal(r.ScanRatio <= 1.0, "<= 1.0x"));
            table.AddRow("join-heavy query, DuckDB over Parquet", $"{F(r.JoinParquetSeconds)} s", "1x", string.Empty);
            table.AddRow("join-heavy query, over our blocks", $"{F(r.JoinSeconds)} s", $"{F(r.JoinRatio)}x", Goal(r.JoinRatio <= 1.0, "<= 1.0x"));
            table.AddRow("small query's first batch over Flight SQL", $"{F(r.FirstBatchMilliseconds)} ms", string.Empty, Goal(r.FirstBatchGoalMet, "<= 20 ms"));
            table.AddRow("repeated query, its stored result", $"{F(r.CachedSeconds)} s", $"{F(r.CachedRatio)}x of its first run", Goal(r.CachedGoalMet, "<= 0.05x"));
            PlainConsole(console.Out).Write(table);
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"a table of {r.Rows} rows, {r.TableBytes} bytes of blocks, {r.ParquetBytes} bytes of Parquet (zstd), in {r.Folder} (removed)"));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Ingest(CliConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var dir = new Option<string?>("--dir") { Description = "A folder on the disk to measure (default: the folder holding the repository, ~/.arrowcid or ARROWCID_REPO); not /dev/shm, where fsync does nothing", HelpName = "DIR" };
        var seconds = new Option<double>("--seconds") { Description = "How long each measure runs (1..60); each put measure first warms up as long, untimed", DefaultValueFactory = _ => 3, HelpName = "S" };
        var command = new Command("ingest", $"Durable ingestion of many small tables: the disk's fsync limit, puts of distinct 1 KiB tables from one client and from {IngestBenchmark.Clients} concurrent DoPut clients, and the space they take") { json, dir, seconds };
        command.SetAction(parse =>
        {
            string parent = parse.GetValue(dir) ?? Path.GetDirectoryName(Repository.LocalRepository.ResolvePath(null))!;
            double each = Math.Clamp(parse.GetValue(seconds), 1, 60);
            var r = CliErrors.About(parent, () => IngestBenchmark.RunAsync(parent, each).GetAwaiter().GetResult());
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText(Report(r), WireJsonContext.Default.IngestReport));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("measure", "value", "vs fsync appends", "goal");
            table.AddRow($"fsync appends of {r.TableBytes} bytes, one thread", $"{F(r.FsyncAppendsPerSecond)}/s", "1x", string.Empty);
            table.AddRow("durable puts, one client in sequence", $"{F(r.PutsPerSecond1)}/s", $"{F(r.PutsPerSecond1 / r.FsyncAppendsPerSecond)}x", Goal(r.SingleGoalMet, ">= 0.5x"));
            table.AddRow($"durable puts, {IngestBenchmark.Clients} DoPut clients", $"{F(r.PutsPerSecond16)}/s", $"{F(r.PutsPerSecond16 / r.FsyncAppendsPerSecond)}x", Goal(r.Concurrent16GoalMet, ">= 5,000/s and >= 1.0x"));
            table.AddRow("disk bytes / block bytes", F(r.SpaceRatio), string.Empty, Goal(r.SpaceGoalMet, "<= 1.2"));
            PlainConsole(console.Out).Write(table);
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"in {r.Folder} (removed); {r.Puts16} puts by {IngestBenchmark.Clients} clients in {r.Commits16} group commits, {r.CpuMicrosecondsPerPut16:F0} µs of CPU a put (all threads); registry {r.RegistryBytesPerBlock:F0} bytes per block; warm-ups {r.WarmUpSeconds1:F1} s and {r.WarmUpSeconds16:F1} s, methods compiled while timed {r.JitMethodsInMeasure1} and {r.JitMethodsInMeasure16}"));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static IngestReport Report(IngestBenchmarkResult r) => new(
        r.Folder,
        r.TableBytes,
        Round(r.WarmUpSeconds1),
        Round(r.WarmUpSeconds16),
        r.JitMethodsInMeasure1,
        r.JitMethodsInMeasure16,
        Round(r.FsyncAppendsPerSecond),
        Round(r.PutsPerSecond1),
        Round(r.CpuMicrosecondsPerPut1),
        Round(r.PutsPerSecond16),
        Round(r.SpaceRatio),
        Round(r.RegistryBytesPerBlock),
        r.Puts16,
        r.Commits16,
        Round(r.CommitMillisecondsPerGroup16),
        Round(r.LongestCommitMilliseconds16),
        Round(r.CpuMicrosecondsPerPut16),
        r.Collections16,
        Round(r.GcPauseShare16),
        Round(r.PutsPerSecond1 / r.FsyncAppendsPerSecond),
        Round(r.PutsPerSecond16 / r.FsyncAppendsPerSecond),
        r.SingleGoalMet,
        r.Concurrent16GoalMet,
        r.SpaceGoalMet);

    private static Command Dedup(CliConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var size = SizeOption($"Table size in MiB (1..{MaxSizeMib}); built in memory first (about 1.2x this), stored on /dev/shm (about 2x this there at most)", 1024);
        var command = new Command("dedup", "Content-defined chunking through the real put path: new bytes stored after an append, insert, delete and scattered update of a mixed table, its chunk sizes, and put and cid throughput next to SHA-256") { json, size };
        command.SetAction(parse =>
        {
            int sizeMib = parse.GetValue(size);
            string scratch = IpcBenchmark.DefaultScratchRoot();
            var r = CliErrors.About(scratch, () => DedupBenchmark.Run(sizeMib * (1L << 20), scratch));
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText(Report(r, sizeMib), WireJsonContext.Default.DedupReport));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("measure", "value", "vs SHA-256", "goal");
            table.AddRow($"put into {r.ScratchRoot} (ContentRepository.PutStream)", $"{F(r.PutGbps)} GB/s", $"{F(r.PutRatio)}x", Goal(r.PutGoalMet, ">= 0.7x"));
            table.AddRow("cid (ContentRepository.ComputeCids)", $"{F(r.CidGbps)} GB/s", $"{F(r.CidRatio)}x", Goal(r.CidGoalMet, ">= 0.85x"));
            table.AddRow($"SHA-256 (IncrementalHash) on {Environment.ProcessorCount} threads, as put and cid use", $"{F(r.Sha256Gbps)} GB/s", "1x", string.Empty);
            table.AddRow("SHA-256 on one thread (context)", $"{F(r.Sha256OneThreadGbps)} GB/s", $"cid {F(r.CidRatioOneThread)}x", string.Empty);
            table.AddRow("append 1 %: new bytes stored", P(r.Append.NewRatio), string.Empty, Goal(r.AppendGoalMet, "<= 2 %"));
            table.AddRow("insert 1 % in the middle: new bytes stored", P(r.Insert.NewRatio), string.Empty, Goal(r.InsertGoalMet, "<= 3 %"));
            table.AddRow("delete 1 % in the middle: new bytes stored", P(r.Delete.NewRatio), string.Empty, Goal(r.DeleteGoalMet, "<= 3 %"));
            table.AddRow("update 1 % in 100 places: new bytes stored", P(r.Update.NewRatio), string.Empty, Goal(r.UpdateGoalMet, "<= 25 %"));
            table.AddRow("chunks within 2x of the 256 KiB target", P(r.Sizes.WithinTwiceTarget), string.Empty, "mostly");
            PlainConsole(console.Out).Write(table);
            console.Out.WriteLine($"table: {r.Rows} rows, {r.ChunkBytes} bytes in {r.Chunks} chunks (median {r.Sizes.Median}, p10 {r.Sizes.P10}, p90 {r.Sizes.P90}, max {r.Sizes.Max}) and {r.ManifestNodes} manifest nodes; medians of {r.Rounds} interleaved rounds");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static DedupReport Report(DedupBenchmarkResult r, int sizeMib) => new(
        sizeMib,
        r.Rows,
        r.TableBytes,
        r.ChunkBytes,
        r.Chunks,
        r.ManifestNodes,
        r.Rounds,
        r.ScratchRoot,
        Round(r.PutGbps),
        Round(r.CidGbps),
        Round(r.Sha256Gbps),
        Round(r.PutRatio),
        Round(r.CidRatio),
        Round(r.Sha256OneThreadGbps),
        Round(r.CidRatioOneThread),
        r.Sizes.P10,
        r.Sizes.Median,
        r.Sizes.P90,
        r.Sizes.Max,
        Round(r.Sizes.WithinTwiceTarget),
        Round(r.Append.NewRatio),
        r.Append.NewBytes,
        r.Append.NewBlocks,
        Round(r.Insert.NewRatio),
        r.Insert.NewBytes,
        r.Insert.NewBlocks,
        Round(r.Delete.NewRatio),
        r.Delete.NewBytes,
        r.Delete.NewBlocks,
        Round(r.Update.NewRatio),
        r.Update.NewBytes,
        r.Update.NewBlocks,
        r.AppendGoalMet,
        r.InsertGoalMet,
        r.DeleteGoalMet,
        r.UpdateGoalMet,
        r.CidGoalMet,
        r.PutGoalMet);

    /// <summary>A <c>--size-mib</c> option checked to lie in 1..<see cref="MaxSizeMib"/>.</summary>
    private static Option<int> SizeOption(string description, int defaultMib)
    {
        var size = new Option<int>("--size-mib") { Description = description, DefaultValueFactory = _ => defaultMib, HelpName = "N" };
        size.Validators.Add(result =>
        {
            // A token that is not a number is already reported by the parser; judge only numbers.
            if (result.Tokens.Count == 1 && int.TryParse(result.Tokens[0].Value, CultureInfo.InvariantCulture, out int mib) && mib is < 1 or > MaxSizeMib)
            {
                result.AddError($"--size-mib must be between 1 and {MaxSizeMib}");
            }
        });
        return size;
    }

    private static Command Chunk(CliConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var size = SizeOption($"Table size in MiB (1..{MaxSizeMib}); needs about 3x this in memory", 256);
        var command = new Command("chunk", "Content-defined chunking of a mixed table next to SHA-256 of the same bytes, and the new bytes after an append, insert, delete and scattered update") { json, size };
        command.SetAction(parse =>
        {
            var r = ChunkBenchmark.Run(parse.GetValue(size) * (1L << 20));
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText(Report(r, parse.GetValue(size)), WireJsonContext.Default.ChunkReport));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("measure", "value", "vs SHA-256 / goal");
            table.AddRow("chunk (row hash, boundaries, canonical chunks, encoding)", $"{F(r.ChunkGbps)} GB/s", $"{F(r.ChunkRatio)}x");
            table.AddRow("row hash alone", $"{F(r.RowHashGbps)} GB/s", $"{F(r.RowHashRatio)}x");
            table.AddRow("name the table (chunk, SHA-256 each chunk, tree; batches prepared ahead on a second thread)", $"{F(r.CidGbps)} GB/s", $"{F(r.CidRatio)}x");
            table.AddRow("name the table on one thread", $"{F(r.CidInlineGbps)} GB/s", $"{F(r.CidInlineRatio)}x");
            table.AddRow("SHA-256 (IncrementalHash)", $"{F(r.Sha256Gbps)} GB/s", "1x");
            table.AddRow("append 1 %: new bytes", P(r.Append.NewRatio), "<= 2 %");
            table.AddRow("insert 1 % in the middle: new bytes", P(r.Insert.NewRatio), "<= 3 %");
            table.AddRow("delete 1 % in the middle: new bytes", P(r.Delete.NewRatio), "<= 3 %");
            table.AddRow("update 1 % in 100 places: new bytes", P(r.Update.NewRatio), "<= 25 %");
            table.AddRow("chunks within 2x of the 256 KiB target", P(r.Sizes.WithinTwiceTarget), "mostly");
            PlainConsole(console.Out).Write(table);
            console.Out.WriteLine($"table: {r.Rows} rows in {r.Batches} batches, {r.ChunkBytes} bytes in {r.Chunks} chunks (median {r.Sizes.Median}, p10 {r.Sizes.P10}, p90 {r.Sizes.P90}, max {r.Sizes.Max}), {r.Nodes} manifest nodes in {r.Height} levels");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static ChunkReport Report(ChunkBenchmarkResult r, int sizeMib) => new(
        sizeMib,
        r.Rows,
        r.Batches,
        r.ChunkBytes,
        r.Chunks,
        r.Nodes,
        r.Height,
        Round(r.ChunkGbps),
        Round(r.RowHashGbps),
        Round(r.CidGbps),
        Round(r.Sha256Gbps),
        Round(r.ChunkRatio),
        Round(r.RowHashRatio),
        Round(r.CidRatio),
        Round(r.CidInlineGbps),
        Round(r.CidInlineRatio),
        r.Sizes.P10,
        r.Sizes.Median,
        r.Sizes.P90,
        r.Sizes.Max,
        Round(r.Sizes.WithinTwiceTarget),
        Round(r.Append.NewRatio),
        Round(r.Insert.NewRatio),
        Round(r.Delete.NewRatio),
        Round(r.Update.NewRatio),
        r.Append.NewChunks,
        r.Insert.NewChunks,
        r.Delete.NewChunks,
        r.Update.NewChunks,
        r.DedupGoalsMet);

    private static string P(double ratio) => ratio.ToString("0.00 %", CultureInfo.InvariantCulture);

    private static Command Cid(CliConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var size = SizeOption($"Batch size in MiB (1..{MaxSizeMib}); needs about 5x this in memory", 256);
        var command = new Command("cid", "CID throughput of one large batch (canonical, and sliced with nulls) and put throughput, next to SHA-256 of the same bytes") { json, size };
        command.SetAction(parse =>
        {
            string scratch = IpcBenchmark.DefaultScratchRoot();
            var r = CliErrors.About(scratch, () => CidBenchmark.Run(parse.GetValue(size) * (1L << 20), scratch));
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText(
                    new CidReport(
                        parse.GetValue(size),
                        r.CanonicalBytes,
                        r.Rows,
                        r.InputWasCanonical,
                        Round(r.CidGbps),
                        Round(r.Sha256Gbps),
                        Round(r.Ratio),
                        Round(r.CidSlicedGbps),
                        r.SlicedBytes,
                        Round(r.SlicedRatio),
                        Round(r.PutGbps),
                        Round(r.PutRatio),
                        r.ScratchDirectory,
                        r.RatioGoalMet,
                        r.PutGoalMet),
                    WireJsonContext.Default.CidReport));
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("measure", "value", "vs SHA-256", "goal");
            table.AddRow("cid, canonical batch", $"{F(r.CidGbps)} GB/s", $"{F(r.Ratio)}x", Goal(r.RatioGoalMet, ">= 0.9x"));
            table.AddRow("cid, sliced batch with nulls", $"{F(r.CidSlicedGbps)} GB/s", $"{F(r.SlicedRatio)}x", string.Empty);
            table.AddRow("SHA-256 (IncrementalHash)", $"{F(r.Sha256Gbps)} GB/s", "1x", string.Empty);
            table.AddRow($"put into {r.ScratchDirectory}", $"{F(r.PutGbps)} GB/s", $"{F(r.PutRatio)}x", Goal(r.PutGoalMet, $">= {CidBenchmarkResult.PutGoal.ToString(CultureInfo.InvariantCulture)}x"));
            PlainConsole(console.Out).Write(table);
            console.Out.WriteLine($"batch: {r.Rows} rows, {r.CanonicalBytes} canonical bytes (input canonical: {(r.InputWasCanonical ? "yes" : "no")}); slice: {r.SlicedBytes} bytes");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static IAnsiConsole PlainConsole(TextWriter output) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = AnsiSupport.No,
        ColorSystem = ColorSystemSupport.NoColors,
        Out = new AnsiConsoleOutput(output),
    });

    private static Command Ipc(CliConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var size = SizeOption($"Table size in MiB (1..{MaxSizeMib}); needs about 4x this in memory", 1024);
        var command = new Command("ipc", "Arrow IPC write/read throughput next to memcpy, and mapped-file open time at 1 MiB and full size") { json, size };
        command.SetAction(parse =>
        {
            int sizeMib = parse.GetValue(size);
            string scratch = IpcBenchmark.DefaultScratchRoot();
            var result = CliErrors.About(scratch, () => IpcBenchmark.Run(sizeMib * (1L << 20), scratch));
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText(Report(result, sizeMib), WireJsonContext.Default.IpcReport));
            }
            else
            {
                PrintTable(console.Out, result, sizeMib);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static IpcReport Report(IpcBenchmarkResult r, int sizeMib) => new(
        sizeMib,
        r.EncodedBytes,
        r.Rows,
        r.Batches,
        IpcBenchmarkResult.WriteDestination,
        Round(r.WriteGbps),
        Round(r.ReadGbps),
        Round(r.MemcpyGbps),
        Round(r.WriteToMemcpy),
        Round(r.ReadToMemcpy),
        Round(r.MapOpenMsSmall),
        Round(r.MapOpenMsLarge),
        Round(r.MapOpenLargeToSmall),
        r.SmallFileBytes,
        r.LargeFileBytes,
        r.ScratchDirectory,
        r.WriteGoalMet,
        r.MapOpenGoalMet,
        Round(r.ApacheWriteGbps),
        Round(r.ApacheReadGbps),
        Round(r.WriteRatioVsApache),
        Round(r.ReadRatioVsApache));

    private static void PrintTable(TextWriter output, IpcBenchmarkResult r, int sizeMib)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(output),
        });
        var table = new Table().AddColumns("measure", "value", "vs limit", "goal");
        table.AddRow("write (to memory)", $"{F(r.WriteGbps)} GB/s", $"{F(r.WriteToMemcpy)}x memcpy", Goal(r.WriteGoalMet, ">= 0.5x memcpy"));
        table.AddRow("read (zero-copy)", $"{F(r.ReadGbps)} GB/s", $"{F(r.ReadToMemcpy)}x memcpy", string.Empty);
        table.AddRow("memcpy (Span.CopyTo)", $"{F(r.MemcpyGbps)} GB/s", "1x", string.Empty);
        table.AddRow("Apache.Arrow write", $"{F(r.ApacheWriteGbps)} GB/s", $"ours {F(r.WriteRatioVsApache)}x", string.Empty);
        table.AddRow("Apache.Arrow read", $"{F(r.ApacheReadGbps)} GB/s", $"ours {F(r.ReadRatioVsApache)}x", string.Empty);
        table.AddRow($"map open, {Mib(r.SmallFileBytes)} file", $"{F(r.MapOpenMsSmall)} ms", "1x", string.Empty);
        table.AddRow($"map open, {Mib(r.LargeFileBytes)} file", $"{F(r.MapOpenMsLarge)} ms", $"{F(r.MapOpenLargeToSmall)}x small", Goal(r.MapOpenGoalMet, "<= 2x small"));
        console.Write(table);
        output.WriteLine($"table: {sizeMib} MiB requested, {r.EncodedBytes} bytes encoded, {r.Rows} rows in {r.Batches} batches; write target: {IpcBenchmarkResult.WriteDestination}; files in {r.ScratchDirectory}");
    }

    private static string Goal(bool met, string goal) => $"{goal}: {(met ? "met" : "MISSED")}";

    private static string F(double value) => value.ToString(value < 10 ? "0.000" : "0.0", CultureInfo.InvariantCulture);

    private static string Mib(long bytes) => $"{(bytes / (double)(1 << 20)).ToString("0.0", CultureInfo.InvariantCulture)} MiB";
}
