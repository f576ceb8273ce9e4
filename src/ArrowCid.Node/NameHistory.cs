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
    /// Each version (newest first, as listed) with what the registry knows of its content, and the
    /// bytes of its blocks that the version before it lacks (all of version 1's); unknown (null)
    /// when either version's content is no longer here.
    /// </summary>
    /// <param name="content">Where the versions' blocks are.</param>
    /// <param name="versions">A name's versions, newest first.</param>
    /// <returns>One entry per version, in the same order.</returns>
    public static IReadOnlyList<VersionLogEntry> Describe(ContentRepository content, IReadOnlyList<NamedVersion> versions)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(versions);
        var blocks = versions.Select(v => BlocksOf(content, v.Cid)).ToList();
        return [.. versions.Select((v, i) =>
        {
            bool first = i == versions.Count - 1;
            long? newBytes = blocks[i] is not { } to || (!first && blocks[i + 1] is null)
                ? null
                : TableDifference.Between(first ? null : blocks[i + 1], to).NewBytes;
            return Describe(content, v, newBytes);
        })];
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
            WireJson.SortedTags(record?.Tags ?? new Dictionary<string, string>()));
    }
}
