using System.CommandLine;
using System.Globalization;
using ArrowCid.Wire;
using ArrowCid.Node;
using ArrowCid.Registry;
using ArrowCid.Flight.Client;
using ArrowCid.Repository;

namespace ArrowCid.Cli.Commands;

/// <summary><c>arrowcid ls | info | pin | unpin | gc | verify</c> (and <c>names | log</c>): the registry and upkeep of the local repository.</summary>
internal static class RepositoryCommands
{
    public static IEnumerable<Command> Create(CliConsole console, RepositoryOption repository)
    {
        yield return List(console, repository);
        yield return Info(console, repository);
        yield return Pinning(console, repository, pin: true);
        yield return Pinning(console, repository, pin: false);
        yield return Gc(console, repository);
        yield return Verify(console, repository);
        foreach (var command in NameCommands.Create(console, repository))
        {
            yield return command;
        }
    }

    private static Command List(CliConsole console, RepositoryOption repository)
    {
        var tags = TagOption.Create("Only records carrying KEY=VALUE (repeatable; all must match)");
        var json = new Option<bool>("--json") { Description = "Print one JSON array of records, written as they are read" };
        var jsonLines = new Option<bool>("--jsonl") { Description = "Print one JSON object per record per line (JSON Lines)" };
        var all = new Option<bool>("--all", "-a") { Description = "Every registered block: a table's chunks and manifest nodes too, not only the table" };
        var command = new Command("ls", "List the tables (and imported arrow-stream and foreign blocks), oldest first: kind, CID, rows, bytes (a table's root block), created, pin, tags; --all lists every block") { tags, all, json, jsonLines };
        command.SetAction(parse =>
        {
            using var node = repository.OpenNode(parse);
            // Walked a window at a time and written as read: memory stays flat at any size, --json included.
            var records = node.Registry.Walk(new RegistryQuery { Tags = TagOption.Parse(parse.GetValue(tags)), TablesOnly = !parse.GetValue(all) });
            using var array = parse.GetValue(json) ? new JsonArrayOutput(console.Out) : null;
            foreach (var record in records)
            {
                if (array is not null)
                {
                    array.Add(WireJson.ToIndentedText(ContentOutput.Entry(record), WireJsonContext.Default.RecordEntry));
                }
                else
                {
                    console.Out.WriteLine(parse.GetValue(jsonLines) ? WireJson.ToText(ContentOutput.Entry(record), WireJsonContext.Default.RecordEntry) : ContentOutput.ListLine(record));
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Info(CliConsole console, RepositoryOption repository)
    {
        var cid = ContentCommands.ContentArgument("A registered block (a table, a chunk, a manifest node, a foreign block)");
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("info", "Print what the registry knows about a CID") { cid, json };
        command.SetAction(parse =>
        {
            using var node = repository.OpenNode(parse);
            var id = CliCids.Resolve(parse.GetRequiredValue(cid), node.Registry);
            var record = node.Find(id) ?? throw new CliException($"not found: {id}");

            // A table's root block is its manifest: the table's own size is all its blocks'.
            var table = record.Kind == BlockKind.Dataset && node.Content.Repository.Blocks.Has(id) ? TableBlocks.Read(node.Content, id) : null;
            var entry = ContentOutput.Entry(record) with { TableBytes = table?.Bytes, TableBlocks = table?.Blocks.Count };
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText(entry, WireJsonContext.Default.RecordEntry));
            }
            else
            {
                foreach (string line in ContentOutput.InfoLines(record, table))
                {
                    console.Out.WriteLine(line);
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Pinning(CliConsole console, RepositoryOption repository, bool pin)
    {
        var cid = ContentCommands.ContentArgument("A registered block (a table, a chunk, a manifest node, a foreign block)");
        var command = pin
            ? new Command("pin", "Keep a CID (and a table's manifest nodes and chunks) through gc") { cid }
            : new Command("unpin", "Let the next gc remove a CID unless a pinned or named table links it") { cid };
        command.SetAction(parse =>
        {
            using var node = repository.OpenNode(parse);
            var id = CliCids.Resolve(parse.GetRequiredValue(cid), node.Registry);
            bool found = node.SetPin(id, pin);
            if (!found)
            {
                throw new CliException($"not found: {id}");
            }

            console.Out.WriteLine($"{(pin ? "pinned" : "unpinned")} {id}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Gc(CliConsole console, RepositoryOption repository)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var minCopies = new Option<int>("--min-copies")
        {
            Description = "With a shared registry: the copies of a named or pinned block kept across the nodes; this node drops its copy only while that many other nodes serve it, fetched and re-hashed now (default 1)",
            DefaultValueFactory = _ => GcReplication.DefaultMinCopies,
        };
        minCopies.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--min-copies must be at least 1");
            }
        });
        var keepRetained = new Option<bool>("--keep-retained") { Description = "With a shared registry: keep every named or pinned block held here, whatever other nodes hold" };
        var grace = DurationOption.Create(
            "--grace",
            "With a bucket (--blocks): leave objects written within this, whatever the registry says",
            "1h");
        var peerToken = new Option<string?>("--peer-token") { Description = "The token other nodes ask for (as their serve --token gives it), to fetch the blocks that prove their copies" };
        var command = new Command("gc", "Remove every block neither pinned, nor a version of a table name, nor linked by a pinned or named table; on a node sharing a registry, hand over retained blocks other nodes verifiably serve") { json, minCopies, keepRetained, peerToken, grace, repository.Blocks };
        command.SetAction(parse =>
        {
            using var node = repository.OpenNode(parse);
            // The bucket first: a store that cannot be reached stops gc before anything is removed.
            var tier = OpenTier(node);
            using var peers = new PeerBlockCheck(new FlightClientOptions { Token = parse.GetValue(peerToken) });
            var replication = parse.GetValue(keepRetained) ? null : new GcReplication(parse.GetValue(minCopies), peers.Serves);
            // In registry rows walked, against the rows the registry holds (one aggregate query).
            long rows = Math.Max(1, node.Content.Repository.Registry.CountByKind().Values.Sum(total => total.Records));
            if (parse.GetValue(json))
            {
                // The removed blocks stream into the document's two arrays as they go (every
                // registered one comes before any unregistered one); the totals follow them.
                GcReport totals;
                using (var lists = new GcJsonOutput(console.Out))
                {
                    totals = CliProgress.Run(console, "collecting garbage", rows, advance => node.Gc(replication, lists.Add, walked => advance(walked)));
                }

                // The counts of what was removed are the two arrays' lengths: one member each.
                var summary = new GcSummary(
                    totals.RemovedTempFiles,
                    totals.BytesFreed,
                    totals.Retained,
                    totals.LocationsReleased,
                    totals.LocationsRecorded,
                    ContentOutput.Texts(totals.HandedOver),
                    totals.BelowMinCopies,
                    totals.AbandonedGuards,
                    [.. peers.Unreachable.Keys],
                    totals.PacksRewritten,
                    CollectBucket(node, parse.GetValue(grace), _ => { }) is { } bucket
                        ? new BucketGcSummary(tier!.Location.ToString(), bucket.Listed, bucket.Retained, bucket.WithinGrace, bucket.KeptByRegistry, bucket.Deleted, bucket.BytesFreed, bucket.Packs, bucket.PacksDeleted, bucket.PacksRewritten, bucket.BytesRewritten, bucket.JournalObjectsReplaced, bucket.JournalObjectsWritten)
                        : null);
                GcJsonOutput.Finish(console.Out, WireJson.ToIndentedText(summary, WireJsonContext.Default.GcSummary));
                return ExitCodes.Ok;
            }

            var report = CliProgress.Run(console, "collecting garbage", rows, advance => node.Gc(
                replication,
                removal => console.Out.WriteLine(removal.HandedOver ? $"handed over {removal.Cid}" : $"removed {removal.Cid}"),
                walked => advance(walked)));
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"gc: removed {CliText.Count(report.RecordsRemoved, "record")} and {CliText.Count(report.OrphansRemoved, "unregistered block")} ({CliText.Count(report.BytesFreed, "byte")}), {CliText.Count(report.RemovedTempFiles, "temporary file")}; {report.Retained} retained{(node.Shared is null ? string.Empty : $" (with every node's names and pins in the shared registry); this node's location released for {report.LocationsReleased}")}"));
            if (report.HandedOver.Count > 0)
            {
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"gc: handed over {report.HandedOver.Count} retained blocks, each served verified by at least {replication!.MinCopies} other nodes"));
            }

            if (report.BelowMinCopies > 0)
            {
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"gc: kept {report.BelowMinCopies} retained blocks recorded in fewer than {replication!.MinCopies} copies (--min-copies): replicate them to be safe"));
            }

            foreach (var (location, why) in peers.Unreachable)
            {
                console.Out.WriteLine($"gc: could not reach {location}: {why}");
            }

            if (report.AbandonedGuards > 0)
            {
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"gc: {report.AbandonedGuards} puts had died halfway; what only they held was removed"));
            }

            if (CollectBucket(node, parse.GetValue(grace), cid => console.Out.WriteLine($"deleted {cid} from {tier!.Location}")) is { } bucketReport)
            {
                console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"gc: {tier!.Location}: deleted {CliText.Count(bucketReport.Deleted, "object")} ({bucketReport.PacksDeleted} of them packs, {bucketReport.PacksRewritten} rewritten with {CliText.Count(bucketReport.BytesRewritten, "byte")} kept; {CliText.Count(bucketReport.BytesFreed, "byte")}) of {bucketReport.Listed}; kept {bucketReport.Retained} a name or pin reaches, {bucketReport.WithinGrace} written within the grace period, {bucketReport.KeptByRegistry} a put's guard or a new name kept; the registry's journal: {CliText.Count(bucketReport.JournalObjectsReplaced, "object")} replaced by {bucketReport.JournalObjectsWritten}"));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    // The folder's bucket (--blocks, ARROWCID_BLOCKS or what serve recorded), opened and probed; a failure is the command's one-line error.
    private static ObjectStorage.S3BlockTier? OpenTier(NodeFolder node)
    {
        try
        {
            return node.OpenTierAsync().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is FormatException or ObjectStorage.ObjectStoreException)
        {
            throw new CliException($"--blocks: {e.Message}", e);
        }
    }

    // The bucket's collection after the folder's own, when the node has a bucket.
    private static TierGcReport? CollectBucket(NodeFolder node, TimeSpan grace, Action<Content.Multiformats.Cid> deleted)
    {
        try
        {
            return node.CollectTierAsync(grace, deleted).GetAwaiter().GetResult();
        }
        catch (ObjectStorage.ObjectStoreException e)
        {
            throw new CliException($"gc of {node.Blocks}: {e.Message}", e);
        }
    }

    private static Command Verify(CliConsole console, RepositoryOption repository)
    {
        var repair = new Option<bool>("--repair") { Description = "Quarantine corrupt blocks, drop rows without blocks, tidy orphans and temporary files" };
        var rebuild = new Option<bool>("--rebuild-registry")
        {
            Description = "With --repair: move registry.db to quarantine/ and rebuild every row, name, version, tag and pin from the packs' log and the registry journal (no node may serve the folder)",
        };
        var rebuildShared = new Option<bool>("--rebuild-shared-registry")
        {
            Description = "With --repair: write this node's rows, names' versions, tags and pins into the registry it shares with other nodes again (after that registry was lost); with a bucket, first every node's, from the bucket's journal",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("verify", "Re-hash every block and check every registry row has its block; exit 1 when content is missing or damaged (unless repaired)") { repair, rebuild, rebuildShared, json, repository.Blocks };
        command.SetAction(parse =>
        {
            bool fix = parse.GetValue(repair);
            if (!fix && (parse.GetValue(rebuild) || parse.GetValue(rebuildShared)))
            {
                throw new CliException("--rebuild-registry and --rebuild-shared-registry need --repair");
            }

            RegistryRebuild? rebuilt = null;
            if (parse.GetValue(rebuild))
            {
                string path = LocalRepository.ResolvePath(parse.GetValue(repository.Option));
                try
                {
                    rebuilt = CliProgress.Run(console, "rebuilding the registry", null, _ => CliErrors.About(path, () => LocalRepository.RebuildRegistry(path)));
                }
                catch (Exception e) when (e is InvalidOperationException or InvalidDataException)
                {
                    // A node serves the folder, or the journal is not one.
                    throw new CliException($"--rebuild-registry: {e.Message}", e);
                }
            }

            using var node = repository.OpenNode(parse);
            if (rebuilt is not null)
            {
                // The versions came back without their nodes: the same rows and keys link the same chains (docs/names.md).
                node.Content.Names.LinkAll();
            }

            var tier = OpenTier(node);
            RegistryRebuild? sharedRebuilt = null;
            RegistryRebuild? bucketRebuilt = null;
            if (parse.GetValue(rebuildShared))
            {
                var shared = node.Shared ?? throw new CliException("--rebuild-shared-registry: this repository's node shares no registry (serve --registry sets one)");
                if (tier is not null)
                {
                    // Every node's changes, from the bucket (the folders may be gone), then this folder's own.
                    try
                    {
                        bucketRebuilt = CliProgress.Run(console, $"writing the shared registry again from {tier.Location}{ObjectStorage.S3BlockTier.JournalFolder}", null, _ => node.RebuildSharedFromTierAsync().GetAwaiter().GetResult());
                    }
                    catch (Exception e) when (e is ObjectStorage.ObjectStoreException or InvalidDataException)
                    {
                        throw new CliException($"--rebuild-shared-registry from {tier.Location}: {e.Message}", e);
                    }
                }

                sharedRebuilt = CliProgress.Run(console, "writing the shared registry again", null, _ => node.Content.Repository.RebuildShared(shared, node.Location));
                node.Names.LinkAll();
            }

            // In bytes hashed, against the bytes the registry records (one aggregate query).
            long recorded = node.Content.Repository.Registry.CountByKind().Values.Sum(total => total.Bytes);
            var report = CliProgress.Run(console, fix ? "verifying and repairing" : "verifying", Math.Max(1, recorded), ProgressUnit.Bytes, advance =>
                node.Content.Repository.Verify(fix, bytes => advance(bytes)));
            // With a shared registry: do its records say where this node's blocks are?
            var locations = node.VerifyLocations(fix);
            TierVerifyReport? bucket = null;
            if (tier is not null)
            {
                try
                {
                    bucket = CliProgress.Run(console, $"verifying {tier.Location}", null, advance => node.VerifyTierAsync(fix, bytes => advance(bytes)).GetAwaiter().GetResult());
                }
                catch (ObjectStorage.ObjectStoreException e)
                {
                    throw new CliException($"verify of {tier.Location}: {e.Message}", e);
                }
            }

            if (parse.GetValue(json))
            {
                var summary = Summary(report, locations, rebuilt, sharedRebuilt) with
                {
                    BucketRebuilt = Summary(bucketRebuilt),
                    Bucket = bucket is null ? null : new BucketVerifySummary(tier!.Location.ToString(), bucket.ObjectsChecked, ContentOutput.Texts(bucket.Corrupt), ContentOutput.Texts(bucket.Missing), bucket.Unregistered, bucket.Repaired, bucket.DamagedPacks),
                };
                console.Out.WriteLine(WireJson.ToIndentedText(summary, WireJsonContext.Default.VerifySummary));
            }
            else
            {
                PrintRebuild(console.Out, "registry", rebuilt);
                PrintRebuild(console.Out, $"shared registry from {tier?.Location}{ObjectStorage.S3BlockTier.JournalFolder}", bucketRebuilt);
                PrintRebuild(console.Out, "shared registry", sharedRebuilt);
                PrintVerify(console.Out, report);
                PrintLocations(console.Out, locations);
                if (bucket is not null)
                {
                    PrintBucket(console.Out, tier!.Location.ToString(), bucket);
                }
            }

            bool localOk = report.IsConsistent || report.Repaired;
            bool locationsOk = locations is null || locations.IsClean || locations.Repaired;
            bool bucketOk = bucket is null || bucket.IsClean || bucket.Repaired;
            return localOk && locationsOk && bucketOk ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }

    private static void PrintVerify(TextWriter output, VerifyReport report)
    {
        foreach (var cid in report.CorruptBlocks)
        {
            output.WriteLine($"corrupt {cid}");
        }

        foreach (var cid in report.MissingBlocks)
        {
            output.WriteLine($"missing {cid}");
        }

        foreach (var cid in report.OrphanBlocks)
        {
            output.WriteLine($"orphan {cid}");
        }

        foreach (var cid in report.Reregistered)
        {
            output.WriteLine($"re-registered {cid}");
        }

        string state = report.IsClean ? "clean" : report.Repaired ? "repaired" : report.IsConsistent ? "consistent" : "DAMAGED";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"verify: {CliText.Count(report.RecordsChecked, "record")}, {CliText.Count(report.BlocksChecked, "block")} checked; {report.CorruptBlocks.Count} corrupt, {report.MissingBlocks.Count} missing, {CliText.Count(report.OrphanBlocks.Count, "orphan")}, {CliText.Count(report.TempFiles, "temporary file")}, {CliText.Count(report.TornPackTails, "torn pack tail")}, {CliText.Count(report.DamagedPackIndexes, "damaged pack index", "damaged pack indexes")}: {state}"));
    }

    private static void PrintBucket(TextWriter output, string location, TierVerifyReport report)
    {
        foreach (var cid in report.Corrupt)
        {
            output.WriteLine($"corrupt {cid} in {location}");
        }

        foreach (var cid in report.Missing)
        {
            output.WriteLine($"missing {cid} in {location}");
        }

        foreach (string pack in report.DamagedPacks)
        {
            output.WriteLine($"damaged pack {pack} in {location}");
        }

        string state = report.IsClean ? "clean" : report.Repaired ? "repaired" : "DAMAGED";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"verify: {location}: {CliText.Count(report.ObjectsChecked, "object")} re-hashed; {report.Corrupt.Count} corrupt, {report.Missing.Count} missing, {CliText.Count(report.DamagedPacks.Count, "damaged pack")}, {report.Unregistered} no record names: {state}"));
    }

    private static void PrintRebuild(TextWriter output, string which, RegistryRebuild? rebuilt)
    {
        if (rebuilt is null)
        {
            return;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rebuilt {which}: {CliText.Count(rebuilt.Rows, "row")}, {CliText.Count(rebuilt.Versions, "version")}, {CliText.Count(rebuilt.TagChanges, "tag change")}, {CliText.Count(rebuilt.PinChanges, "pin change")}, {CliText.Count(rebuilt.Deletions, "deletion")} replayed; {CliText.Count(rebuilt.Unrecorded.Count, "block")} no entry names registered again, pinned"));
        if (rebuilt.SetAside is { } old)
        {
            output.WriteLine($"the old registry is at {old}");
        }
    }

    private static void PrintLocations(TextWriter output, LocationReport? report)
    {
        if (report is null)
        {
            return;
        }

        foreach (var cid in report.Stale)
        {
            output.WriteLine($"stale location {cid}");
        }

        foreach (var cid in report.Unrecorded)
        {
            output.WriteLine($"unrecorded location {cid}");
        }

        string state = report.IsClean ? "agree" : report.Repaired ? "repaired" : "DISAGREE";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"verify: shared registry: {report.Stale.Count} stale locations of this node, {report.Unrecorded.Count} blocks held here it does not list: {state}"));
    }

    private static RebuildSummary? Summary(RegistryRebuild? rebuilt) => rebuilt is null ? null : new(
        rebuilt.Rows, rebuilt.Versions, rebuilt.TagChanges, rebuilt.PinChanges, rebuilt.Deletions, ContentOutput.Texts(rebuilt.Unrecorded), rebuilt.SetAside);

    private static VerifySummary Summary(VerifyReport report, LocationReport? locations, RegistryRebuild? rebuilt, RegistryRebuild? sharedRebuilt) => new(
        report.RecordsChecked,
        report.BlocksChecked,
        ContentOutput.Texts(report.CorruptBlocks),
        ContentOutput.Texts(report.MissingBlocks),
        ContentOutput.Texts(report.OrphanBlocks),
        report.TempFiles,
        report.TornPackTails,
        report.Repaired,
        ContentOutput.Texts(report.Reregistered),
        report.Quarantined,
        report.IsConsistent,
        locations is null ? null : ContentOutput.Texts(locations.Stale),
        locations is null ? null : ContentOutput.Texts(locations.Unrecorded),
        Summary(rebuilt),
        Summary(sharedRebuilt),
        report.DamagedPackIndexes);
}
