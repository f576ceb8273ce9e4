using ArrowCid.Content;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.Registry;
using ArrowCid.Repository;
using ArrowCid.Wire;

namespace ArrowCid.Node;

/// <summary>The versions of a name as <c>arrowcid log</c> and <c>arrowcid_log</c> show them: each with what is known of its content.</summary>
public static class NameHistory
{
    /// <summary>
    /// Each version (newest first, as walked) with what the registry knows of its content, and the
    /// bytes of its chunks that the version before it lacks (all of the oldest's: counted as its
    /// bytes are, without manifest nodes, so a version never adds more than it has); unknown (null)
    /// when either version's content is no longer here. Described as the versions come, one
    /// ahead: a name of millions of versions holds two versions' blocks at a time.
    /// </summary>
    /// <param name="content">Where the versions' blocks are.</param>
    /// <param name="newestFirst">A name's versions, newest first (<see cref="RegistryWalk.WalkVersions"/>).</param>
    /// <returns>One entry per version, in the same order.</returns>
    public static IEnumerable<VersionLogEntry> Describe(ContentRepository content, IEnumerable<NamedVersion> newestFirst)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(newestFirst);
        return DescribeCore(content, newestFirst);
    }

    private static IEnumerable<VersionLogEntry> DescribeCore(ContentRepository content, IEnumerable<NamedVersion> newestFirst)
    {
        using var versions = newestFirst.GetEnumerator();
        if (!versions.MoveNext())
        {
            yield break;
        }

        var current = versions.Current;
        var currentBlocks = BlocksOf(content, current.Cid);
        while (true)
        {
            bool hasOlder = versions.MoveNext();
            var older = hasOlder ? versions.Current : null;
            var olderBlocks = older is null ? null : BlocksOf(content, older.Cid);
            long? newBytes = currentBlocks is not { } to || (hasOlder && olderBlocks is null)
                ? null
                : TableDifference.Between(olderBlocks, to).NewChunkBytes;
            yield return Describe(content, current, newBytes);
            if (older is null)
            {
                yield break;
            }

            current = older;
            currentBlocks = olderBlocks;
        }
    }

    private static TableBlocks? BlocksOf(ContentRepository content, Cid cid)
    {
        try
        {
            return TableBlocks.Read(content, cid);
        }
        catch (Exception e) when (e is BlockNotFoundException or BlockCorruptedException or ContentFormatException)
        {
            return null;
        }
    }

    // A version with what the registry knows of its content: rows, and bytes of data (a dataset's batches, not its manifest).
    private static VersionLogEntry Describe(ContentRepository content, NamedVersion version, long? newBytes)
    {
        var record = content.Repository.GetRecord(version.Cid);
        long? bytes = record?.Bytes;
        if (record?.Kind == BlockKind.Dataset)
        {
            try
            {
                // The root states its chunks' total, whatever the table's form.
                bytes = content.OpenTable(version.Cid).Bytes;
            }
            catch (BlockNotFoundException)
            {
                bytes = null;
            }
        }

        return new VersionLogEntry(
            version.Name,
            version.Version,
            version.Cid.ToString(),
            record is null ? null : BlockKindNames.NameOf(record.Kind),
            record?.Rows,
            bytes,
            newBytes,
            version.Created,
            WireJson.SortedTags(record?.Tags ?? new Dictionary<string, string>()),
            version.Node?.ToString());
    }
}
