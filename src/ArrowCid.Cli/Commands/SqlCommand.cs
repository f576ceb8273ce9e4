using System.CommandLine;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Printing;
using ArrowCid.Sql;

namespace ArrowCid.Cli.Commands;

/// <summary><c>arrowcid sql QUERY</c>: SQL over the repository's tables on embedded DuckDB (docs/sql.md).</summary>
internal static class SqlCommand
{
    public static Command Create(CliConsole console, RepositoryOption repository)
    {
        var query = new Argument<string>("QUERY")
        {
            Description = "One SQL query; a table is named by its CID, NAME (its latest version) or NAME@N, in double quotes where SQL needs them: FROM \"plant-3/temps@2\"",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON document: columns, rows, row_count, truncated and the tables read (name, version, CID)" };
        var limit = IpcCommands.RowLimitOption();
        var memory = new Option<string?>("--memory-limit") { Description = "DuckDB's memory limit, e.g. 2GB (default: DuckDB's, 80% of the machine's memory)", HelpName = "SIZE" };
        var put = new Option<bool>("--put") { Description = "Store the answer as a table whose provenance records the query, the CIDs it read and the engine; the same query over the same CIDs is answered from it" };
        var name = new Option<string?>("--name") { Description = "With --put (implied): record the stored answer as the next version of NAME", HelpName = "NAME" };
        var noCache = new Option<bool>("--no-cache") { Description = "With --put: run the query even when an earlier run stored its answer" };
        var output = new Option<string?>("--output", "-o") { Description = "Write the answer to a file: .parquet, .arrows (an Arrow IPC stream) or .csv, by its extension", HelpName = "OUT" };
        var timeout = DurationOption.Create("--timeout", "The query's deadline: past it DuckDB stops it wherever it is", "10m");
        var command = new Command("sql", "Run a SQL query over the repository's tables on embedded DuckDB and print its answer; no file or network is reachable from the query") { query, json, limit, memory, put, name, noCache, timeout, output, repository.Blocks };
        command.SetAction(parse =>
        {
            bool store = parse.GetValue(put) || parse.GetValue(name) is not null;
            int? rows = parse.GetValue(limit);
            if (store && rows is not null)
            {
                throw new CliUsageException("sql: --put stores the whole answer; leave out --limit");
            }

            if (!store && parse.GetValue(noCache))
            {
                throw new CliUsageException("sql: --no-cache goes with --put (only stored answers are reused)");
            }

            string? path = parse.GetValue(output);
            var format = path is null ? (AnswerFormat?)null : FormatOf(path);
            if (path is not null && parse.GetValue(json))
            {
                throw new CliUsageException("sql: -o writes the answer to a file; --json prints it: give one of them");
            }

            // On a node's folder, names as its node answers them, and a stored answer published as its puts are.
            using var node = repository.OpenNode(parse);
            var content = node.Content;
            using var engine = SqlEngine.Open(content, new SqlLimits { MemoryLimit = parse.GetValue(memory) }, cid => repository.FetchMissing(parse, content, cid), node.Registry);
            string sql = parse.GetRequiredValue(query);
            SqlStored? stored = null;
            SqlResult result;
            var deadline = parse.GetValue(timeout);
            using var stop = new CancellationTokenSource(deadline);
            try
            {
                if (store)
                {
                    using var publication = RepositoryOption.OpenPublication(node);
                    (result, stored) = RepositoryOption.Publishing("sql: the answer", () => engine.QueryAndStore(sql, new SqlStoreOptions { Name = parse.GetValue(name), NoCache = parse.GetValue(noCache), Publisher = publication }, stop.Token));
                }
                else
                {
                    result = engine.Query(sql, rows ?? long.MaxValue, stop.Token);
                }
            }
            catch (OperationCanceledException e)
            {
                throw new CliException($"sql: the query ran past its deadline ({deadline.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)} s, --timeout) and was stopped", e);
            }

            using (result)
            {
                if (path is not null)
                {
                    Write(console, result.Answer, path, format!.Value);
                    console.Out.WriteLine($"wrote {CliText.Count(result.Answer.Rows, "row")}{(result.Answer.Truncated ? " (stopped at --limit)" : string.Empty)} to {path}");
                }
                else if (parse.GetValue(json))
                {
                    // Text like every --json of the CLI (tests read it from the console's writer).
                    using var document = new MemoryStream();
                    SqlJson.Write(document, result, stored);
                    console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(document.GetBuffer(), 0, (int)document.Length));
                    return ExitCodes.Ok;
                }

                else
                {
                    Print(console, result.Answer);
                }

                if (stored is not null)
                {
                    console.Out.WriteLine($"table {stored.Table}{(stored.Reused ? " (the answer an earlier run stored: the same query over the same CIDs; --no-cache runs it again)" : string.Empty)}");
                    if (stored.Version is { } version)
                    {
                        console.Out.WriteLine($"version {Registry.DatasetReference.Format(version.Name, version.Version)}");
                    }
                }

                return ExitCodes.Ok;
            }
        });
        return command;
    }

    private enum AnswerFormat
    {
        Parquet,
        ArrowStream,
        Csv,
    }

    private static AnswerFormat FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".parquet" => AnswerFormat.Parquet,
        ".arrows" => AnswerFormat.ArrowStream,
        ".csv" => AnswerFormat.Csv,
        _ => throw new CliUsageException($"sql: -o {path}: the extension says the format: .parquet, .arrows (an Arrow IPC stream) or .csv"),
    };

    // The answer into a file written whole or not at all (a temporary file renamed over the path).
    private static void Write(CliConsole console, DuckDb.DuckDbAnswer answer, string path, AnswerFormat format)
    {
        if (format == AnswerFormat.Parquet)
        {
            Parquet.Writing.ParquetExport.WriteFile(path, answer.Schema, answer.Batches);
            return;
        }

        using var target = OutputTarget.Create(path, console);
        if (format == AnswerFormat.ArrowStream)
        {
            using var writer = new Arrow.Ipc.ArrowStreamWriter(target.Stream, answer.Schema, leaveOpen: true);
            foreach (var batch in answer.Batches)
            {
                writer.Write(batch);
            }

            writer.Finish();
        }
        else
        {
            using var text = new StreamWriter(target.Stream, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true);
            var csv = new Ingest.Csv.CsvBatchWriter(text, answer.Schema);
            csv.WriteHeader();
            foreach (var batch in answer.Batches)
            {
                csv.Write(batch);
            }

            text.Flush();
        }

        target.Commit();
    }

    // The answer as one table, then how many rows it has (and whether --limit cut it).
    private static void Print(CliConsole console, DuckDb.DuckDbAnswer answer)
    {
        // DuckDB answers no rows with no batch at all: the columns still print, over no rows.
        using var whole = answer.Batches.Count == 0
            ? new RecordBatchBuilder(answer.Schema).Build()
            : new RecordBatch(answer.Schema, checked((int)answer.Rows), Enumerable.Range(0, answer.Schema.Fields.Length)
                .Select(c => ArrayConcatenation.Concatenate([.. answer.Batches.Select(b => b.Columns[c])])));
        console.Out.Write(ArrayPrinter.Format(whole));
        console.Out.WriteLine(answer.Truncated ? $"({answer.Rows} rows, stopped at --limit)" : $"({CliText.Count(answer.Rows, "row")})");
    }
}
