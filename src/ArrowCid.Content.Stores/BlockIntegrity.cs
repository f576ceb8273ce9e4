using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Stores;

/// <summary>Checks content against the CID it is stored under, whatever the block's size.</summary>
public static class BlockIntegrity
{
    private const int ChunkSize = 1 << 16;

    /// <summary>Whether the rest of <paramref name="content"/> is exactly what <paramref name="cid"/> names.</summary>
    /// <param name="cid">The expected CID.</param>
    /// <param name="content">Read from its position to the end; not disposed.</param>
    /// <returns>True when the hash matches.</returns>
    public static bool Matches(Cid cid, Stream content)
    {
        ArgumentNullException.ThrowIfNull(cid);
        ArgumentNullException.ThrowIfNull(content);
        using var hasher = new BlockHasher(cid);
        byte[] chunk = new byte[ChunkSize];
        int read;
        while ((read = content.Read(chunk)) > 0)
        {
            hasher.Append(chunk.AsSpan(0, read));
        }

        return hasher.Matches();
    }
}
