using System.CommandLine;
using ArrowCid.Arrow.Arrays;
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
        var command = new Command("sql", "Run a SQL query over the repository's tables on embedded DuckDB and print its answer; no file or network is reachable from the query") { query, json, limit, memory };
        command.SetAction(parse =>
        {
            using var content = repository.Open(parse);
            using var engine = SqlEngine.Open(content, new SqlLimits { MemoryLimit = parse.GetValue(memory) }, cid => RepositoryOption.FetchMissing(content, cid));
            int? rows = parse.GetValue(limit);
            using var result = engine.Query(parse.GetRequiredValue(query), rows ?? long.MaxValue);
            if (parse.GetValue(json))
            {
                // Text like every --json of the CLI (tests read it from the console's writer).
                using var document = new MemoryStream();
                SqlJson.Write(document, result);
                console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(document.GetBuffer(), 0, (int)document.Length));
                return ExitCodes.Ok;
            }

            Print(console, result.Answer);
            return ExitCodes.Ok;
        });
        return command;
    }

    // The answer as one table, then how many rows it has (and whether --limit cut it).
    private static void Print(CliConsole console, DuckDb.DuckDbAnswer answer)
    {
        var columns = Enumerable.Range(0, answer.Schema.Fields.Length)
            .Select(c => ArrayConcatenation.Concatenate([.. answer.Batches.Select(b => b.Columns[c])]))
            .ToList();
        using var whole = new RecordBatch(answer.Schema, checked((int)answer.Rows), columns);
        console.Out.Write(ArrayPrinter.Format(whole));
        console.Out.WriteLine(answer.Truncated ? $"({answer.Rows} rows, stopped at --limit)" : $"({CliText.Count(answer.Rows, "row")})");
    }
}
