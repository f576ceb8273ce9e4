using System.Data.Common;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Registry;

/// <summary>
/// What the SQL registries share: the statements over tags, locations, links, pins and deletes,
/// written once against ADO.NET's <see cref="DbConnection"/> with <c>@name</c> parameters (SQLite
/// and PostgreSQL both accept them). Each back end supplies its transactions (how it locks), how a
/// pin is stored, how a change is recorded (PostgreSQL also NOTIFYs), and the statements whose SQL
/// really differs (upsert, record reads, the change feed's time column).
/// </summary>
public abstract class SqlRegistry : IRegistry
{
    /// <summary>
    /// The clock of the process using the registry. A registry file (SQLite) takes its times from
    /// it; a server (PostgreSQL) from its own clock, so that versions made by nodes whose clocks
    /// disagree are timestamped, and so ordered and filtered, by one clock. Default: the system's.
    /// </summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>The time a write records, inside its transaction: <see cref="Clock"/>'s, unless the back end has a clock of its own.</summary>
    protected virtual DateTimeOffset Now(DbConnection connection, DbTransaction transaction) => Clock.GetUtcNow();

    /// <summary>Runs <paramref name="work"/> in a write transaction and commits it.</summary>
    protected abstract T Write<T>(Func<DbConnection, DbTransaction, T> work);

    /// <summary>Runs <paramref name="work"/> in a read transaction (one snapshot) and commits it.</summary>
    protected abstract T Read<T>(Func<DbConnection, DbTransaction, T> work);

    /// <summary>How the back end stores a pin flag (an integer or a boolean).</summary>
    protected abstract object PinnedValue(bool pinned);

    /// <summary>A SQL condition true for pinned rows of <c>blocks</c>.</summary>
    protected abstract string PinnedCondition { get; }

    /// <summary>Appends a change to the feed, inside the caller's write transaction.</summary>
    protected abstract void AddChange(DbConnection connection, DbTransaction transaction, string cid, RegistryChangeKind kind, DateTimeOffset at);

    /// <summary>The <c>versions</c> table's time column (SQLite keeps microseconds, PostgreSQL a timestamptz).</summary>
    protected abstract string VersionTimeColumn { get; }

    /// <summary>An instant as the back end stores it in <see cref="VersionTimeColumn"/>.</summary>
    protected abstract object StoredTime(DateTimeOffset time);

    /// <summary>An instant read back from <see cref="VersionTimeColumn"/>.</summary>
    protected abstract DateTimeOffset ReadTime(DbDataReader reader, int ordinal);

    /// <inheritdoc/>
    public BlockRecord Upsert(BlockRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(record.Cid);
        return Write((c, t) => UpsertIn(c, t, record, out _));
    }

    /// <inheritdoc/>

    /// <inheritdoc/>
    public IReadOnlyList<BlockRecord> UpsertAll(IReadOnlyList<BlockRecord> records)
    {
        CheckUpsertArguments(records);
        if (records.Count == 0)
        {
            return [];
        }

        return Write((c, t) => UpsertEachIn(c, t, records));
    }

    /// <summary>Checks the arguments of an <see cref="UpsertAll"/>.</summary>
    protected static void CheckUpsertArguments(IReadOnlyList<BlockRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);

