using System.Reflection;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.Flight.Protocol.Sql;
using ArrowCid.Node;

namespace ArrowCid.Flight.Service.FlightSql;

/// <summary>
/// The metadata Flight SQL clients ask for before they query, as the protocol lays out each answer
/// (schemas as Arrow's FlightSql.proto gives them): the server's SqlInfo, the SQL types, catalogs,
/// schemas, table types, and the keys a table has (none: tables here have no keys). Tables are the
/// repository's names, each in no catalog and no schema, of type TABLE; a version is queried as
/// <c>"NAME@N"</c> and a table by its CID.
/// </summary>
internal static class FlightSqlCatalog
{
    /// <summary>The one table type.</summary>
    public const string TableType = "TABLE";

    /// <summary>CommandGetCatalogs: catalog_name.</summary>
    public static Schema Catalogs { get; } = new([new Field("catalog_name", ArrowType.Utf8, nullable: false)]);

    /// <summary>CommandGetDbSchemas: catalog_name, db_schema_name.</summary>
    public static Schema DbSchemas { get; } = new([new Field("catalog_name", ArrowType.Utf8), new Field("db_schema_name", ArrowType.Utf8, nullable: false)]);

    /// <summary>CommandGetTableTypes: table_type.</summary>
    public static Schema TableTypes { get; } = new([new Field("table_type", ArrowType.Utf8, nullable: false)]);

    /// <summary>CommandGetTables without the schemas of the tables.</summary>
    public static Schema Tables { get; } = new(
    [
        new Field("catalog_name", ArrowType.Utf8),
        new Field("db_schema_name", ArrowType.Utf8),
        new Field("table_name", ArrowType.Utf8, nullable: false),
        new Field("table_type", ArrowType.Utf8, nullable: false),
    ]);

    /// <summary>CommandGetTables with include_schema: each table's schema as an IPC Schema message.</summary>
    public static Schema TablesWithSchemas { get; } = new([.. Tables.Fields, new Field("table_schema", ArrowType.Binary, nullable: false)]);

    /// <summary>CommandGetPrimaryKeys.</summary>
    public static Schema PrimaryKeys { get; } = new(
    [
        new Field("catalog_name", ArrowType.Utf8),
        new Field("db_schema_name", ArrowType.Utf8),
        new Field("table_name", ArrowType.Utf8, nullable: false),
        new Field("column_name", ArrowType.Utf8, nullable: false),
        new Field("key_name", ArrowType.Utf8),
        new Field("key_sequence", ArrowType.Int32, nullable: false),
    ]);

    /// <summary>CommandGetExportedKeys, CommandGetImportedKeys and CommandGetCrossReference.</summary>
    public static Schema ForeignKeys { get; } = new(
    [
        new Field("pk_catalog_name", ArrowType.Utf8),
        new Field("pk_db_schema_name", ArrowType.Utf8),
        new Field("pk_table_name", ArrowType.Utf8, nullable: false),
        new Field("pk_column_name", ArrowType.Utf8, nullable: false),
        new Field("fk_catalog_name", ArrowType.Utf8),
        new Field("fk_db_schema_name", ArrowType.Utf8),
        new Field("fk_table_name", ArrowType.Utf8, nullable: false),
        new Field("fk_column_name", ArrowType.Utf8, nullable: false),
        new Field("key_sequence", ArrowType.Int32, nullable: false),
        new Field("fk_key_name", ArrowType.Utf8),
        new Field("pk_key_name", ArrowType.Utf8),
        new Field("update_rule", ArrowType.UInt8, nullable: false),
        new Field("delete_rule", ArrowType.UInt8, nullable: false),
    ]);

