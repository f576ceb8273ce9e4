using System.Globalization;
using ArrowCid.Content;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.Registry;
using ArrowCid.Wire;

namespace ArrowCid.Gateway;

/// <summary>What a listing of tables selects: every filter given must match.</summary>
/// <param name="Kinds">Only these kinds; empty for every table kind.</param>
/// <param name="Tags">Only tables carrying every one of these tags.</param>
/// <param name="Name">Only versions of this name, when set.</param>
/// <param name="Text">Only tables whose CID, a name or a tag key or value contains this text (ignoring case), when set.</param>
internal sealed record TableFilter(IReadOnlySet<BlockKind> Kinds, IReadOnlyDictionary<string, string> Tags, string? Name, string? Text);

/// <summary>
/// Where a page of a listing ends: the registry lists records oldest first, ties in CID order, so
/// the last record's creation time and CID say where the next page starts (a keyset cursor: pages
/// stay consistent while records are added). Written as <c>MICROSECONDS.CID</c>; clients treat it as opaque.
/// </summary>
/// <param name="Created">The last listed record's creation time, in microseconds since the Unix epoch.</param>
/// <param name="Cid">Its CID's text.</param>
internal sealed record ListingCursor(long Created, string Cid)
{
    /// <summary>The cursor after <paramref name="record"/>.</summary>
    public static ListingCursor After(BlockRecord record) => new(Microseconds(record.Created), record.Cid.ToString());

    /// <summary>Reads a cursor written by <see cref="ToString"/>; 400 for anything else.</summary>
    public static ListingCursor Parse(string text)
    {
        int dot = text.IndexOf('.', StringComparison.Ordinal);
        return dot > 0
            && long.TryParse(text.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out long created)
            && created <= Microseconds(DateTimeOffset.MaxValue)
            && Content.Multiformats.Cid.TryParse(text[(dot + 1)..], out var cid)
                ? new ListingCursor(created, cid.ToString())
                : throw ApiQuery.BadRequest($"'after' is not a cursor this API gave: '{ApiQuery.Shorten(text)}'");
    }

    /// <summary>Whether <paramref name="record"/> comes after this cursor in listing order.</summary>
    public bool Precedes(BlockRecord record)
    {
        long created = Microseconds(record.Created);
        return created > Created || (created == Created && string.CompareOrdinal(record.Cid.ToString(), Cid) > 0);
    }

    /// <summary>The cursor's time as an instant.</summary>
    public DateTimeOffset Time => DateTimeOffset.UnixEpoch.AddTicks(Created * TimeSpan.TicksPerMicrosecond);

    /// <summary>Microseconds since the Unix epoch: the registry keeps times to the microsecond.</summary>
    private static long Microseconds(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Created}.{Cid}");
}

/// <summary>
/// The node's tables, a page at a time: registered batches, datasets and Arrow streams (not foreign
/// blocks or manifest nodes), leaving out the chunks of larger tables — a batch some manifest links
/// is listed only when a name points at it. Filters by kind and tags go to the registry's query;
/// names and text are matched here.
/// </summary>
internal sealed class TableListing(GatewayContext context)
{
    private static readonly BlockKind[] TableKinds = [BlockKind.Batch, BlockKind.Dataset, BlockKind.ArrowStream];

    /// <summary>The kinds a listing can hold.</summary>
    public static IReadOnlyCollection<BlockKind> Kinds => TableKinds;

    private IRegistry Registry => context.Registrations.Registry;

    /// <summary>Up to <paramref name="limit"/> tables after <paramref name="after"/> that match <paramref name="filter"/>.</summary>
    public TablePage List(TableFilter filter, ListingCursor? after, int limit, CancellationToken cancellationToken)
    {
        var items = new List<TableSummary>(Math.Min(limit, 256));
        BlockRecord? last = null;
        foreach (var record in Candidates(filter, after, limit))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Describe(record, filter) is not { } summary)
            {
                continue;
            }

            if (items.Count == limit)
            {
                // One more match exists: the page is full and there is a next one.
                return new TablePage(items, ListingCursor.After(last!).ToString());
            }

            items.Add(summary);
            last = record;
        }

        return new TablePage(items, null);
    }

    /// <summary>The summary of a record when it is a listed table matching the filter; null otherwise.</summary>
    private TableSummary? Describe(BlockRecord record, TableFilter filter)
    {
        if (!TableKinds.Contains(record.Kind)
            || (filter.Kinds.Count > 0 && !filter.Kinds.Contains(record.Kind))
            || !ApiQuery.HasTags(record.Tags, filter.Tags))
        {
            return null;
        }

        var names = Registry.ListVersionsOf(record.Cid);
        if (filter.Name is { } name && !names.Any(v => v.Name == name))
        {
            return null;
        }

        // A chunk of a larger table is listed only when it is a table in its own right: named.
        if (record.Kind == BlockKind.Batch && names.Count == 0 && Registry.GetLinkingDatasets(record.Cid).Count > 0)
        {
            return null;
        }

        if (filter.Text is { } text && !Mentions(record, names, text))
        {
            return null;
        }

        var (bytes, chunks) = SizeOf(record);
        return new TableSummary(
            record.Cid.ToString(), BlockKindNames.NameOf(record.Kind), record.Rows, bytes, chunks, record.Tags, record.Created, record.Pinned,
            [.. names.Select(v => new VersionReference(v.Name, v.Version))]);
    }

    private static bool Mentions(BlockRecord record, IReadOnlyList<NamedVersion> names, string text) =>
        record.Cid.ToString().Contains(text, StringComparison.OrdinalIgnoreCase)
        || names.Any(v => v.Name.Contains(text, StringComparison.OrdinalIgnoreCase))
        || record.Tags.Any(t => t.Key.Contains(text, StringComparison.OrdinalIgnoreCase) || t.Value.Contains(text, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Bytes of data and chunks as far as the root says: a batch is its own one chunk; a dataset's
    /// root states its chunks' bytes, and its chunk count when it links chunks directly (a
    /// version-1 manifest, a one-level tree). Null for what would need more reads, or a root not held
    /// here. Other blocks (foreign, manifest nodes) are their own length.
    /// </summary>
    public (long? Bytes, long? Chunks) SizeOf(BlockRecord record)
    {
        if (record.Kind != BlockKind.Dataset)
        {
            return (record.Bytes, TableKinds.Contains(record.Kind) ? 1 : null);
        }

        try
        {
            var table = context.Content.OpenTable(record.Cid);
            long? chunks = table.Version switch
            {
                1 => table.Chunks().LongCount(),
                _ when table.RootNode is { Level: 0 } root => root.Entries.Count,
                _ => null,
            };
            return (table.Bytes, chunks);
        }
        catch (Exception e) when (e is BlockNotFoundException or BlockCorruptedException or ContentFormatException)
        {
            return (null, null);
        }
    }

    /// <summary>
    /// Records after the cursor in listing order: the registry is read in windows, each starting at
    /// the cursor's time (records of that very microsecond already listed are skipped by CID); with
    /// a name, only the records its versions point at (a name may have millions), selected by the
    /// registry's query.
    /// </summary>
    private IEnumerable<BlockRecord> Candidates(TableFilter filter, ListingCursor? after, int limit)
    {
        BlockKind? kind = filter.Kinds.Count == 1 ? filter.Kinds.First() : null;
        var records = Registry.Walk(
            new RegistryQuery { Kind = kind, Tags = filter.Tags, Name = filter.Name },
            after?.Time,
            after?.Cid,
            window: Math.Max(2 * (limit + 1), 256));
        foreach (var record in records)
        {
            yield return record;
        }
    }
}
