using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Stores;

/// <summary>
/// Where a block lives inside a <see cref="DirectoryBlockStore"/>: <c>&lt;root&gt;/&lt;shard&gt;/&lt;cid&gt;</c>,
/// the file named by the CID's canonical text and the shard by the two characters before the
/// last one (the "next-to-last/2" scheme). Those characters come from the digest's final bytes, so
/// they are uniform (1,024 folders for base32), whereas the very last character of a base32 CID
/// carries padding bits and takes only a few values. An object store's keys are sharded the same way.
/// </summary>
public static class BlockShards
{
    /// <summary>Characters in a shard folder's name.</summary>
    public const int ShardLength = 2;

    /// <summary>Prefix of every temporary file, which no CID text starts with.</summary>
    internal const string TempPrefix = ".";

    /// <summary>Suffix of every temporary file.</summary>
    internal const string TempSuffix = ".tmp";

    /// <summary>The shard of a CID's canonical text: the two characters before its last.</summary>
    /// <param name="cidText">The CID's canonical text.</param>
    /// <returns>The shard's name.</returns>
    public static string ShardOf(string cidText) => cidText.Substring(cidText.Length - ShardLength - 1, ShardLength);

    /// <summary>A fresh temporary name beside the final file: unique per writer, so concurrent writers never share one.</summary>
    internal static string TempNameFor(string cidText) => $"{TempPrefix}{cidText}.{Guid.NewGuid():N}{TempSuffix}";

    internal static bool IsTempName(string fileName) =>
        fileName.StartsWith(TempPrefix, StringComparison.Ordinal) && fileName.EndsWith(TempSuffix, StringComparison.Ordinal);

    /// <summary>The CID a file name stands for, when it is the canonical text of one that belongs in <paramref name="shard"/>.</summary>
    /// <param name="fileName">A file's name (or an object key's last part).</param>
    /// <param name="shard">The shard it was found in.</param>
    /// <returns>The CID, or null for a name that is not one in its shard.</returns>
    public static Cid? CidOfFileName(string fileName, string shard)
    {
        if (fileName.Length <= ShardLength || !Cid.TryParse(fileName, out var cid))
        {
            return null;
        }

        // Anything not in canonical text, or in the wrong folder, is not ours to report.
        string canonical = cid.ToString();
        return canonical == fileName && ShardOf(canonical) == shard ? cid : null;
    }
}
