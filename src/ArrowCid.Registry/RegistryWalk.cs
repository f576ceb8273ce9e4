namespace ArrowCid.Registry;

/// <summary>
/// Walking every record a query selects without holding them all: the registry is read a window
/// at a time in listing order (oldest first, ties in CID text order), each window starting at the
/// last record's time, records of that very microsecond already walked skipped by CID. Memory holds
/// one window at any registry size; what is added meanwhile may be seen or not, and nothing twice.
/// </summary>
public static class RegistryWalk
{
    /// <summary>The records a window holds unless a whole window shares one microsecond (then it doubles).</summary>
    public const int DefaultWindow = 1000;

    /// <summary>Every record <paramref name="query"/> selects, after (<paramref name="afterCreated"/>, <paramref name="afterCid"/>) when given, read as it is walked.</summary>
    /// <param name="registry">The registry.</param>
    /// <param name="query">Filters; its <see cref="RegistryQuery.Limit"/>, when set, ends the walk after that many records.</param>
    /// <param name="afterCreated">Start after records created before this instant, or at it with a CID text up to <paramref name="afterCid"/>.</param>
    /// <param name="afterCid">The CID text of the last record already seen at <paramref name="afterCreated"/>.</param>
    /// <param name="window">Records read at a time.</param>
    /// <returns>The records, oldest first.</returns>
    public static IEnumerable<BlockRecord> Walk(this IRegistry registry, RegistryQuery? query = null, DateTimeOffset? afterCreated = null, string? afterCid = null, int window = DefaultWindow)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        query ??= new RegistryQuery();
        return WalkCore(registry, query, afterCreated, afterCid, window);
    }

    private static IEnumerable<BlockRecord> WalkCore(IRegistry registry, RegistryQuery query, DateTimeOffset? afterCreated, string? afterCid, int window)
    {
        long left = query.Limit ?? long.MaxValue;
        var created = afterCreated;
        string? cid = afterCid;
        while (left > 0)
        {
            var from = created is { } at && (query.CreatedFrom is not { } start || at > start) ? at : query.CreatedFrom;
            var records = registry.List(query with { CreatedFrom = from, Limit = window });
            bool progressed = false;
            foreach (var record in records)
            {
                if (created is { } last && (record.Created < last || (record.Created == last && cid is not null && string.CompareOrdinal(record.Cid.ToString(), cid) <= 0)))
                {
                    continue;
                }

                progressed = true;
                created = record.Created;
                cid = record.Cid.ToString();
                yield return record;
                if (--left == 0)
                {
                    yield break;
                }
            }

            if (records.Count < window)
            {
                yield break;
            }

            // A whole window of one microsecond, all walked before: read a wider one.
            if (!progressed)
            {
                window = checked(window * 2);
            }
        }
    }

    /// <summary>Every name with its latest version, in name order, read a page at a time.</summary>
    /// <param name="registry">The registry.</param>
    /// <param name="after">Start after this name, when given.</param>
    /// <param name="window">Names read at a time.</param>
    /// <returns>The latest version of each name.</returns>
    public static IEnumerable<NamedVersion> WalkNames(this IRegistry registry, string? after = null, int window = DefaultWindow)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        return WalkPages<NamedVersion, string>(from => registry.ListNames(from, window), v => v.Name, after, window);
    }

    /// <summary>Every version of a name, newest first (or oldest first), read a page at a time.</summary>
    /// <param name="registry">The registry.</param>
    /// <param name="name">The name.</param>
    /// <param name="oldestFirst">Walk the oldest first.</param>
    /// <param name="window">Versions read at a time.</param>
    /// <returns>The versions; none when the name has none.</returns>
    /// <exception cref="InvalidDatasetNameException">The name breaks the naming rules (when the walk starts).</exception>
    public static IEnumerable<NamedVersion> WalkVersions(this IRegistry registry, string name, bool oldestFirst = false, int window = DefaultWindow)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        return WalkPages<NamedVersion, long?>(after => registry.ListVersions(name, after, window, oldestFirst), v => v.Version, null, window);
    }

    /// <summary>Every registered CID, in CID text order, read a page at a time.</summary>
    /// <param name="registry">The registry.</param>
    /// <param name="window">
    /// CIDs read at a time. A page's lists stay under the large object heap's threshold (85,000
    /// bytes): pages of 10,000 put two arrays a page there, whose garbage the collector let grow a
    /// ten-million-row walk (gc, verify) by some 45 MiB of committed regions.
    /// </param>
    /// <returns>The CIDs.</returns>
    public static IEnumerable<Content.Multiformats.Cid> WalkCids(this IRegistry registry, int window = DefaultWindow)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        return WalkPages<Content.Multiformats.Cid, Content.Multiformats.Cid>(from => registry.ListCids(from, window), c => c, null, window);
    }

    // Pages read one after another, each after the last item of the one before, until one comes short.
    private static IEnumerable<T> WalkPages<T, TAfter>(Func<TAfter?, IReadOnlyList<T>> read, Func<T, TAfter> after, TAfter? start, int window)
    {
        var from = start;
        while (true)
        {
            var page = read(from);
            foreach (var item in page)
            {
                yield return item;
            }

            if (page.Count < window)
            {
                yield break;
            }

            from = after(page[^1]);
        }
    }
}