    /// <summary>CommandGetSqlInfo: info_name and its value, a dense union of the six kinds a value may be.</summary>
    public static Schema SqlInfo { get; } = new(
    [
        new Field("info_name", ArrowType.UInt32, nullable: false),
        new Field("value", ArrowType.Union(dense: true,
        [
            new Field("string_value", ArrowType.Utf8),
            new Field("bool_value", ArrowType.Boolean),
            new Field("bigint_value", ArrowType.Int64),
            new Field("int32_bitmask", ArrowType.Int32),
            new Field("string_list", ArrowType.List(new Field("string_data", ArrowType.Utf8))),
            new Field("int32_to_int32_list_map", ArrowType.Map(
                new Field("entries", ArrowType.Struct(
                    new Field("key", ArrowType.Int32, nullable: false),
                    new Field("value", ArrowType.List(new Field("$data$", ArrowType.Int32)))), nullable: false))),
        ]), nullable: false),
    ]);

    /// <summary>CommandGetXdbcTypeInfo.</summary>
    public static Schema XdbcTypeInfo { get; } = new(
    [
        new Field("type_name", ArrowType.Utf8, nullable: false),
        new Field("data_type", ArrowType.Int32, nullable: false),
        new Field("column_size", ArrowType.Int32),
        new Field("literal_prefix", ArrowType.Utf8),
        new Field("literal_suffix", ArrowType.Utf8),
        new Field("create_params", ArrowType.List(new Field("item", ArrowType.Utf8, nullable: false))),
        new Field("nullable", ArrowType.Int32, nullable: false),
        new Field("case_sensitive", ArrowType.Boolean, nullable: false),
        new Field("searchable", ArrowType.Int32, nullable: false),
        new Field("unsigned_attribute", ArrowType.Boolean),
        new Field("fixed_prec_scale", ArrowType.Boolean, nullable: false),
        new Field("auto_increment", ArrowType.Boolean),
        new Field("local_type_name", ArrowType.Utf8),
        new Field("minimum_scale", ArrowType.Int32),
        new Field("maximum_scale", ArrowType.Int32),
        new Field("sql_data_type", ArrowType.Int32, nullable: false),
        new Field("datetime_subcode", ArrowType.Int32),
        new Field("num_prec_radix", ArrowType.Int32),
        new Field("interval_precision", ArrowType.Int32),
    ]);

    // The union's type codes, in the order its members are declared.
    private const sbyte StringValue = 0;
    private const sbyte BoolValue = 1;
    private const sbyte Int32Bitmask = 3;
    private const sbyte Int32ToInt32ListMap = 5;

    /// <summary>The server's SqlInfo answers: the codes asked for that it has, in the order asked (all, in code order, when none are).</summary>
    public static RecordBatch SqlInfoOf(IReadOnlyCollection<uint> asked, NodeLimits limits)
    {
        var known = KnownSqlInfo(limits);
        var builder = new RecordBatchBuilder(SqlInfo);
        IEnumerable<uint> codes = asked.Count == 0 ? known.Keys.Order() : asked;
        foreach (uint code in codes)
        {
            if (known.TryGetValue(code, out var value))
            {
                builder.AppendRow(code, value);
            }
        }

        return builder.Build();
    }

