using System.Globalization;
using ArrowCid.Node;
using ArrowCid.Wire;

namespace ArrowCid.Sql;

/// <summary>
/// A node's SQL, whatever face asks (Flight SQL, <c>POST /api/v1/sql</c>): each query on an engine
/// of its own, under the node's limits (<see cref="NodeLimits.SqlMemoryBytes"/>,
/// <see cref="NodeLimits.SqlTimeout"/>, <see cref="NodeLimits.SqlMaxRows"/>, at most
/// <see cref="NodeLimits.SqlQueries"/> at once), its result stored as a table and handed out by
/// its CID. Results are not pinned: they stay while gc leaves them, and a query asked again over
/// the same versions is answered from its stored result without running. Every failure is a
/// <see cref="NodeException"/> of the kind the faces map.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The node's one SemaphoreSlim makes no wait handle (only WaitAsync is used): it lives with the node and holds nothing but memory.")]
public sealed class NodeSql
{
    // One per node, whichever faces ask: the node's queries share its turns.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ContentNode, NodeSql> OfNode = [];

    private readonly ContentNode _node;

    private readonly SemaphoreSlim _turns;

    // Engines between queries, at most one a turn: opening DuckDB (10–25 ms) costs more than a small query.
    private readonly System.Collections.Concurrent.ConcurrentBag<SqlEngine> _idle = [];

    private NodeSql(ContentNode node)
    {
        _node = node;
        _turns = new SemaphoreSlim(Math.Max(1, node.Options.Limits.SqlQueries));
    }

    /// <summary>Queries holding a turn now (for tests: a query is running, or about to).</summary>
    internal int Running => Math.Max(1, _node.Options.Limits.SqlQueries) - _turns.CurrentCount;

    /// <summary>The SQL of <paramref name="node"/>: one for the node, shared by its faces.</summary>
    public static NodeSql Of(ContentNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return OfNode.GetValue(node, static n => new NodeSql(n));
    }

    /// <summary>What a face says of a stored result beside its rows.</summary>
    public static SqlAnswerMetadata Describe(SqlStored stored, long rows)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return new SqlAnswerMetadata(
            stored.Table.ToString(), rows, stored.Reused,
            [.. stored.Inputs.Select(i => new SqlInputBody(i.Reference, i.Name, i.Version, i.Cid.ToString()))]);
    }

    /// <summary>
    /// Runs <paramref name="sql"/> (or finds its stored result) and stores the answer as a table.
    /// </summary>
    /// <param name="sql">One SQL query.</param>
    /// <param name="cancellation">The caller going away: the query stops wherever it is.</param>
    /// <returns>The result's table and the versions the query read.</returns>
    /// <exception cref="NodeException">The query is malformed or names no table here (INVALID_ARGUMENT, NOT_FOUND), reaches for a file, the network or a setting (PERMISSION_DENIED), or passes a limit (RESOURCE_EXHAUSTED).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> stopped it.</exception>
    public async Task<SqlStored> StoreAsync(string sql, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(sql);
        if (string.IsNullOrWhiteSpace(sql))
        {
            throw NodeException.Invalid("the query is empty");
        }

        var limits = _node.Options.Limits;
        using var deadline = limits.SqlTimeout > TimeSpan.Zero ? new CancellationTokenSource(limits.SqlTimeout) : new CancellationTokenSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation, deadline.Token);
        try
        {
            await _turns.WaitAsync(stop.Token).ConfigureAwait(false);
            try
            {
                // DuckDB blocks the thread it runs on: off the caller's, which serves a connection.
                return await Task.Run(() => Run(sql, stop.Token), stop.Token).ConfigureAwait(false);
            }
            finally
            {
                _turns.Release();
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellation.IsCancellationRequested)
        {
            throw new NodeLimitExhaustedException("sql_timeout", string.Create(CultureInfo.InvariantCulture, $"the query ran past the node's sql_timeout = {limits.SqlTimeout.TotalSeconds:0.###} s and was stopped"));
        }
        catch (SqlException e)
        {
            throw ToNodeException(e);
        }
    }

    private SqlStored Run(string sql, CancellationToken stop)
    {
        var limits = _node.Options.Limits;
        var engine = _idle.TryTake(out var kept) ? kept : SqlEngine.Open(
            _node.Repository,
            new SqlLimits { MemoryLimit = string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, limits.SqlMemoryBytes >> 20)}MiB") },
            // Missing blocks come from peers or the durable tier, under the query's own deadline.
            cid => _node.EnsureLocalAsync(cid, CancellationToken.None).WaitAsync(limits.SqlTimeout > TimeSpan.Zero ? limits.SqlTimeout : Timeout.InfiniteTimeSpan).GetAwaiter().GetResult(),
            // Names and CIDs as the node answers them: with a shared registry, what any node put.
            _node.Registrations.Registry);
        bool keep = false;
        try
        {
            // The answer published as a put through the node is: in the bucket and the shared
            // registry before it is handed out, so any node serves its CID.
            using var publication = _node.Registrations.ForPut();
            var stored = engine.Store(sql, new SqlStoreOptions { MaxRows = limits.SqlMaxRows, Pin = false, Publisher = publication }, stop);
            keep = true;
            return stored;
        }
        catch (SqlException)
        {
            // DuckDB answered (a refusal, an error): the engine is as good as before.
            keep = true;
            throw;
        }
        finally
        {
            if (keep)
            {
                engine.Reset();
                _idle.Add(engine);
            }
            else
            {
                // Stopped or failed in a way DuckDB did not answer: a fresh engine for the next query.
                engine.Dispose();
            }
        }
    }

    private static NodeException ToNodeException(SqlException e) => e.Kind switch
    {
        SqlErrorKind.NotFound => new NodeException(NodeErrorKind.NotFound, e.Message, e),
        SqlErrorKind.Refused => new NodeException(NodeErrorKind.PermissionDenied, e.Message, e),
        SqlErrorKind.TooManyRows => new NodeLimitExhaustedException("sql_max_rows", $"{e.Message} (the node's sql_max_rows)", e),
        SqlErrorKind.Exhausted => new NodeLimitExhaustedException("sql_memory_bytes", $"{e.Message} (the node's sql_memory_bytes)", e),
        SqlErrorKind.Unavailable => new NodeException(NodeErrorKind.Unavailable, e.Message, e),
        _ => new NodeException(NodeErrorKind.InvalidArgument, e.Message, e),
    };
}

/// <summary>A SQL query passed one of the node's limits (RESOURCE_EXHAUSTED, HTTP 422); the message names it.</summary>
public sealed class NodeLimitExhaustedException : NodeException
{
    /// <summary>A query that passed <paramref name="limit"/>.</summary>
    public NodeLimitExhaustedException(string limit, string message, Exception? innerException = null)
        : base(NodeErrorKind.ResourceExhausted, message, innerException) => Limit = limit;

    /// <summary>Creates the exception with a default message.</summary>
    public NodeLimitExhaustedException()
        : this(string.Empty, "the query passed one of the node's limits") { }

    /// <summary>Creates the exception with a message.</summary>
    public NodeLimitExhaustedException(string message)
        : this(string.Empty, message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public NodeLimitExhaustedException(string message, Exception innerException)
        : this(string.Empty, message, innerException) { }

    /// <summary>The limit's name as docs/security.md lists it (<c>sql_timeout</c>, <c>sql_memory_bytes</c>, <c>sql_max_rows</c>).</summary>
    public string Limit { get; }
}
