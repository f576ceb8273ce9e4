using System.CommandLine;
using System.Globalization;
using ArrowCid.Ingest.Csv;

namespace ArrowCid.Cli.Inputs;

/// <summary>How the inputs of one command are read: their format and the CSV settings.</summary>
internal sealed record InputSettings(InputFormat Format, CsvReadOptions Csv, bool DelimiterGiven)
{
    /// <summary>Arrow IPC by default, every CSV setting at its default.</summary>
    public static InputSettings Default { get; } = new(InputFormat.Auto, CsvReadOptions.Default, false);

    /// <summary>The CSV options for <paramref name="path"/>: a .tsv file is tab-separated unless --delimiter says otherwise.</summary>
    public CsvReadOptions CsvFor(string path) =>
        !DelimiterGiven && path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) ? Csv with { Delimiter = '\t' } : Csv;
}

/// <summary>
/// The options commands that read data files share: <c>--format</c> and the CSV settings
/// (<c>--delimiter --quote --no-header --schema --batch-size --infer-rows</c>, docs/csv.md).
/// </summary>
internal sealed class InputOptions
{
    private readonly Option<string> _format = new("--format")
    {
        Description = "Input format: auto (by extension: .parquet, .csv/.tsv, else Arrow IPC), arrow, parquet or csv",
        DefaultValueFactory = _ => "auto",
        HelpName = "FORMAT",
    };

    private readonly Option<string?> _delimiter = new("--delimiter") { Description = "CSV field separator: one character, or 'tab' (default ',', tab for .tsv)", HelpName = "C" };
    private readonly Option<string?> _quote = new("--quote") { Description = "CSV quote character (default '\"'; doubled inside quotes)", HelpName = "C" };
    private readonly Option<bool> _noHeader = new("--no-header") { Description = "The CSV has no header line: columns are named f0, f1, …" };
    private readonly Option<string?> _schema = new("--schema") { Description = "CSV column types instead of inference, by name, e.g. 'a:int32,b:utf8,c:timestamp[ms,UTC]' (docs/csv.md)", HelpName = "SPEC" };
    private readonly Option<int> _batchSize = new("--batch-size") { Description = "CSV rows read into memory at a time (memory and speed only: the table's chunks and CID do not depend on it)", DefaultValueFactory = _ => CsvReadOptions.Default.BatchSize, HelpName = "N" };
    private readonly Option<int> _inferRows = new("--infer-rows") { Description = "CSV rows read to infer the column types", DefaultValueFactory = _ => CsvReadOptions.Default.InferenceRows, HelpName = "N" };

    public InputOptions()
    {
        _format.AcceptOnlyFromAmong("auto", "arrow", "parquet", "csv");
        Positive(_batchSize);
        Positive(_inferRows);
    }

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(_format);
        command.Options.Add(_delimiter);
        command.Options.Add(_quote);
        command.Options.Add(_noHeader);
        command.Options.Add(_schema);
        command.Options.Add(_batchSize);
        command.Options.Add(_inferRows);
    }

    /// <summary>The settings the command line gives; a bad CSV setting is a one-line failure.</summary>
    public InputSettings Read(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var format = parse.GetValue(_format) switch
        {
            "arrow" => InputFormat.Arrow,
            "parquet" => InputFormat.Parquet,
            "csv" => InputFormat.Csv,
            _ => InputFormat.Auto,
        };
        string? delimiter = parse.GetValue(_delimiter);
        string? spec = parse.GetValue(_schema);
        IReadOnlyList<ArrowCid.Arrow.Types.Field>? fields;
        try
        {
            fields = spec is null ? null : CsvSchemaSpec.Parse(spec);
        }
        catch (CsvFormatException e)
        {
            throw new CliException($"--schema: {e.Message}", e);
        }

        var csv = CsvReadOptions.Default with
        {
            Delimiter = delimiter is null ? CsvReadOptions.Default.Delimiter : Character(delimiter, "--delimiter"),
            Quote = parse.GetValue(_quote) is { } quote ? Character(quote, "--quote") : CsvReadOptions.Default.Quote,
            HasHeader = !parse.GetValue(_noHeader),
            SchemaOverride = fields,
            BatchSize = parse.GetValue(_batchSize),
            InferenceRows = parse.GetValue(_inferRows),
        };
        if (csv.Delimiter == csv.Quote)
        {
            throw new CliException("--delimiter and --quote must differ");
        }

        return new InputSettings(format, csv, delimiter is not null);
    }

    private static char Character(string text, string option) => text switch
    {
        "tab" or "\\t" => '\t',
        { Length: 1 } when text[0] is not ('\r' or '\n') => text[0],
        _ => throw new CliException($"{option} must be one character (or 'tab'), not '{text}'"),
    };

    private static void Positive(Option<int> option) => option.Validators.Add(result =>
    {
        if (result.Tokens.Count == 1 && int.TryParse(result.Tokens[0].Value, CultureInfo.InvariantCulture, out int value) && value < 1)
        {
            result.AddError($"{option.Name} must be 1 or more");
        }
    });
}