    private static SortedDictionary<uint, (sbyte, object)> KnownSqlInfo(NodeLimits limits)
    {
        string version = typeof(FlightSqlCatalog).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        int timeout = (int)Math.Min(int.MaxValue, Math.Ceiling(limits.SqlTimeout.TotalSeconds));

        // SQL_SUPPORTS_CONVERT: DuckDB casts between every pair of these (SqlSupportsConvert codes).
        int[] convertible = [0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 16, 17, 18, 19];
        var converts = convertible.Select(from => new KeyValuePair<object, object?>(from, convertible.Where(to => to != from).Cast<object>().ToList())).ToList();
        return new()
        {
            [(uint)Protocol.Sql.SqlInfo.FlightSqlServerName] = (StringValue, "ArrowCid"),
            [(uint)Protocol.Sql.SqlInfo.FlightSqlServerVersion] = (StringValue, version),
            [(uint)Protocol.Sql.SqlInfo.FlightSqlServerArrowVersion] = (StringValue, "columnar format 1.5"),
            [(uint)Protocol.Sql.SqlInfo.FlightSqlServerReadOnly] = (BoolValue, false),
            [(uint)Protocol.Sql.SqlInfo.FlightSqlServerSql] = (BoolValue, true),
            [(uint)Protocol.Sql.SqlInfo.FlightSqlServerSubstrait] = (BoolValue, false),
            [(uint)Protocol.Sql.SqlInfo.FlightSqlServerTransaction] = (Int32Bitmask, 0),
            [(uint)Protocol.Sql.SqlInfo.FlightSqlServerCancel] = (BoolValue, false),
            [(uint)Protocol.Sql.SqlInfo.FlightSqlServerBulkIngestion] = (BoolValue, true),
            [(uint)Protocol.Sql.SqlInfo.FlightSqlServerIngestTransactionsSupported] = (BoolValue, false),
            [(uint)Protocol.Sql.SqlInfo.FlightSqlServerStatementTimeout] = (Int32Bitmask, timeout),
            [(uint)Protocol.Sql.SqlInfo.FlightSqlServerTransactionTimeout] = (Int32Bitmask, 0),
            [(uint)Protocol.Sql.SqlInfo.SqlDdlCatalog] = (BoolValue, false),
            [(uint)Protocol.Sql.SqlInfo.SqlDdlSchema] = (BoolValue, false),
            [(uint)Protocol.Sql.SqlInfo.SqlDdlTable] = (BoolValue, false),
            [(uint)Protocol.Sql.SqlInfo.SqlIdentifierCase] = (Int32Bitmask, (int)SqlSupportedCaseSensitivity.SqlCaseSensitivityCaseInsensitive),
            [(uint)Protocol.Sql.SqlInfo.SqlIdentifierQuoteChar] = (StringValue, "\""),
            [(uint)Protocol.Sql.SqlInfo.SqlAllTablesAreSelectable] = (BoolValue, true),
            // DuckDB sorts nulls last, ascending and descending.
            [(uint)Protocol.Sql.SqlInfo.SqlNullOrdering] = (Int32Bitmask, (int)SqlNullOrdering.SqlNullsSortedAtEnd),
            [(uint)Protocol.Sql.SqlInfo.SqlSearchStringEscape] = (StringValue, "\\"),
            [(uint)Protocol.Sql.SqlInfo.SqlSupportsColumnAliasing] = (BoolValue, true),
            [(uint)Protocol.Sql.SqlInfo.SqlNullPlusNullIsNull] = (BoolValue, true),
            [(uint)Protocol.Sql.SqlInfo.SqlSupportsConvert] = (Int32ToInt32ListMap, converts),
            [(uint)Protocol.Sql.SqlInfo.SqlSupportsExpressionsInOrderBy] = (BoolValue, true),
            [(uint)Protocol.Sql.SqlInfo.SqlSupportsOrderByUnrelated] = (BoolValue, true),
            [(uint)Protocol.Sql.SqlInfo.SqlSupportsLikeEscapeClause] = (BoolValue, true),
            [(uint)Protocol.Sql.SqlInfo.SqlSupportsNonNullableColumns] = (BoolValue, true),
            [(uint)Protocol.Sql.SqlInfo.SqlSchemaTerm] = (StringValue, "schema"),
            [(uint)Protocol.Sql.SqlInfo.SqlCatalogTerm] = (StringValue, "catalog"),
        };
    }

    /// <summary>The SQL types queries here have (DuckDB's, as results carry them), ordered by data_type then name; only <paramref name="dataType"/>'s when given.</summary>
    public static RecordBatch XdbcTypeInfoOf(int? dataType)
    {
        var builder = new RecordBatchBuilder(XdbcTypeInfo);
        foreach (var type in XdbcTypes.Where(t => dataType is null || t.DataType == dataType).OrderBy(t => t.DataType).ThenBy(t => t.Name, StringComparer.Ordinal))
        {
            bool numeric = type.Radix is not null;
            builder.AppendRow(
                type.Name, type.DataType, type.ColumnSize, type.Quote, type.Quote, type.CreateParams,
                (int)Protocol.Sql.Nullable.NullabilityNullable, type.DataType == (int)XdbcDataType.XdbcVarchar,
                (int)(type.DataType == (int)XdbcDataType.XdbcVarchar ? Searchable.Full : Searchable.Basic),
                numeric ? type.Unsigned : null, type.Name == "DECIMAL", numeric ? false : null, type.Name,
                type.Scale?.Min, type.Scale?.Max, type.SqlDataType ?? type.DataType, type.Subcode, type.Radix, null);
        }

        return builder.Build();
    }

