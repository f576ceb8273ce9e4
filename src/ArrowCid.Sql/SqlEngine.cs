using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Multiformats;
using ArrowCid.DuckDb;
using ArrowCid.Registry;
using ArrowCid.Repository;

namespace ArrowCid.Sql;

/// <summary>What an engine may use: DuckDB's memory and threads.</summary>
public sealed record SqlLimits
{
    /// <summary>DuckDB's memory limit (<c>512MB</c>, <c>4GB</c>), or null for DuckDB's default (80% of the machine's memory).</summary>
    public string? MemoryLimit { get; init; }

    /// <summary>DuckDB's worker threads, or null for one a core.</summary>
    public int? Threads { get; init; }
}

/// <summary>A table a query read: how the query named it and the exact content it stands for.</summary>
/// <param name="Reference">The name as the query wrote it (<c>sensors</c>, <c>sensors@2</c>, a CID).</param>
/// <param name="Name">The table name, when the reference was one.</param>
/// <param name="Version">The version read, when the reference was a name.</param>
/// <param name="Cid">The table's CID.</param>
public sealed record SqlInput(string Reference, string? Name, long? Version, Cid Cid);

/// <summary>A query's answer: its rows as Arrow (the holder disposes them) and the tables it read.</summary>
/// <param name="Answer">Schema, batches, and whether a row limit cut them short.</param>
/// <param name="Inputs">Every table the query read, once each, in the order first named.</param>
public sealed record SqlResult(DuckDbAnswer Answer, IReadOnlyList<SqlInput> Inputs) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose() => Answer.Dispose();
}

/// <summary>Why a query failed, as every face reports it.</summary>
public enum SqlErrorKind
{
    /// <summary>The query is malformed or cannot be answered as written: a syntax, binder or conversion error.</summary>
    Invalid,

    /// <summary>A table the query names is no CID held here and no table name.</summary>
    NotFound,

    /// <summary>The query reached for what SQL here may not: a file, the network, an extension, an engine setting.</summary>
    Refused,

    /// <summary>The query needed more memory than its limit.</summary>
    Exhausted,

    /// <summary>The answer has more rows than it may have.</summary>
    TooManyRows,

    /// <summary>DuckDB's library is missing or would not open.</summary>
    Unavailable,
}

/// <summary>A query refused or failed: DuckDB's message (a syntax or binder error, a limit, a refused file access) and its kind.</summary>
public sealed class SqlException : Exception
{
    /// <summary>A failure of <paramref name="kind"/>.</summary>
    public SqlException(string message, SqlErrorKind kind = SqlErrorKind.Invalid, Exception? inner = null)
        : base(message, inner) => Kind = kind;

    /// <summary>Creates the exception with a default message.</summary>
    public SqlException()
        : this("the query failed") { }

    /// <summary>Creates the exception with a message.</summary>
    public SqlException(string message)
        : this(message, SqlErrorKind.Invalid) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public SqlException(string message, Exception innerException)
        : this(message, SqlErrorKind.Invalid, innerException) { }

    /// <summary>Why the query failed.</summary>
    public SqlErrorKind Kind { get; }

    /// <summary>
    /// The kind of a DuckDB error, by the class its message starts with: a refused file or setting
    /// (<c>Permission Error</c>, a locked configuration), memory (<c>Out of Memory Error</c>), a table
    /// that does not exist (<c>Catalog Error</c>), anything else the query's own fault.
    /// </summary>
    internal static SqlErrorKind KindOf(string message) => message switch
    {
        _ when message.StartsWith("Permission Error", StringComparison.Ordinal) || message.Contains("configuration has been locked", StringComparison.Ordinal) => SqlErrorKind.Refused,
        _ when message.StartsWith("Out of Memory Error", StringComparison.Ordinal) => SqlErrorKind.Exhausted,
        _ when message.StartsWith("Catalog Error", StringComparison.Ordinal) => SqlErrorKind.NotFound,
        _ => SqlErrorKind.Invalid,
    };
}