        foreach (var record in records)
        {
            ArgumentNullException.ThrowIfNull(record);
            ArgumentNullException.ThrowIfNull(record.Cid);
        }
    }

    /// <summary>Upserts records in order inside a write transaction, as <see cref="UpsertAll"/> does.</summary>
    protected IReadOnlyList<BlockRecord> UpsertEachIn(DbConnection connection, DbTransaction transaction, IReadOnlyList<BlockRecord> records)
    {
        var stored = new BlockRecord[records.Count];
        for (int i = 0; i < records.Count; i++)
        {
            stored[i] = UpsertIn(connection, transaction, records[i], out _);
        }

        return stored;
    }

    /// <summary>One upsert inside a write transaction (see <see cref="Upsert"/>); <paramref name="wasPinned"/> tells whether the record was pinned before.</summary>
    protected abstract BlockRecord UpsertIn(DbConnection connection, DbTransaction transaction, BlockRecord record, out bool wasPinned);

    /// <inheritdoc/>
    public abstract BlockRecord? Find(Cid cid);

    /// <inheritdoc/>
    public abstract IReadOnlyList<BlockRecord> List(RegistryQuery? query = null);

    /// <inheritdoc/>
    public abstract IReadOnlyList<RegistryChange> ChangesSince(long sequence, int limit = 1000);

    /// <inheritdoc/>
    public long LatestSequence => Read((c, t) => SqlCommands.ScalarInt64(c, t, "SELECT COALESCE(MAX(seq), 0) FROM changes;") ?? 0);

    /// <inheritdoc/>
    public IReadOnlyDictionary<BlockKind, RegistryTotal> CountByKind() => Read((c, t) =>
    {
        using var command = SqlCommands.Create(c, t, "SELECT kind, COUNT(*), COALESCE(SUM(rows), 0), COALESCE(SUM(bytes), 0) FROM blocks GROUP BY kind;");
        using var reader = command.ExecuteReader();
        var totals = new Dictionary<BlockKind, RegistryTotal>();
        while (reader.Read())
        {
            totals[(BlockKind)reader.GetInt32(0)] = new RegistryTotal(reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        }

        return totals;
    });

    /// <inheritdoc/>
    public bool Contains(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        return Read((c, t) => Exists(c, t, cid.ToString()));
    }

    /// <inheritdoc/>
    public IReadOnlyList<Cid> ListCids(Cid? after = null, int? limit = null)
    {
        var (sql, parameters) = Page("SELECT cid FROM blocks WHERE 1 = 1", "cid", after?.ToString(), limit);
        return Read((c, t) => SqlCommands.Strings(c, t, sql, parameters).ConvertAll(Cid.Parse));
    }

    /// <inheritdoc/>
    public bool Pin(Cid cid) => SetPinned(cid, pinned: true);

    /// <inheritdoc/>
    public bool Unpin(Cid cid) => SetPinned(cid, pinned: false);

    /// <inheritdoc/>
    public bool SetTag(Cid cid, string key, string value)
    {
        ArgumentNullException.ThrowIfNull(cid);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        return Write((c, t) =>
        {
            string text = cid.ToString();
            if (!Exists(c, t, text))
            {
                return false;
            }

            if (UpsertTag(c, t, text, key, value))
            {
                AddChange(c, t, text, RegistryChangeKind.Tagged, Now(c, t));
            }

            return true;
        });
    }

    /// <inheritdoc/>
    public bool RemoveTag(Cid cid, string key)
    {
        ArgumentNullException.ThrowIfNull(cid);
        ArgumentNullException.ThrowIfNull(key);
        return Write((c, t) =>
        {
            string text = cid.ToString();
            bool removed = SqlCommands.Execute(c, t, "DELETE FROM tags WHERE cid = @cid AND key = @key;", ("@cid", text), ("@key", key)) > 0;
            if (removed)
            {
                AddChange(c, t, text, RegistryChangeKind.Tagged, Now(c, t));
            }

            return removed;
        });
    }

    /// <inheritdoc/>
    public bool AddLocation(Cid cid, string location)
    {
        ArgumentNullException.ThrowIfNull(cid);
        ArgumentNullException.ThrowIfNull(location);
        return Write((c, t) =>
        {
            string text = cid.ToString();
            if (!Exists(c, t, text))
            {
                return false;
            }

            if (InsertLocation(c, t, text, location))
            {
                AddChange(c, t, text, RegistryChangeKind.LocationAdded, Now(c, t));
            }

            return true;
        });
    }

    /// <inheritdoc/>
    public int AddLocations(IReadOnlyList<Cid> cids, string location)
    {
        ArgumentNullException.ThrowIfNull(cids);
        ArgumentNullException.ThrowIfNull(location);
        return Write((c, t) =>
        {
            int registered = 0;
            var now = Now(c, t);
            foreach (var cid in cids)
            {
                string text = cid.ToString();
                if (!Exists(c, t, text))
                {
                    continue;
                }

                registered++;
                if (InsertLocation(c, t, text, location))
                {
                    AddChange(c, t, text, RegistryChangeKind.LocationAdded, now);
                }
            }

            return registered;
        });
    }

    /// <inheritdoc/>
    public LocationRelease ReleaseLocation(Cid cid, string location)
    {
        ArgumentNullException.ThrowIfNull(cid);
        ArgumentNullException.ThrowIfNull(location);
        return Write((c, t) =>
        {
            string text = cid.ToString();
            if (SqlCommands.Execute(c, t, "DELETE FROM locations WHERE cid = @cid AND location = @location;", ("@cid", text), ("@location", location)) == 0)
            {
                return LocationRelease.NotHeld;
            }

            var now = Now(c, t);
            AddChange(c, t, text, RegistryChangeKind.LocationRemoved, now);
            string unheld = "DELETE FROM blocks WHERE cid = @cid AND NOT (" + PinnedCondition + ")"
                + " AND NOT EXISTS (SELECT 1 FROM locations WHERE locations.cid = @cid)"
                + " AND NOT EXISTS (SELECT 1 FROM versions WHERE versions.cid = @cid OR versions.node = @cid);";
            if (SqlCommands.Execute(c, t, unheld, ("@cid", text)) == 0)
            {
                return LocationRelease.LocationRemoved;
            }

            AddChange(c, t, text, RegistryChangeKind.Deleted, now);
            return LocationRelease.RecordDeleted;
        });
    }

    /// <inheritdoc/>
    public bool ReleaseLocationKeepingCopies(Cid cid, string location, IReadOnlyCollection<string> holders, int copies)
    {
        ArgumentNullException.ThrowIfNull(cid);
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(holders);
        ArgumentOutOfRangeException.ThrowIfLessThan(copies, 1);
        return Write((c, t) =>
        {
            // Every write holds the back end's write lock, so the holders counted here cannot be
            // released by another node before this transaction ends.
            string text = cid.ToString();
            var recorded = SqlCommands.Strings(c, t, "SELECT location FROM locations WHERE cid = @cid;", ("@cid", text));
            string? mine = recorded.Find(l => string.Equals(l, location, StringComparison.OrdinalIgnoreCase));
            int remaining = recorded.Count(l => !string.Equals(l, location, StringComparison.OrdinalIgnoreCase) && holders.Contains(l, StringComparer.OrdinalIgnoreCase));
            if (mine is null || remaining < copies)
            {
                return false;
            }

            SqlCommands.Execute(c, t, "DELETE FROM locations WHERE cid = @cid AND location = @location;", ("@cid", text), ("@location", mine));
            AddChange(c, t, text, RegistryChangeKind.LocationRemoved, Now(c, t));
            return true;
        });
    }

    /// <inheritdoc/>
    public bool Delete(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        return DeleteAll([cid]) == 1;
    }

    /// <inheritdoc/>
    public int DeleteAll(IReadOnlyList<Cid> cids)
    {
        ArgumentNullException.ThrowIfNull(cids);
        if (cids.Count == 0)
        {
            return 0;
        }

        return Write((c, t) =>
        {
            int deleted = 0;
            DateTimeOffset? at = null;
            foreach (var cid in cids)
            {
                ArgumentNullException.ThrowIfNull(cid);
                string text = cid.ToString();

                // Tags, locations and outgoing links go with the row (ON DELETE CASCADE).
                if (SqlCommands.Execute(c, t, "DELETE FROM blocks WHERE cid = @cid;", ("@cid", text)) > 0)
                {
                    AddChange(c, t, text, RegistryChangeKind.Deleted, at ??= Now(c, t));
                    deleted++;
                }
            }

            return deleted;
        });
    }

    /// <inheritdoc/>
    public NamedVersion? AddVersion(string name, Cid cid)
    {
        name = DatasetName.Validate(name);
        ArgumentNullException.ThrowIfNull(cid);
        return Write((c, t) =>
        {
            string text = cid.ToString();
            if (!Exists(c, t, text))
            {
                return null;
            }

            // Every write holds the back end's write lock (SQLite: IMMEDIATE; PostgreSQL: the advisory
            // lock), so no other writer can take the same number between this read and the insert;
            // the primary key (name, version) would refuse a duplicate all the same.
            long next = (SqlCommands.ScalarInt64(c, t, "SELECT MAX(version) FROM versions WHERE name = @name;", ("@name", name)) ?? 0) + 1;
            var version = new NamedVersion(name, next, cid, RegistryTime.Truncate(Now(c, t)));
            InsertVersion(c, t, version);
            return version;
        });
    }

    /// <inheritdoc/>
    public bool RestoreVersion(NamedVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        string name = DatasetName.Validate(version.Name);
        return Write((c, t) =>
        {
            string text = version.Cid.ToString();
            bool exists = SqlCommands.ScalarInt64(c, t, "SELECT COUNT(*) FROM versions WHERE name = @name AND version = @version;", ("@name", name), ("@version", version.Version)) > 0;
            if (exists || !Exists(c, t, text))
            {
                return false;
            }

            InsertVersion(c, t, version with { Name = name, Created = RegistryTime.Truncate(version.Created) });
            return true;
        });
    }

    private void InsertVersion(DbConnection connection, DbTransaction transaction, NamedVersion version)
    {
        string text = version.Cid.ToString();
        SqlCommands.Execute(
            connection,
            transaction,
            $"INSERT INTO versions (name, version, cid, {VersionTimeColumn}) VALUES (@name, @version, @cid, @created);",
            ("@name", version.Name),
            ("@version", version.Version),
            ("@cid", text),
            ("@created", StoredTime(version.Created)));
        AddChange(connection, transaction, text, RegistryChangeKind.Versioned, version.Created);
    }

    /// <inheritdoc/>
    public Cid? LinkVersion(string name, long version, Cid node, KeptIpnsRecord? record = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        name = DatasetName.Validate(name);
        if (record is not null)
        {
            ArgumentException.ThrowIfNullOrEmpty(record.IpnsName);
            ArgumentNullException.ThrowIfNull(record.Record);
        }

        return Write((c, t) =>
        {
            SqlCommands.Execute(c, t, "UPDATE versions SET node = @node WHERE name = @name AND version = @version AND node IS NULL;", ("@node", node.ToString()), ("@name", name), ("@version", version));
            var linked = SqlCommands.Strings(c, t, "SELECT node FROM versions WHERE name = @name AND version = @version;", ("@name", name), ("@version", version)) is [var text] ? Cid.Parse(text) : null;
            if (record is not null && linked == node)
            {
                KeepIpnsRecordIn(c, t, record);
            }

            return linked;
        });
    }

    /// <inheritdoc/>
    public byte[]? FindIpnsRecord(string ipnsName)
    {
        ArgumentException.ThrowIfNullOrEmpty(ipnsName);
        return Read((c, t) =>
        {
            using var command = SqlCommands.Create(c, t, "SELECT record FROM ipns_records WHERE ipns = @ipns;", ("@ipns", ipnsName));
            return command.ExecuteScalar() as byte[];
        });
    }

    /// <inheritdoc/>
    public bool KeepIpnsRecord(KeptIpnsRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentException.ThrowIfNullOrEmpty(record.IpnsName);
        ArgumentNullException.ThrowIfNull(record.Record);
        return Write((c, t) => KeepIpnsRecordIn(c, t, record));
    }

    private static bool KeepIpnsRecordIn(DbConnection c, DbTransaction t, KeptIpnsRecord kept)
    {
        long validityUs = RegistryTime.ToMicroseconds(kept.Validity);
        int replaced = SqlCommands.Execute(
            c,
            t,
            "UPDATE ipns_records SET sequence = @sequence, validity_us = @validity, record = @record WHERE ipns = @ipns AND (sequence < @sequence OR (sequence = @sequence AND validity_us < @validity));",
            ("@ipns", kept.IpnsName),
            ("@sequence", kept.Sequence),
            ("@validity", validityUs),
            ("@record", kept.Record));
        if (replaced > 0)
        {
            return true;
        }

        if (SqlCommands.ScalarInt64(c, t, "SELECT 1 FROM ipns_records WHERE ipns = @ipns;", ("@ipns", kept.IpnsName)) is not null)
        {
            return false;
        }

        SqlCommands.Execute(c, t, "INSERT INTO ipns_records (ipns, sequence, validity_us, record) VALUES (@ipns, @sequence, @validity, @record);", ("@ipns", kept.IpnsName), ("@sequence", kept.Sequence), ("@validity", validityUs), ("@record", kept.Record));
        return true;
    }

    /// <inheritdoc/>
    public NamedVersion? FindVersion(string name, long? version = null)
    {
        name = DatasetName.Validate(name);
        var found = Read((c, t) => version is { } number
            ? ReadVersions(c, t, $"{VersionSelect} WHERE name = @name AND version = @version;", ("@name", name), ("@version", number))
            : ReadVersions(c, t, $"{VersionSelect} WHERE name = @name ORDER BY version DESC LIMIT 1;", ("@name", name)));
        return found.Count == 0 ? null : found[0];
    }

    /// <inheritdoc/>
    public IReadOnlyList<NamedVersion> ListNames(string? after = null, int? limit = null)
    {
        var (sql, parameters) = Page($"{VersionSelect} v WHERE version = (SELECT MAX(w.version) FROM versions w WHERE w.name = v.name)", "name", after, limit);
        return Read((c, t) => ReadVersions(c, t, sql, parameters));
    }

    // One page of a query ordered by a key (ascending, or descending): rows whose key comes after
    // the one given in that order (when given), at most limit of them (when given). The query has a
    // WHERE clause to extend, and the parameters it names already.
    private static (string Sql, (string Name, object? Value)[] Parameters) Page(string query, string key, object? after, int? limit, bool descending = false, params (string Name, object? Value)[] named)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit ?? 1);
        var parameters = new List<(string, object?)>(named);
        if (after is not null)
        {
            query += descending ? $" AND {key} < @after" : $" AND {key} > @after";
            parameters.Add(("@after", after));
        }

        query += descending ? $" ORDER BY {key} DESC" : $" ORDER BY {key}";
        if (limit is { } count)
        {
            query += " LIMIT @limit";
            parameters.Add(("@limit", (long)count));
        }

        return (query + ";", [.. parameters]);
    }

    /// <inheritdoc/>
    public IReadOnlyList<NamedVersion> ListVersions(string name, long? after = null, int? limit = null, bool oldestFirst = false)
    {
        name = DatasetName.Validate(name);
        var (sql, parameters) = Page($"{VersionSelect} WHERE name = @name", "version", after, limit, descending: !oldestFirst, ("@name", name));
        return Read((c, t) => ReadVersions(c, t, sql, parameters));
    }

    /// <inheritdoc/>
    public IReadOnlyList<NamedVersion> ListVersionsOf(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        return Read((c, t) => ReadVersions(c, t, $"{VersionSelect} WHERE cid = @cid ORDER BY name, version;", ("@cid", cid.ToString())));
    }

    /// <inheritdoc/>
    public IReadOnlyList<Cid> GetLinkingDatasets(Cid batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return Read((c, t) => SqlCommands.Strings(c, t, "SELECT DISTINCT parent FROM links WHERE child = @cid ORDER BY parent;", ("@cid", batch.ToString())).ConvertAll(Cid.Parse));
    }

    /// <inheritdoc/>
    public Cid? FindRetainingAncestor(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        return Read((c, t) => SqlCommands.Strings(c, t, RetainingAncestorSql, ("@cid", cid.ToString())) is [var found, ..] ? Cid.Parse(found) : null);
    }

    // Up the links from @cid (UNION drops repeats, so a cycle ends); the first ancestor found pinned or named answers.
    private string RetainingAncestorSql => $"""
        WITH RECURSIVE above (cid) AS (
            SELECT parent FROM links WHERE child = @cid
            UNION
            SELECT l.parent FROM links l JOIN above a ON l.child = a.cid)
        SELECT a.cid FROM above a
        WHERE EXISTS (SELECT 1 FROM blocks b WHERE b.cid = a.cid AND b.{PinnedCondition}) OR EXISTS (SELECT 1 FROM versions v WHERE v.cid = a.cid OR v.node = a.cid)
        LIMIT 1;
        """;

    /// <inheritdoc/>
    public IReadOnlyList<Cid> GuardTierBlocks(string holder, IReadOnlyList<Cid> cids, TimeSpan deletionLifetime)
    {
        ArgumentException.ThrowIfNullOrEmpty(holder);
        ArgumentNullException.ThrowIfNull(cids);
        return Write((c, t) =>
        {
            long now = RegistryTime.ToMicroseconds(Now(c, t));
            long cutoff = now - (long)deletionLifetime.TotalMicroseconds;
            var refused = new List<Cid>();
            foreach (var cid in cids)
            {
                string text = cid.ToString();
                if (SqlCommands.ScalarInt64(c, t, "SELECT 1 FROM tier_deletions WHERE cid = @cid AND since_us > @cutoff;", ("@cid", text), ("@cutoff", cutoff)) is not null)
                {
                    refused.Add(cid);
                    continue;
                }

                // A guard held already (the same block twice in one put) is renewed.
                SqlCommands.Execute(c, t, "DELETE FROM tier_guards WHERE cid = @cid AND holder = @holder;", ("@cid", text), ("@holder", holder));
                SqlCommands.Execute(c, t, "INSERT INTO tier_guards (cid, holder, since_us) VALUES (@cid, @holder, @now);", ("@cid", text), ("@holder", holder), ("@now", now));
            }

            return (IReadOnlyList<Cid>)refused;
        });
    }

    /// <inheritdoc/>
    public void ReleaseTierGuards(IReadOnlyList<string> holders)
    {
        ArgumentNullException.ThrowIfNull(holders);
        if (holders.Count == 0)
        {
            return;
        }

        Write((c, t) =>
        {
            foreach (string holder in holders)
            {
                ArgumentException.ThrowIfNullOrEmpty(holder);
                SqlCommands.Execute(c, t, "DELETE FROM tier_guards WHERE holder = @holder;", ("@holder", holder));
            }

            return true;
        });
    }

    /// <inheritdoc/>
    public IReadOnlyList<Cid> MarkTierDeletions(IReadOnlyList<Cid> cids, TimeSpan guardLifetime)
    {
        ArgumentNullException.ThrowIfNull(cids);
        // One transaction under the registry's write lock: a guard, a pin or a name added before it
        // keeps the block; one added after it waits for the mark to end (GuardTierBlocks), and a
        // name only follows its put's guard.
        string retainedSql = $"""
            SELECT 1 WHERE EXISTS (SELECT 1 FROM blocks WHERE cid = @cid AND {PinnedCondition}) OR EXISTS (SELECT 1 FROM versions WHERE cid = @cid OR node = @cid);
            """;
        return Write((c, t) =>
        {
            long now = RegistryTime.ToMicroseconds(Now(c, t));
            long cutoff = now - (long)guardLifetime.TotalMicroseconds;
            var marked = new List<Cid>();
            foreach (var cid in cids)
            {
                string text = cid.ToString();
                if (SqlCommands.ScalarInt64(c, t, "SELECT 1 FROM tier_guards WHERE cid = @cid AND since_us > @cutoff LIMIT 1;", ("@cid", text), ("@cutoff", cutoff)) is not null
                    || SqlCommands.ScalarInt64(c, t, retainedSql, ("@cid", text)) is not null
                    || SqlCommands.Strings(c, t, RetainingAncestorSql, ("@cid", text)).Count > 0)
                {
                    continue;
                }

                SqlCommands.Execute(c, t, "DELETE FROM tier_deletions WHERE cid = @cid;", ("@cid", text));
                SqlCommands.Execute(c, t, "INSERT INTO tier_deletions (cid, since_us) VALUES (@cid, @now);", ("@cid", text), ("@now", now));
                marked.Add(cid);
            }

            return (IReadOnlyList<Cid>)marked;
        });
    }

    /// <inheritdoc/>
    public void EndTierDeletions(IReadOnlyList<Cid> cids)
    {
        ArgumentNullException.ThrowIfNull(cids);
        Write((c, t) =>
        {
            foreach (var cid in cids)
            {
                SqlCommands.Execute(c, t, "DELETE FROM tier_deletions WHERE cid = @cid;", ("@cid", cid.ToString()));
            }

            return 0;
        });
    }

    /// <inheritdoc/>
    public void AddRetained(CidKeySet retained)
    {
        ArgumentNullException.ThrowIfNull(retained);
        // UNION (not UNION ALL) drops repeats, so the walk ends even on a cycle. Every version of a
        // name is kept: a name's history stays readable (NAME@1 as much as the latest).
        string sql = $"""
            WITH RECURSIVE kept (cid) AS (
                SELECT cid FROM (SELECT cid FROM blocks WHERE {PinnedCondition} UNION SELECT cid FROM versions UNION SELECT node FROM versions WHERE node IS NOT NULL) roots
                UNION
                SELECT l.child FROM links l JOIN kept k ON l.parent = k.cid)
            SELECT cid FROM kept;
            """;
        // Read as the rows come: a repository's worth of CIDs is never held as text or objects.
        Read((c, t) =>
        {
            SqlCommands.ForEachString(c, t, sql, text => retained.Add(Cid.Parse(text)));
            return true;
        });
    }

    /// <summary>Releases the back end's connections.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the back end's connections (and, for PostgreSQL, stops listening).</summary>
    protected abstract void Dispose(bool disposing);

    private bool SetPinned(Cid cid, bool pinned)
    {
        ArgumentNullException.ThrowIfNull(cid);
        return Write((c, t) =>
        {
            string text = cid.ToString();
            return ChangePin(c, t, text, pinned, Now(c, t)) || Exists(c, t, text);
        });
    }

    /// <summary>Sets a record's pin inside a transaction, recording the change; false when it was already so (or is not registered).</summary>
    private bool ChangePin(DbConnection connection, DbTransaction transaction, string cid, bool pinned, DateTimeOffset at)
    {
        int changed = SqlCommands.Execute(connection, transaction, "UPDATE blocks SET pinned = @pinned WHERE cid = @cid AND pinned <> @pinned;", ("@cid", cid), ("@pinned", PinnedValue(pinned)));
        if (changed == 0)
        {
            return false;
        }

        AddChange(connection, transaction, cid, pinned ? RegistryChangeKind.Pinned : RegistryChangeKind.Unpinned, at);
        return true;
    }

    /// <summary>The columns of a <see cref="NamedVersion"/>, in its order.</summary>
    private string VersionSelect => $"SELECT name, version, cid, {VersionTimeColumn}, node FROM versions";

    private List<NamedVersion> ReadVersions(DbConnection connection, DbTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = SqlCommands.Create(connection, transaction, sql, parameters);
        using var reader = command.ExecuteReader();
        var versions = new List<NamedVersion>();
        while (reader.Read())
        {
            versions.Add(new NamedVersion(reader.GetString(0), reader.GetInt64(1), Cid.Parse(reader.GetString(2)), ReadTime(reader, 3))
            {
                Node = reader.IsDBNull(4) ? null : Cid.Parse(reader.GetString(4)),
            });
        }

        return versions;
    }

    /// <summary>Whether a row for <paramref name="cid"/> exists.</summary>
    protected static bool Exists(DbConnection connection, DbTransaction? transaction, string cid) =>
        SqlCommands.ScalarInt64(connection, transaction, "SELECT 1 FROM blocks WHERE cid = @cid;", ("@cid", cid)) != null;

    /// <summary>Sets a tag; true when it was added or its value changed.</summary>
    protected static bool UpsertTag(DbConnection connection, DbTransaction transaction, string cid, string key, string value) =>
        SqlCommands.Execute(
            connection,
            transaction,
            "INSERT INTO tags (cid, key, value) VALUES (@cid, @key, @value) ON CONFLICT (cid, key) DO UPDATE SET value = excluded.value WHERE tags.value <> excluded.value;",
            ("@cid", cid),
            ("@key", key),
            ("@value", value)) > 0;

    /// <summary>Adds a location; true when it was new.</summary>
    protected static bool InsertLocation(DbConnection connection, DbTransaction transaction, string cid, string location) =>
        SqlCommands.Execute(connection, transaction, "INSERT INTO locations (cid, location) VALUES (@cid, @location) ON CONFLICT DO NOTHING;", ("@cid", cid), ("@location", location)) > 0;

    /// <summary>Replaces the ordered links of a dataset row.</summary>
    protected static void ReplaceLinks(DbConnection connection, DbTransaction transaction, string cid, IReadOnlyList<Cid> batches)
    {
        SqlCommands.Execute(connection, transaction, "DELETE FROM links WHERE parent = @cid;", ("@cid", cid));
        InsertLinks(connection, transaction, cid, batches);
    }

    /// <summary>Inserts the ordered links of a row that has none yet.</summary>
    protected static void InsertLinks(DbConnection connection, DbTransaction transaction, string cid, IReadOnlyList<Cid> batches)
    {
        for (int i = 0; i < batches.Count; i++)
        {
            SqlCommands.Execute(connection, transaction, "INSERT INTO links (parent, ordinal, child) VALUES (@cid, @ordinal, @child);", ("@cid", cid), ("@ordinal", i), ("@child", batches[i].ToString()));
        }
    }
}