    private sealed record XdbcType(string Name, int DataType, int? ColumnSize, string? Quote = null, List<object>? CreateParams = null, int? Radix = null, bool Unsigned = false, (int Min, int Max)? Scale = null, int? SqlDataType = null, int? Subcode = null);

    private static readonly XdbcType[] XdbcTypes =
    [
        new("BOOLEAN", (int)XdbcDataType.XdbcBit, 1),
        new("TINYINT", (int)XdbcDataType.XdbcTinyint, 3, Radix: 10, Scale: (0, 0)),
        new("SMALLINT", (int)XdbcDataType.XdbcSmallint, 5, Radix: 10, Scale: (0, 0)),
        new("INTEGER", (int)XdbcDataType.XdbcInteger, 10, Radix: 10, Scale: (0, 0)),
        new("BIGINT", (int)XdbcDataType.XdbcBigint, 19, Radix: 10, Scale: (0, 0)),
        new("UBIGINT", (int)XdbcDataType.XdbcBigint, 20, Radix: 10, Unsigned: true, Scale: (0, 0)),
        new("FLOAT", (int)XdbcDataType.XdbcReal, 24, Radix: 2),
        new("DOUBLE", (int)XdbcDataType.XdbcDouble, 53, Radix: 2),
        new("DECIMAL", (int)XdbcDataType.XdbcDecimal, 38, CreateParams: ["precision", "scale"], Radix: 10, Scale: (0, 38)),
        new("VARCHAR", (int)XdbcDataType.XdbcVarchar, null, "'"),
        new("BLOB", (int)XdbcDataType.XdbcVarbinary, null),
        new("DATE", (int)XdbcDataType.XdbcDate, 10, "'", SqlDataType: (int)XdbcDataType.XdbcDatetime, Subcode: (int)XdbcDatetimeSubcode.XdbcSubcodeDate),
        new("TIME", (int)XdbcDataType.XdbcTime, 15, "'", SqlDataType: (int)XdbcDataType.XdbcDatetime, Subcode: (int)XdbcDatetimeSubcode.XdbcSubcodeTime),
        new("TIMESTAMP", (int)XdbcDataType.XdbcTimestamp, 26, "'", SqlDataType: (int)XdbcDataType.XdbcDatetime, Subcode: (int)XdbcDatetimeSubcode.XdbcSubcodeTimestamp),
        new("INTERVAL", (int)XdbcDataType.XdbcInterval, null, "'", Subcode: (int)XdbcDatetimeSubcode.XdbcSubcodeIntervalDayToSecond),
    ];

    /// <summary>Whether <paramref name="value"/> matches a Flight SQL filter pattern (SQL LIKE: % any run, _ one character); a null pattern matches all.</summary>
    public static bool Matches(string? pattern, string? value)
    {
        if (pattern is null)
        {
            return true;
        }

        if (value is null)
        {
            // A thing in no schema matches only a pattern that matches everything.
            return pattern.All(c => c == '%');
        }

        return Like(pattern.AsSpan(), value.AsSpan());
    }

    private static bool Like(ReadOnlySpan<char> pattern, ReadOnlySpan<char> value)
    {
        // Iterative matching with one backtrack point: linear in practice, never exponential.
        int p = 0, v = 0, star = -1, resume = 0;
        while (v < value.Length)
        {
            if (p < pattern.Length && (pattern[p] == '_' || pattern[p] == value[v]) && pattern[p] != '%')
            {
                p++;
                v++;
            }
            else if (p < pattern.Length && pattern[p] == '%')
            {
                star = p++;
                resume = v;
            }
            else if (star >= 0)
            {
                p = star + 1;
                v = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '%')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