/// <summary>
/// Runs SQL over a repository's tables on an embedded DuckDB. A table is named by its CID, by a
/// table name (its latest version) or by <c>NAME@N</c>, quoted where SQL needs it
/// (<c>FROM "plant-3/temps@2" JOIN "bafy…"</c>); each is resolved once, to an exact version, the first
/// time the query names it, and read block by block (re-hashed) by every scan. The database is
/// closed to files and the network and its settings are locked (<see cref="DuckDbConnection.LockDown"/>):
/// SQL reaches the repository's tables and nothing else. One engine runs one query at a time.
/// </summary>
public sealed class SqlEngine : IDisposable
{
    private readonly ContentRepository _content;
    private readonly IRegistry _registry;
    private readonly Action<Cid>? _ensureLocal;
    private readonly DuckDbConnection _db;
    private readonly Dictionary<string, (SqlInput Input, RepositoryTable Table)> _resolved = new(StringComparer.Ordinal);
    private readonly List<SqlInput> _inputs = [];
    private readonly object _gate = new();
    private string? _engineVersion;

    private SqlEngine(ContentRepository content, IRegistry registry, DuckDbConnection db, Action<Cid>? ensureLocal)
    {
        _content = content;
        _registry = registry;
        _db = db;
        _ensureLocal = ensureLocal;
    }

    /// <summary>Opens an engine over <paramref name="content"/>'s tables.</summary>
    /// <param name="content">The repository whose tables queries read.</param>
    /// <param name="limits">DuckDB's memory and threads (default: DuckDB's own).</param>
    /// <param name="ensureLocal">Called with a table's CID before it is read, to bring missing blocks (a node's peers); null when none can come.</param>
    /// <param name="registry">Where the names and CIDs a query gives are looked up: the registry a node shares with others (the tables any node put), or null for <paramref name="content"/>'s own.</param>
    /// <returns>The engine.</returns>
    /// <exception cref="SqlException">DuckDB's library is not beside the program, or refused to open.</exception>
    public static SqlEngine Open(ContentRepository content, SqlLimits? limits = null, Action<Cid>? ensureLocal = null, IRegistry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        string library = DuckDbConnection.FindLibrary()
            ?? throw new SqlException("DuckDB's library (libduckdb.so) is not beside the program: set ARROWCID_LIBDUCKDB to its path", SqlErrorKind.Unavailable);
        DuckDbConnection db;
        try
        {
            db = DuckDbConnection.Open(library);
        }
        catch (IOException e)
        {
            throw new SqlException(e.Message, SqlErrorKind.Unavailable, e);
        }

        var engine = new SqlEngine(content, registry ?? content.Repository.Registry, db, ensureLocal);
        try
        {
            db.RegisterTables(engine.Resolve);
            db.LockDown(limits?.MemoryLimit, limits?.Threads);
            return engine;
        }
        catch (IOException e)
        {
            engine.Dispose();
            throw new SqlException(e.Message, SqlErrorKind.Unavailable, e);
        }
    }

    /// <summary>Runs <paramref name="sql"/> and reads its answer whole.</summary>
    /// <param name="sql">One SQL query.</param>
    /// <param name="maxRows">Rows read at most (the answer says when it stopped there).</param>
    /// <param name="cancellation">Stops the query wherever it is (a deadline, a client gone).</param>
    /// <returns>The answer and the tables it read.</returns>
    /// <exception cref="SqlException">DuckDB refused or failed the query.</exception>
    /// <exception cref="OperationCanceledException">The query was stopped by <paramref name="cancellation"/>.</exception>
    public SqlResult Query(string sql, long maxRows = long.MaxValue, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(sql);
        DuckDbAnswer answer;
        try
        {
            answer = _db.QueryArrow(sql, maxRows, cancellation);
        }
        catch (IOException e)
        {
            string message = e.Message.StartsWith("DuckDB: ", StringComparison.Ordinal) ? e.Message["DuckDB: ".Length..] : e.Message;
            throw new SqlException(message, SqlException.KindOf(message), e);
        }

        lock (_gate)
        {
            return new SqlResult(answer, [.. _inputs]);
        }
    }

    /// <summary>DuckDB's version (<c>v1.5.…</c>), as provenance records it.</summary>
    public string EngineVersion => _engineVersion ??= ReadEngineVersion();

