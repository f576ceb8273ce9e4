using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Wire;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Bench;
using ArrowCid.Cli.Inputs;
using ArrowCid.Bench.Flight;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight;
using ArrowCid.Flight.Client;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using ArrowCid.Node;
using ArrowCid.Repository;

namespace ArrowCid.Cli.Commands;

/// <summary>
/// <c>arrowcid flight ls|info|get|put|action|pull --server URL [--token T]</c>: a Flight client of an
/// ArrowCid node (<c>arrowcid serve</c>); get re-hashes every batch against its CID; pull copies a
/// table into the local repository, fetching only the blocks it lacks; a dataset name given where a
/// CID goes is resolved by the node (GetFlightInfo PATH [NAME]). Also <c>arrowcid bench flight</c>.
/// </summary>
internal static class FlightCommands
{
    public static Command Create(CliConsole console, RepositoryOption repository)
    {
        var server = new Option<string>("--server")
        {
            Description = "The node's Flight location: grpc+tcp://HOST:PORT, grpc+tls://HOST:PORT (or http://, https://)",
            HelpName = "URL",
            Required = true,
            Recursive = true,
        };
        var token = new Option<string?>("--token") { Description = "Bearer token for the node", HelpName = "TOKEN", Recursive = true };
        var timeout = DurationOption.Create("--timeout", "Each call's deadline: past it the call fails with DEADLINE_EXCEEDED", "10m", recursive: true);
        var idle = DurationOption.Create("--idle-timeout", "A call fails with DEADLINE_EXCEEDED, saying what it waited for, once no byte has moved for this long", "60s", recursive: true);
        var command = new Command("flight", "Talk to an ArrowCid Flight node: list, describe, fetch (verified) and put content by CID") { server, token, timeout, idle };
        var connection = new FlightConnectionOptions(server, token, timeout, idle);
        command.Subcommands.Add(List(console, connection));
        command.Subcommands.Add(Info(console, connection));
        command.Subcommands.Add(Get(console, connection));
        command.Subcommands.Add(Put(console, connection));
        command.Subcommands.Add(Action(console, connection));
        command.Subcommands.Add(Pull(console, repository, connection));
        return command;
    }

