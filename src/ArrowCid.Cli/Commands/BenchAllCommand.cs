using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using ArrowCid.Bench;
using ArrowCid.Wire;

namespace ArrowCid.Cli.Commands;

/// <summary>
/// <c>arrowcid bench all</c>: every benchmark docs/performance.md quotes, each in its own process,
/// interleaved over rounds (<see cref="BenchSuite"/>), each figure's median, least and greatest with
/// the load beside each run, printed as the performance table itself (or as JSON).
/// </summary>
internal static class BenchAllCommand
{
    public static Command Create(CliConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of the table: every run (its time, load, its benchmark's own JSON, any error) and every figure (median, min, max, each round's value, whether the median and the worst round meet the goal)" };
        var rounds = new Option<int>("--rounds") { Description = "Rounds, each running every benchmark once in turn (default 3)", DefaultValueFactory = _ => 3, HelpName = "N" };
        var only = new Option<string?>("--only") { Description = $"Run these benchmarks only, comma-separated: {string.Join(", ", BenchSuite.Benches.Select(b => b.Name))}", HelpName = "NAMES" };
        var s3 = new Option<string?>("--s3") { Description = "The bucket for bench s3 (s3://BUCKET/PREFIX); without it bench s3 is skipped", HelpName = "URL" };
        var node = new Option<string?>("--node") { Description = "The node program for the JS client's benchmark (default: node on PATH)", HelpName = "PATH" };
        var js = new Option<string?>("--js") { Description = "The JS client's folder, with its packages installed (default: clients/js under the current folder)", HelpName = "DIR" };
        var from = new Option<string?>("--from") { Description = "Print a report saved from bench all --json (as the table, or as JSON again) instead of running anything", HelpName = "FILE" };
        var cli = new Option<string?>("--cli") { Description = "Run the benchmarks of this arrowcid instead of this one (to compare builds with the same suite)", HelpName = "PATH" };
        var command = new Command("all", "Every benchmark docs/performance.md quotes, each in its own process, interleaved over rounds: each figure's median, least and greatest, and the load beside each run") { json, rounds, only, s3, node, js, cli, from };
        command.SetAction(parse =>
        {
            int roundCount = parse.GetValue(rounds);
            if (roundCount < 1)
            {
                throw new CliUsageException("--rounds: give 1 or more");
            }

            var benches = Select(parse.GetValue(only));
            string? other = parse.GetValue(cli);
            if (other is not null && !File.Exists(other))
            {
                throw new CliUsageException($"--cli: no such file: {other}");
            }

            Func<IEnumerable<string>, ProcessStartInfo> arrowcid = other is null ? SelfProcess.StartInfo : arguments => new ProcessStartInfo(Path.GetFullPath(other), arguments);
            string? jsFolder = parse.GetValue(js) is { } given ? Path.GetFullPath(given) : Path.Combine(Environment.CurrentDirectory, "clients", "js");
            string? s3Url = parse.GetValue(s3);
            string? nodeProgram = parse.GetValue(node);
            SuiteReport report;
            if (parse.GetValue(from) is { } saved)
            {
                try
                {
                    report = CliErrors.About(saved, () => WireJson.Read(File.ReadAllBytes(saved), WireJsonContext.Default.SuiteReport, "a bench all --json report"));
                }
                catch (WireFormatException e)
                {
                    throw new CliException($"{saved}: {e.Message}", e);
                }
            }
            else
            {
                var started = DateTimeOffset.UtcNow;
                var (runs, figures) = BenchSuite.Run(
                    benches,
                    roundCount,
                    bench => BenchSuite.StartInfo(bench, arrowcid, s3Url, nodeProgram, jsFolder),
                    run => console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"bench all: round {run.Round}/{roundCount} {run.Bench}: {(run.Error is null ? $"{run.Seconds:F1} s" : run.Error)} (load {run.LoadStart:F2} → {run.LoadEnd:F2})")));
                report = new SuiteReport(
                    roundCount, started, DateTimeOffset.UtcNow, Environment.ProcessorCount, other is null ? Environment.ProcessPath ?? "arrowcid" : Path.GetFullPath(other),
                    [.. runs.Select(r => new SuiteRunReport(r.Bench, r.Round, BenchFigures.Round(r.Seconds), r.LoadStart, r.LoadEnd, r.Error, r.Skipped, r.Output))],
                    [.. figures.Select(f => new SuiteFigureReport(
                        f.Figure.Area, f.Figure.Name, f.Figure.Bench, f.Figure.GoalText, f.Median,
                        f.Min, f.Max, f.Values, f.Met, f.WorstMet))]);
            }

            console.Out.Write(parse.GetValue(json) ? WireJson.ToIndentedText(report, WireJsonContext.Default.SuiteReport) + Environment.NewLine : Markdown(report));

            // A benchmark that failed fails the suite; one that cannot run here (no bucket, no node) does not.
            return report.Runs.Any(r => r.Error is not null && !r.Skipped) ? ExitCodes.Failure : ExitCodes.Ok;
        });
        return command;
    }

    private static List<SuiteBench> Select(string? only)
    {
        if (only is null)
        {
            return [.. BenchSuite.Benches];
        }

        var names = only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (string name in names)
        {
            if (!BenchSuite.Benches.Any(b => b.Name == name))
            {
                throw new CliUsageException($"--only: no benchmark '{name}' (there are: {string.Join(", ", BenchSuite.Benches.Select(b => b.Name))})");
            }
        }

        return [.. BenchSuite.Benches.Where(b => names.Contains(b.Name))];
    }

    // The performance table's rows: the median in bold, the least and greatest round, the goal and
    // whether the median and the worst round meet it, the load while its benchmark ran; then how
    // they were run.
    private static string Markdown(SuiteReport report)
    {
        var text = new StringBuilder();
        text.AppendLine("| area | figure (JSON field) | median | min – max | goal | verdict | load | command |");
        text.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var f in report.Figures)
        {
            string command = BenchSuite.Benches.FirstOrDefault(b => b.Name == f.Bench)?.Command ?? "bench " + f.Bench;
            var runs = report.Runs.Where(r => r.Bench == f.Bench).ToList();
            string spread = f.Min is { } min && f.Max is { } max
                ? $"{BenchSuite.FormatFigure(min)} – {BenchSuite.FormatFigure(max)}"
                : string.Join("; ", runs.Where(r => r.Error is not null).Select(r => r.Error).Distinct());
            string verdict = f.Met switch
            {
                null => "—",
                true => f.WorstMet == true ? "met" : "met (not in every round)",
                false => "missed",
            };
            text.AppendLine(CultureInfo.InvariantCulture, $"| {f.Area} | `{f.Figure}` | **{(f.Median is { } m ? BenchSuite.FormatFigure(m) : "—")}** | {spread} | {f.Goal} | {verdict} | {LoadRange(runs.Where(r => !r.Skipped))} | `{command}` |");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"`arrowcid bench all --rounds {report.Rounds}`, {report.Started:yyyy-MM-dd HH:mm}–{report.Ended:HH:mm} UTC, {report.Cpus} cores; each benchmark in its own process, one at a time, every benchmark once a round; one-minute load average {LoadRange(report.Runs.Where(r => !r.Skipped))} (the benchmarks' own threads).");
        return text.ToString();
    }

    // The least and greatest one-minute load average as the runs started and ended.
    private static string LoadRange(IEnumerable<SuiteRunReport> runs)
    {
        var loads = runs.SelectMany(r => new[] { r.LoadStart, r.LoadEnd }).Where(l => !double.IsNaN(l)).ToList();
        return loads.Count == 0 ? "unknown" : string.Create(CultureInfo.InvariantCulture, $"{loads.Min():F1}–{loads.Max():F1}");
    }
}