    /// <summary>
    /// Answers <paramref name="sql"/> with a stored result: the result an earlier run stored for the
    /// same query text, when every table it read still resolves to the same CID on the same DuckDB
    /// version (then the query does not run), else the query's answer, stored as a table (a new
    /// version of <see cref="SqlStoreOptions.Name"/> when given) whose provenance records the query,
    /// its inputs and the engine. The whole answer is stored and returned.
    /// </summary>
    /// <param name="sql">One SQL query.</param>
    /// <param name="options">The name to store under, and whether to run the query whatever is stored.</param>
    /// <param name="cancellation">Stops the query wherever it is.</param>
    /// <returns>The answer and the stored table.</returns>
    /// <exception cref="SqlException">DuckDB refused or failed the query, or its answer has more than <see cref="SqlStoreOptions.MaxRows"/> rows (<see cref="SqlErrorKind.TooManyRows"/>).</exception>
    /// <exception cref="OperationCanceledException">The query was stopped by <paramref name="cancellation"/>.</exception>
    public (SqlResult Result, SqlStored Stored) QueryAndStore(string sql, SqlStoreOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(sql);
        options ??= new SqlStoreOptions();
        if (!options.NoCache && FindStored(sql) is { } earlier)
        {
            var stored = Reuse(earlier, options);
            var batches = _content.ReadBatches(stored.Table).ToList();
            var answer = new DuckDbAnswer(batches.Count > 0 ? batches[0].Schema : SchemaOf(stored.Table), batches, Truncated: false);
            return (new SqlResult(answer, stored.Inputs), stored);
        }

        var result = RunBounded(sql, options, cancellation);
        try
        {
            return (result, Put(sql, result, options));
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Stores <paramref name="sql"/>'s result as <see cref="QueryAndStore"/> does, and keeps none of
    /// its rows: what a server answers with, handing out the result by its CID.
    /// </summary>
    /// <param name="sql">One SQL query.</param>
    /// <param name="options">The name to store under, whether to run the query whatever is stored, its row limit and pin.</param>
    /// <param name="cancellation">Stops the query wherever it is.</param>
    /// <returns>The stored table and the inputs it was made from.</returns>
    /// <exception cref="SqlException">DuckDB refused or failed the query, or its answer has more than <see cref="SqlStoreOptions.MaxRows"/> rows (<see cref="SqlErrorKind.TooManyRows"/>).</exception>
    /// <exception cref="OperationCanceledException">The query was stopped by <paramref name="cancellation"/>.</exception>
    public SqlStored Store(string sql, SqlStoreOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(sql);
        options ??= new SqlStoreOptions();
        if (!options.NoCache && FindStored(sql) is { } earlier)
        {
            return Reuse(earlier, options);
        }

        using var result = RunBounded(sql, options, cancellation);
        return Put(sql, result, options);
    }

    // The query's answer whole, refused when it has more rows than the options allow (a part would be
    // stored as if it were the answer).
    private SqlResult RunBounded(string sql, SqlStoreOptions options, CancellationToken cancellation)
    {
        var result = Query(sql, options.MaxRows, cancellation);
        if (result.Answer.Truncated)
        {
            result.Dispose();
            throw new SqlException(
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the answer has more than {options.MaxRows} rows, the most one answer may have here"),
                SqlErrorKind.TooManyRows);
        }

        return result;
    }

    private SqlStored Put(string sql, SqlResult result, SqlStoreOptions options)
    {
        var put = _content.PutStream(
            result.Answer.Schema,
            result.Answer.Batches,
            new PutOptions
            {
                Name = options.Name,
                Producer = "arrowcid sql",
                Provenance = SqlProvenance.Write(sql, result.Inputs, EngineVersion),
                Pin = options.Pin,
            },
            options.Publisher);
        // Only the table carries the query's key (a put's tags would label its chunks too).
        _content.Repository.Registry.SetTag(put.Table.Cid, SqlProvenance.QueryTag, SqlProvenance.QueryKey(sql));
        return new SqlStored(put.Table.Cid, put.VersionAdded ? put.Version : null, Reused: false, result.Inputs);
    }

    // An earlier run's result answers; a name given is pointed at it too (no new version when it already is).
    private SqlStored Reuse((Cid Cid, IReadOnlyList<SqlInput> Inputs) earlier, SqlStoreOptions options)
    {
        if (options.Pin)
        {
            _content.Repository.Pin(earlier.Cid);
            if (options.Publisher is { } publisher)
            {
                // Pinned where the put would have pinned it: in the registry the node shares.
                publisher.Registered(earlier.Cid, pinned: true);
                publisher.Flush();
            }
        }

        var version = options.Name is { } name && (options.Publisher is { } names ? names.AddVersionUnlessLatest(name, earlier.Cid) : _content.AddVersionUnlessLatest(name, earlier.Cid)) is { Added: true } named
            ? named.Version
            : null;
        return new SqlStored(earlier.Cid, version, Reused: true, earlier.Inputs);
    }

    /// <summary>
    /// Forgets the versions the names resolved to and the inputs read: the next query resolves every
    /// name afresh, as on a new engine (a server keeps engines for query after query, since opening
    /// DuckDB costs more than many a small query).
    /// </summary>
    public void Reset()
    {
        lock (_gate)
        {
            _resolved.Clear();
            _inputs.Clear();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _db.Dispose();

    // The newest stored result of this query text whose inputs all resolve as they did, on this engine version.
    private (Cid Cid, IReadOnlyList<SqlInput> Inputs)? FindStored(string sql)
    {
        string key = SqlProvenance.QueryKey(sql);
        var tagged = _content.Repository.Registry.List(new RegistryQuery { Tags = new Dictionary<string, string> { [SqlProvenance.QueryTag] = key } });
        foreach (var record in tagged.OrderByDescending(r => r.Created))
        {
            if (record.Kind is not (BlockKind.Dataset or BlockKind.Batch)
                || SqlProvenance.Read(record.Provenance) is not { } made
                || made.Query != sql
                || made.EngineVersion != EngineVersion
                || !made.Inputs.All(input => ResolveInput(input.Reference)?.Input.Cid == input.Cid))
            {
                continue;
            }

            return (record.Cid, made.Inputs);
        }

        return null;
    }

    private Schema SchemaOf(Cid table) => new RepositoryTable(_content, table).Schema;

    private string ReadEngineVersion()
    {
        using var answer = _db.QueryArrow("SELECT version()");
        return Arrow.Printing.ArrayPrinter.GetValue(answer.Batches[0].Columns[0], 0) as string ?? "unknown";
    }

    // The table a name stands for, resolved once per engine (so every scan of it in a query reads one
    // version); null when the name is no CID held here and no table name (DuckDB then says it does not exist).
    private RepositoryTable? Resolve(string reference) => ResolveInput(reference)?.Table;

    private (SqlInput Input, RepositoryTable Table)? ResolveInput(string reference)
    {
        lock (_gate)
        {
            if (_resolved.TryGetValue(reference, out var known))
            {
                return known;
            }

            if (Find(reference) is not { } input)
            {
                return null;
            }

            _ensureLocal?.Invoke(input.Cid);
            var resolved = (input, new RepositoryTable(_content, input.Cid));
            _resolved[reference] = resolved;
            _inputs.Add(input);
            return resolved;
        }
    }

    private SqlInput? Find(string reference)
    {
        var registry = _registry;
        if (Cid.TryParse(reference, out var cid))
        {
            return registry.Find(cid) is { Kind: BlockKind.Dataset or BlockKind.Batch or BlockKind.ArrowStream }
                ? new SqlInput(reference, null, null, cid)
                : null;
        }

        DatasetReference name;
        try
        {
            name = DatasetReference.Parse(reference);
        }
        catch (InvalidDatasetNameException)
        {
            return null;
        }

        return registry.FindVersion(name.Name, name.Version) is { } version
            ? new SqlInput(reference, version.Name, version.Version, version.Cid)
            : null;
    }

    /// <summary>A table of the repository as DuckDB reads it: its schema from its manifest (or its one block), its batches re-hashed as read.</summary>
    private sealed class RepositoryTable(ContentRepository content, Cid cid) : IDuckDbTable
    {
        private Schema? _schema;

        public Schema Schema => _schema ??= ReadSchema();

        public long? Rows => content.Repository.GetRecord(cid)?.Rows;

        // A table's chunks, each opened and re-hashed by whichever DuckDB thread claims it; an Arrow
        // stream kept as sent is read in sequence.
        public IReadOnlyList<Func<RecordBatch>>? Parts()
        {
            if (cid.Codec == Multicodec.Raw)
            {
                return content.Repository.GetRecord(cid)?.Kind == BlockKind.ArrowStream ? null : [() => content.OpenBatch(cid)];
            }

            content.RequireComplete(cid);
            return [.. content.OpenTable(cid).Chunks().Select(chunk => (Func<RecordBatch>)(() => content.OpenBatch(chunk.Cid)))];
        }

        public IEnumerable<RecordBatch> Read() => content.ReadBatches(cid);

        private Schema ReadSchema()
        {
            if (cid.Codec != Multicodec.Raw)
            {
                return content.OpenTable(cid).Schema;
            }

            using var batches = content.ReadBatches(cid).GetEnumerator();
            if (!batches.MoveNext())
            {
                throw new SqlException($"{cid} holds no record batch");
            }

            using var first = batches.Current;
            return first.Schema;
        }
    }
}
