using System.CommandLine;
using System.Globalization;
using ArrowCid.Bench;
using ArrowCid.Wire;
using ArrowCid.Bench.Http;

using static ArrowCid.Cli.Commands.BenchFigures;

namespace ArrowCid.Cli.Commands;

/// <summary><c>arrowcid bench http</c>: the HTTP gateway against a raw loopback socket and against nginx.</summary>
internal static class HttpBenchCommand
{
    /// <summary>Adds <c>http</c> to the <c>bench</c> command.</summary>
    public static Command AddBench(Command bench, CliConsole console)
    {
        ArgumentNullException.ThrowIfNull(bench);
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of lines" };
        var size = new Option<int>("--size-mib") { Description = "Table size in MiB (1..1536): the mixed table, put as content-defined chunks of about 256 KiB and streamed as Arrow", DefaultValueFactory = _ => 1024, HelpName = "N" };
        var blocks = new Option<int>("--blocks") { Description = "Distinct 256 KiB raw blocks wrk asks for in turn (1..4096)", DefaultValueFactory = _ => 256, HelpName = "N" };
        var seconds = new Option<int>("--seconds") { Description = "Seconds of each wrk run (1..60)", DefaultValueFactory = _ => 5, HelpName = "N" };
        var rounds = new Option<int>("--rounds") { Description = "Measured rounds per figure, best kept (1..20)", DefaultValueFactory = _ => 3, HelpName = "N" };
        var command = new Command("http", "The HTTP gateway on loopback: a table streamed as Arrow next to a raw TCP transfer of as many bytes, and 256 KiB raw blocks over 16 keep-alive connections (wrk) next to nginx serving the same block files")
        {
            json, size, blocks, seconds, rounds,
        };
        command.SetAction(parse =>
        {
            string scratch = IpcBenchmark.DefaultScratchRoot();
            var settings = new HttpBenchmarkSettings
            {
                TableBytes = Math.Clamp(parse.GetValue(size), 1, 1536) * (1L << 20),
                Blocks = Math.Clamp(parse.GetValue(blocks), 1, 4096),
                Seconds = Math.Clamp(parse.GetValue(seconds), 1, 60),
                Rounds = Math.Clamp(parse.GetValue(rounds), 1, 20),
                ScratchRoot = scratch,
            };
            var r = CliErrors.About(scratch, () => HttpBenchmark.RunAsync(settings).GetAwaiter().GetResult());
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(WireJson.ToIndentedText(
                    new HttpReport(
                        r.TableBytes,
                        r.Chunks,
                        r.StreamBytes,
                        r.Rounds,
                        r.WarmUpTransfers,
                        Round(r.StreamGbps),
                        Round(r.SocketGbps),
                        Round(r.StreamRatio),
                        r.StreamGoalMet,
                        r.Blocks,
                        r.BlockBytes,
                        r.Connections,
                        r.WrkThreads,
                        r.NginxWorkers,
                        r.Seconds,
                        Round(r.GatewayBlockRps),
                        Round(r.NginxBlockRps),
                        Round(r.BlockRpsRatio),
                        Round(r.GatewayCpuMicrosecondsPerBlock),
                        Round(r.NginxCpuMicrosecondsPerBlock),
                        r.BlockGoalMet,
                        r.BlocksSkipped,
                        r.Machine),
                    WireJsonContext.Default.HttpReport));
                return ExitCodes.Ok;
            }

            console.Out.WriteLine($"table: {r.TableBytes} canonical bytes in {r.Chunks} chunks, {r.StreamBytes} bytes as an Arrow stream; best of {r.Rounds} rounds after {r.WarmUpTransfers} warm-up transfers, loopback, HTTP/1.1");
            console.Out.WriteLine($"raw TCP socket          {F(r.SocketGbps)} GB/s");
            console.Out.WriteLine($"Arrow stream over HTTP  {F(r.StreamGbps)} GB/s  ({F(r.StreamRatio)}x socket; goal >= 0.6x: {(r.StreamGoalMet ? "met" : "MISSED")})");
            if (r.BlocksSkipped is not null)
            {
                console.Out.WriteLine($"raw blocks: {r.BlocksSkipped}");
            }

            if (r.GatewayBlockRps is { } gateway)
            {
                console.Out.WriteLine($"raw blocks: {r.Blocks} x {r.BlockBytes} bytes, {r.Connections} keep-alive connections, wrk {r.WrkThreads} threads, {r.Seconds} s runs, nginx {r.NginxWorkers} workers");
                console.Out.WriteLine($"gateway                 {gateway.ToString("0", CultureInfo.InvariantCulture)} requests/s  ({F(r.GatewayCpuMicrosecondsPerBlock ?? 0)} us CPU each)");
            }

            if (r.NginxBlockRps is { } nginx && r.BlockRpsRatio is { } ratio)
            {
                console.Out.WriteLine($"nginx                   {nginx.ToString("0", CultureInfo.InvariantCulture)} requests/s  ({F(r.NginxCpuMicrosecondsPerBlock ?? 0)} us CPU each; gateway {F(ratio)}x nginx; goal >= 0.8x: {(r.BlockGoalMet == true ? "met" : "MISSED")})");
            }

            console.Out.WriteLine($"machine: {string.Join(", ", r.Machine.Select(m => $"{m.Key} {m.Value}"))}");
            return ExitCodes.Ok;
        });
        bench.Subcommands.Add(command);
        return bench;
    }

    private static string F(double value) => value.ToString(value < 10 ? "0.000" : "0.0", CultureInfo.InvariantCulture);
}