    /// <summary>Adds <c>flight</c> to the <c>bench</c> command.</summary>
    public static Command AddBench(Command bench, CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(bench);
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var size = new Option<int>("--size-mib") { Description = "Table size in MiB (1..1536): the mixed table, put as content-defined chunks of about 256 KiB", DefaultValueFactory = _ => 1024, HelpName = "N" };
        var rounds = new Option<int>("--rounds") { Description = "Measured rounds per figure, best kept (1..20)", DefaultValueFactory = _ => 3, HelpName = "N" };
        var http2 = new Option<string>("--http2")
        {
            Description = "HTTP/2 on both ends: arrowcid (ours) or kestrel (Kestrel's server and SocketsHttpHandler, for comparison)",
            DefaultValueFactory = _ => "arrowcid",
            HelpName = "IMPL",
        };
        http2.AcceptOnlyFromAmong("arrowcid", "kestrel");
        var command = new Command("flight", "Flight DoGet (1 and 4 streams) and DoPut of a chunked table on loopback, next to a raw TCP transfer of as many bytes and a local put of the same batches") { json, size, rounds, http2 };
        command.SetAction(parse =>
        {
            int mib = Math.Clamp(parse.GetValue(size), 1, 1536);
            string scratch = IpcBenchmark.DefaultScratchRoot();
            bool kestrel = parse.GetValue(http2) == "kestrel";
            var r = FlightBenchmark.RunAsync(
                mib * (1L << 20), Math.Clamp(parse.GetValue(rounds), 1, 20), scratch, kestrel,
                peerArguments => SelfProcess.StartInfo(["bench", "flight-peer", .. peerArguments])).GetAwaiter().GetResult();
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText(
                    new FlightBenchReport(
                        r.Http2,
                        r.TableBytes,
                        r.Chunks,
                        r.Rounds,
                        r.WarmUpTransfers,
                        BenchFigures.Round(r.DoGetGbps),
                        BenchFigures.Round(r.DoGetVerifiedGbps),
                        BenchFigures.Round(r.DoGet4Gbps),
                        BenchFigures.Round(r.DoPutGbps),
                        BenchFigures.Round(r.PutGbps),
                        BenchFigures.Round(r.DoPutRatio),
                        BenchFigures.Round(r.SocketGbps),
                        BenchFigures.Round(r.DoGetRatio),
                        BenchFigures.Round(r.DoGetCpuSecondsPerGb),
                        BenchFigures.Round(r.SocketCpuSecondsPerGb),
                        BenchFigures.Round(r.DoPutCpuSecondsPerGb),
                        BenchFigures.Round(r.PutCpuSecondsPerGb),
                        r.DoGetGoalMet,
                        r.DoPutGoalMet,
                        r.Repository,
                        BenchFigures.Round(r.Apache!.DoGetServerCpuRatioVsApache),
                        BenchFigures.Round(r.Apache.OursServerCpuSecondsPerGb),
                        BenchFigures.Round(r.Apache.OursServerCpuSecondsPerGbOurClient),
                        BenchFigures.Round(r.Apache.ApacheServerCpuSecondsPerGb),
                        BenchFigures.Round(r.Apache.ApacheBatchesGbpsRatio),
                        BenchFigures.Round(r.Apache.OurClientApacheBatchesGbps),
                        BenchFigures.Round(r.Apache.ApacheClientGbps),
                        BenchFigures.Round(r.MetricsOverheadRatio),
                        r.MetricsGoalMet),
                    WireJsonContext.Default.FlightBenchReport));
                return ExitCodes.Ok;
            }

            console.Out.WriteLine($"table: {r.TableBytes} canonical bytes in {r.Chunks} chunks, best of {r.Rounds} rounds after {r.WarmUpTransfers} warm-up transfers, loopback, HTTP/2: {r.Http2}");
            console.Out.WriteLine($"raw TCP socket        {F(r.SocketGbps)} GB/s");
            console.Out.WriteLine($"DoGet, 1 stream       {F(r.DoGetGbps)} GB/s  ({F(r.DoGetRatio)}x socket; goal >= 0.6x: {(r.DoGetGoalMet ? "met" : "MISSED")})");
            console.Out.WriteLine($"CPU per GB            DoGet {F(r.DoGetCpuSecondsPerGb)} s, socket {F(r.SocketCpuSecondsPerGb)} s  (whole process, node and client)");
            console.Out.WriteLine($"metrics collected     {F(r.MetricsOverheadRatio)}x DoGet's CPU per GB without  (goal <= {FlightBenchmark.MetricsOverheadGoal}: {(r.MetricsGoalMet ? "met" : "MISSED")})");
            console.Out.WriteLine($"DoGet, 1 + verify     {F(r.DoGetVerifiedGbps)} GB/s  (reassembled and re-hashed)");
            console.Out.WriteLine($"DoGet, 4 streams      {F(r.DoGet4Gbps)} GB/s  (all streams together)");
            console.Out.WriteLine($"local put             {F(r.PutGbps)} GB/s  (ContentRepository.PutStream: canonicalised, hashed, stored durably; the batch new to the repository)");
            console.Out.WriteLine($"DoPut, 1 stream       {F(r.DoPutGbps)} GB/s  ({F(r.DoPutRatio)}x local put; goal >= 0.5x: {(r.DoPutGoalMet ? "met" : "MISSED")})");
            console.Out.WriteLine($"CPU per GB            DoPut {F(r.DoPutCpuSecondsPerGb)} s, local put {F(r.PutCpuSecondsPerGb)} s");
            console.Out.WriteLine($"server CPU per GB     our node {F(r.Apache!.OursServerCpuSecondsPerGb)} s, Apache.Arrow.Flight.AspNetCore {F(r.Apache.ApacheServerCpuSecondsPerGb)} s  ({F(r.Apache.DoGetServerCpuRatioVsApache)}x; goal <= 0.5x), both read by the Apache client in another process; our node read by our client {F(r.Apache.OursServerCpuSecondsPerGbOurClient)} s");
            console.Out.WriteLine($"Apache.Arrow batches  our client {F(r.Apache.OurClientApacheBatchesGbps)} GB/s (verified), Apache client {F(r.Apache.ApacheClientGbps)} GB/s  ({F(r.Apache.ApacheBatchesGbpsRatio)}x; goal >= 3x)");
            return ExitCodes.Ok;
        });
        bench.Subcommands.Add(command);
        bench.Subcommands.Add(BenchPeer(console));
        return bench;
    }

    /// <summary>The peer process of <c>bench flight</c> (hidden): our node and an Apache.Arrow.Flight server until stdin closes.</summary>
    private static Command BenchPeer(CliConsole console)
    {
        var dir = new Option<string>("--dir") { Description = "Scratch folder", Required = true };
        var command = new Command("flight-peer", "The second process of 'arrowcid bench flight' (not for direct use)") { dir };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            ApacheFlightPeer.RunAsync(parse.GetRequiredValue(dir), console.Out, Console.In).GetAwaiter().GetResult();
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// The quickstart's shared-memory and Flight steps: publish the demo batch to a scratch
    /// shared-memory store and attach it by CID (skipped with a note where there is none), then
    /// serve the repository on 127.0.0.1:0 and fetch the dataset by CID, every batch re-hashed.
    /// True when what came back equals the demo batch. With <paramref name="keep"/> the store's folder stays.
    /// </summary>
    public static bool QuickstartStep(CliConsole console, Repository.ContentRepository content, RecordBatch batch, Content.Multiformats.Cid dataset, bool keep = false)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(batch);
        bool shared = QuickstartSharedMemory(console, batch, keep);
        var fetched = Task.Run(async () =>
        {
            await using var node = await Flight.Hosting.FlightNode.StartAsync(content).ConfigureAwait(false);
            using var client = new FlightClient(node.Location);
            return (node.Location, await client.GetAsync(dataset).ConfigureAwait(false));
        }).GetAwaiter().GetResult();
        using var back = fetched.Item2.Batches[0].Read();
        bool identical = fetched.Item2.Batches.Count == 1 && ArrayEquality.Equals(batch, back, out _);
        console.Out.WriteLine($"quickstart: Flight node {fetched.Location}: DoGet {dataset} gave {CliText.Count(fetched.Item2.Batches.Count, "batch", "batches")} hashing to {(fetched.Item2.Batches.Count == 1 ? "its CID" : "their CIDs")}; "
            + $"{(identical ? "identical" : "DIFFERENT")} to the demo table");
        return shared && identical;
    }

    /// <summary>Slots of each arena of the quickstart's scratch store (it publishes one table).</summary>
    private const int QuickstartArenaSlots = 64;

    private static bool QuickstartSharedMemory(CliConsole console, RecordBatch batch, bool keep)
    {
        string root = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"arrowcid-quickstart-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            // A store for one small table: the default small arena is backed (64 MiB of tmpfs) when
            // created, which a quickstart cut short (killed, or with --keep) would leave in memory.
            var options = new SharedMemory.ShmStoreOptions { BaseDirectory = root, ArenaSmallSlots = QuickstartArenaSlots, ArenaSlots = QuickstartArenaSlots };
            using (var store = SharedMemory.ShmStore.Open(options))
            {
                var published = store.Publish(batch);
                using var attached = store.Attach(published.Cid);
                bool same = ArrayEquality.Equals(batch, attached, out _);
                // The store's folder, not the segment's file: a segment goes when the store that published it closes.
                console.Out.WriteLine($"quickstart: shared memory store {root}{(keep ? string.Empty : " (deleted)")}: published and attached {published.Cid} zero-copy: {(same ? "identical" : "DIFFERENT")}");
                return same;
            }
        }
        catch (Exception e) when (e is PlatformNotSupportedException or IOException or UnauthorizedAccessException or InvalidOperationException or DllNotFoundException)
        {
            console.Out.WriteLine($"quickstart: shared memory step skipped ({e.Message})");
            return true;
        }
        finally
        {
            try
            {
                if (!keep && Directory.Exists(root))
                {
                    Directory.Delete(root, recursive: true);
                }
            }
            catch (IOException)
            {
                // A scratch folder left on tmpfs is harmless; the OS clears it at reboot.
            }
        }
    }

    private static Command List(CliConsole console, FlightConnectionOptions connection)
    {
        var filter = new Option<string?>("--filter") { Description = "JSON filter: {\"tags\":{…},\"kind\":\"batch|table\",\"from\":…,\"before\":…,\"limit\":N}", HelpName = "JSON" };
        var json = new Option<bool>("--json") { Description = "Print one JSON array of flights" };
        var jsonLines = new Option<bool>("--jsonl") { Description = "Print one JSON object per flight per line, as they arrive (JSON Lines)" };
        var command = new Command("ls", "List the node's flights (every table, or those the filter selects)") { filter, json, jsonLines };
        command.SetAction(parse => Call(parse, connection, async client =>
        {
            // Written as the listing streams in: a long listing is never held whole, not even for --json.
            using var array = parse.GetValue(json) ? new JsonArrayOutput(console.Out) : null;
            await foreach (var info in client.ListAsync(parse.GetValue(filter)).ConfigureAwait(false))
            {
                if (array is not null)
                {
                    array.Add(WireJson.ToIndentedText(Summary(info), WireJsonContext.Default.FlightInfoSummary));
                }
                else
                {
                    console.Out.WriteLine(parse.GetValue(jsonLines) ? WireJson.ToText(Summary(info), WireJsonContext.Default.FlightInfoSummary) : $"{Ticket(info)}  {info.TotalRecords} rows  {info.TotalBytes} bytes  {string.Join(' ', info.Endpoint.SelectMany(e => e.Location).Select(l => l.Uri).Distinct())}{NameOf(info)}");
                }
            }
        }));
        return command;
    }

    private static Command Info(CliConsole console, FlightConnectionOptions connection)
    {
        var cid = ContentCommands.ContentArgument("A table on the node (a name is resolved there)");
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("info", "Describe a CID or table name: rows, bytes, schema size and the nodes that hold it") { cid, json };
        command.SetAction(parse => Call(parse, connection, async client =>
        {
            var info = CliCids.ParseCidOrName(parse.GetValue(cid)!) is { Cid: { } id }
                ? await client.GetInfoAsync(id).ConfigureAwait(false)
                : await client.GetInfoAsync(FlightClient.NameDescriptor(parse.GetValue(cid)!)).ConfigureAwait(false);
            var summary = Summary(info);
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText(summary, WireJsonContext.Default.FlightInfoSummary));
                return;
            }

            console.Out.WriteLine($"cid: {summary.Cid}");
            if (summary.Path is { } path)
            {
                console.Out.WriteLine($"path: {string.Join('/', path)}{VersionOf(info)}");
            }

            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rows: {summary.Rows}"));
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bytes: {summary.Bytes}"));
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"schema bytes: {summary.SchemaBytes}"));
            foreach (string location in summary.Endpoints.SelectMany(e => e.Locations).Distinct())
            {
                console.Out.WriteLine($"location: {location}");
            }
        }));
        return command;
    }

    private static Command Get(CliConsole console, FlightConnectionOptions connection)
    {
        var cid = ContentCommands.ContentArgument("A table on the node (a name is resolved there)");
        var output = new Option<string>("--output", "-o") { Description = "Where the Arrow IPC stream goes ('-' for stdout)", DefaultValueFactory = _ => "-", HelpName = "FILE" };
        var json = new Option<bool>("--json") { Description = "Report as one JSON object (on stderr when the stream goes to stdout)" };
        var command = new Command("get", "Fetch a CID or table name as an Arrow IPC stream; every batch is re-hashed against its CID before anything is written") { cid, output, json };
        command.SetAction(parse => Call(parse, connection, async client =>
        {
            string text = parse.GetValue(cid)!;
            // A CID is long for a progress bar's line: its head and tail tell it apart.
            string shown = text.Length > 24 ? $"{text[..12]}…{text[^6..]}" : text;
            Cid table = CliCids.ParseCidOrName(text) is { Cid: { } id } ? id : client.ResolveNameAsync(text).GetAwaiter().GetResult().Cid;
            var (count, bytes) = CliProgress.Run(console, $"fetching {shown}", 1, advance =>
            {
                // In fractions of the whole: the first chunk tells how many there are.
                int told = 0;
                void Verified(int done, int total)
                {
                    advance(((double)done / total) - ((double)told / total));
                    told = done;
                }

                // Each chunk is written once it hashes to its CID and then let go: what is held is
                // a few chunks, whatever the table's size. A file appears only when all are written.
                using var target = OutputTarget.Create(parse.GetValue(output)!, console);
                var written = WriteStreamAsync(client.FetchAsync(new FlightTicket(table), Verified), target.Stream).GetAwaiter().GetResult();
                target.Commit();
                return written;
            });

            // On stderr when the table is on stdout; worded as a report, not an error.
            string path = parse.GetValue(output)!;
            var report = path == IpcSource.StandardStream ? console.Error : console.Out;
            if (parse.GetValue(json))
            {
                report.WriteLine(WireJson.ToIndentedText(new FlightGetSummary(table.ToString(), count, bytes, path), WireJsonContext.Default.FlightGetSummary));
            }
            else
            {
                report.WriteLine($"fetched {table}: {CliText.Count(count, "batch", "batches")}, {CliText.Count(bytes, "byte")}, every batch hashes to its CID");
            }
        }));
        return command;
    }

    private static Command Put(CliConsole console, FlightConnectionOptions connection)
    {
        var input = new Argument<string>("input") { Description = "Arrow IPC (stream or file), Parquet or CSV, as 'put' takes them ('-' for stdin)" };
        var tags = TagOption.Create("Tag every stored block KEY=VALUE (repeatable)");
        var name = NameOption.Create("Record the table as the next version of NAME on the node (sent as a PATH [NAME] descriptor)");
        var forceVersion = NameOption.ForceVersion();
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("put", "Send Arrow IPC, Parquet or CSV data to the node (DoPut); prints each batch's CID and the table's") { input, tags, name, forceVersion, json };
        // The one input dispatch 'put' uses: the same formats and options, whatever the table goes to.
        var inputs = new InputOptions();
        inputs.AddTo(command);
        command.SetAction(parse => Call(parse, connection, async client =>
        {
            using var source = BatchInput.Open(parse.GetValue(input)!, console, inputs.Read(parse));
            var descriptor = FlightClient.PutDescriptor(TagOption.Parse(parse.GetValue(tags)), parse.GetValue(name), parse.GetValue(forceVersion));
            var summary = CliProgress.Run(console, $"sending {Path.GetFileName(source.Name)}", source.ProgressTotal, source.ProgressUnit, advance =>
                client.PutAsync(descriptor, source.Schema, ContentCommands.ReadAll(source, advance)).GetAwaiter().GetResult());
            // What a local put reports for the same table, as the node gave it; from a node of 0.38
            // or earlier, summed here (the root's bytes then unknown: null; a one-chunk table has none).
            var totals = summary.Totals ?? new TableTotals(summary.Table.ToString(), summary.Batches.Sum(b => b.Rows), summary.Batches.Sum(b => b.Bytes), summary.Batches.Count, summary.Table.Codec == Multicodec.Raw ? 0 : null);
            if (parse.GetValue(json))
            {
                var report = new PutReport(parse.GetValue(input)!, totals, [.. summary.Batches.Select(b => new ChunkEntry(b.Cid.ToString(), b.Rows, b.Bytes))], summary.Name, summary.Name is null ? null : summary.Version, summary.Name is null ? null : summary.VersionAdded);
                console.Out.WriteLine(WireJson.ToIndentedText(report, WireJsonContext.Default.PutReport));
                return;
            }

            foreach (var batch in summary.Batches)
            {
                console.Out.WriteLine($"batch {batch.Cid} {batch.Rows} rows {batch.Bytes} bytes");
            }

            console.Out.WriteLine(ContentOutput.TableLine(totals));
            if (summary.Name is not null)
            {
                console.Out.WriteLine(NameOption.VersionLine(summary.Name, summary.Version, summary.VersionAdded));
            }
        }));
        return command;
    }

    private static Command Action(CliConsole console, FlightConnectionOptions connection)
    {
        var type = new Argument<string>("type") { Description = "pin, unpin, tag, delete, verify, stats (or any the node lists)" };
        var body = new Argument<string>("body") { Description = "The action body: a CID, or JSON for tag", DefaultValueFactory = _ => string.Empty };
        var command = new Command("action", "Run a Flight action on the node and print its results") { type, body };
        command.SetAction(parse => Call(parse, connection, async client =>
        {
            foreach (string result in await client.ActionAsync(parse.GetValue(type)!, parse.GetValue(body) ?? string.Empty).ConfigureAwait(false))
            {
                console.Out.WriteLine(result);
            }
        }));
        return command;
    }

    private static Command Pull(CliConsole console, RepositoryOption repository, FlightConnectionOptions connection)
    {
        var cid = ContentCommands.ContentArgument("A table on the node (a name is resolved there, and recorded here as that name's next version)");
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("pull", "Copy a table from the node into the local repository, fetching only the blocks it lacks, each re-hashed against its CID before it is stored; prints bytes transferred against the table's total. On the folder of a node with a shared registry or a bucket, the table is published as the node's puts are") { cid, json, repository.Blocks };
        command.SetAction(parse => Call(parse, connection, async client =>
        {
            using var node = repository.OpenNode(parse);
            var content = node.Content;
            using var publication = RepositoryOption.OpenPublication(node);
            string text = parse.GetValue(cid)!;
            // An IPNS name: the node's record and chain verified first, then the table the head names, under the head's name.
            var signed = text.StartsWith("/ipns/", StringComparison.Ordinal) ? await SignedNameCommands.VerifyOverFlightAsync(client, text).ConfigureAwait(false) : null;
            var (id, reference) = signed is null ? CliCids.ParseCidOrName(text) : (signed.Head.Table, new Registry.DatasetReference(signed.Head.Name, null));
            long? remoteVersion = signed?.Head.Version;
            if (id is null)
            {
                var resolved = await client.ResolveNameAsync(text).ConfigureAwait(false);
                (id, remoteVersion) = (resolved.Cid, resolved.Version);
            }

            var options = new PutOptions { Producer = "arrowcid flight pull", Provenance = $"pulled from {client.Location}", Name = reference?.Name };
            var report = CliProgress.Run(console, $"pulling {text}", null, ProgressUnit.Bytes, progress =>
                RepositoryOption.Publishing($"pull: {id}", () => client.PullAsync(content, id, options, block => progress(block.Bytes), publication).GetAwaiter().GetResult()));
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText(Summary(client.Location, report, remoteVersion), WireJsonContext.Default.PullSummary));
                return;
            }

            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pulled {report.Table.Root} from {client.Location}: transferred {report.Transferred.Count} of {report.Table.Blocks.Count} blocks, {report.BytesTransferred} of {report.Table.Bytes} bytes"));
            if (report.Version is { } version)
            {
                console.Out.WriteLine($"version {Registry.DatasetReference.Format(version.Name, version.Version)}");
            }
        }));
        return command;
    }

    /// <summary>The options every <c>flight</c> subcommand connects with.</summary>
    private sealed record FlightConnectionOptions(Option<string> Server, Option<string?> Token, Option<TimeSpan> Timeout, Option<TimeSpan> IdleTimeout);

    private static PullSummary Summary(string location, TableCopyReport report, long? remoteVersion) => new(
        report.Table.Root.ToString(),
        location,
        report.Version?.Name,
        report.Version?.Version,
        remoteVersion,
        report.Table.Blocks.Count,
        report.Table.Bytes,
        report.Transferred.Count,
        report.BytesTransferred);

    /// <summary>Runs a client call; a gRPC failure becomes a one-line error naming the server and status.</summary>
    private static int Call(ParseResult parse, FlightConnectionOptions connection, Func<FlightClient, Task> body)
    {
        string location = parse.GetValue(connection.Server)!;
        FlightClient client;
        try
        {
            client = new FlightClient(location, new FlightClientOptions
            {
                Token = parse.GetValue(connection.Token),
                CallTimeout = parse.GetValue(connection.Timeout),
                IdleTimeout = parse.GetValue(connection.IdleTimeout),
            });
        }
        catch (FormatException e)
        {
            throw new CliException($"--server: {e.Message}", e);
        }

        using (client)
        {
            try
            {
                body(client).GetAwaiter().GetResult();
            }
            catch (RpcException e)
            {
                throw new CliException($"{location}: {e.StatusCode}: {e.Status.Detail}", e);
            }
        }

        return ExitCodes.Ok;
    }

    // The chunks as one Arrow IPC stream (TableStreamWriter: the first chunk's schema message, each
    // chunk's checked against it), written as they come; returns the chunks written and their bytes.
    private static async Task<(int Chunks, long Bytes)> WriteStreamAsync(IAsyncEnumerable<FetchedBatch> chunks, Stream destination)
    {
        await using var each = chunks.GetAsyncEnumerator();
        if (!await each.MoveNextAsync().ConfigureAwait(false))
        {
            EncodedMessage.WriteEndOfStream(destination);
            return (0, 0);
        }

        var first = each.Current;
        var schemaMessage = CanonicalBlockLayout.Parse(first.CanonicalBytes, first.Cid).SchemaMessage;
        int count = 0;
        long bytes = 0;
        await TableStreamWriter.WriteAsync(schemaMessage, Rest(), new IpcStreamSink(destination, synchronous: true)).ConfigureAwait(false);
        return (count, bytes);

        async IAsyncEnumerable<CanonicalChunk> Rest()
        {
            for (var batch = first; batch is not null; batch = await each.MoveNextAsync().ConfigureAwait(false) ? each.Current : null)
            {
                count++;
                bytes += batch.CanonicalBytes.Length;
                yield return new CanonicalChunk(batch.Cid, batch.CanonicalBytes);
            }
        }
    }

    /// <summary>"  name NAME@N" for a named flight (ListFlights lists each name first, under PATH [NAME]).</summary>
    private static string NameOf(FlightInfo info)
    {
        string ticket = Ticket(info);
        return info.FlightDescriptor?.Path is { Count: 1 } path && path[0] != ticket ? $"  name {path[0]}{VersionOf(info)}" : string.Empty;
    }

    private static string VersionOf(FlightInfo info)
    {
        if (info.AppMetadata.IsEmpty)
        {
            return string.Empty;
        }

        try
        {
            var metadata = WireJson.Read(info.AppMetadata.Span, WireJsonContext.Default.FlightInfoMetadata, "FlightInfo app_metadata");
            return metadata.Version is { } version ? string.Create(CultureInfo.InvariantCulture, $"@{version}") : string.Empty;
        }
        catch (WireFormatException)
        {
            // Another server's metadata: the line goes without a version.
            return string.Empty;
        }
    }

    private static string Ticket(FlightInfo info) => info.Endpoint.Count > 0 ? info.Endpoint[0].Ticket.Ticket_.ToStringUtf8() : "(no endpoint)";

    private static FlightInfoSummary Summary(FlightInfo info)
    {
        JsonElement? metadata = null;
        if (!info.AppMetadata.IsEmpty)
        {
            // Shown as the server wrote it, whatever members it has.
            using var document = JsonDocument.Parse(info.AppMetadata.Memory);
            metadata = document.RootElement.Clone();
        }

        return new FlightInfoSummary(
            Ticket(info),
            info.FlightDescriptor is { Type: FlightDescriptor.Types.DescriptorType.Path } d ? [.. d.Path] : null,
            info.TotalRecords,
            info.TotalBytes,
            info.Schema.Length,
            [.. info.Endpoint.Select(e => new FlightEndpointSummary(e.Ticket.Ticket_.ToStringUtf8(), [.. e.Location.Select(l => l.Uri)]))],
            metadata);
    }

    private static string F(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);
}
