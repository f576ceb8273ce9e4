using System.Collections.Concurrent;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Stores;

/// <summary>
/// Blocks in process memory: for tests, caches and short-lived pipelines. Content is checked
/// against its CID on the way in and kept in private arrays nobody else can write, so reads are
/// not re-hashed.
/// </summary>
public sealed class MemoryBlockStore : IBlockStore
{
    private readonly ConcurrentDictionary<Cid, byte[]> _blocks = new();

    /// <summary>How many blocks are stored.</summary>
    public int Count => _blocks.Count;

    /// <inheritdoc/>
    public bool Has(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        return _blocks.ContainsKey(cid);
    }

    /// <inheritdoc/>
    public ReadOnlyMemory<byte> Read(Cid cid) =>
        TryRead(cid, out var block) ? block : throw new BlockNotFoundException(cid);

    /// <inheritdoc/>
    public bool TryRead(Cid cid, out ReadOnlyMemory<byte> block)
    {
        ArgumentNullException.ThrowIfNull(cid);
        if (_blocks.TryGetValue(cid, out var bytes))
        {
            block = bytes;
            return true;
        }

        block = default;
        return false;
    }

    /// <inheritdoc/>
    public Stream OpenRead(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        return _blocks.TryGetValue(cid, out var bytes) ? new MemoryStream(bytes, writable: false) : throw new BlockNotFoundException(cid);
    }

    /// <inheritdoc/>
    public bool TryGetSize(Cid cid, out long size)
    {
        ArgumentNullException.ThrowIfNull(cid);
        if (_blocks.TryGetValue(cid, out var bytes))
        {
            size = bytes.Length;
            return true;
        }

        size = 0;
        return false;
    }

    /// <inheritdoc/>
    public void Put(Cid cid, ReadOnlySpan<byte> block)
    {
        ArgumentNullException.ThrowIfNull(cid);
        if (!cid.Verify(block))
        {
            throw new BlockCorruptedException(cid, $"Content of {block.Length} bytes does not hash to the CID it was offered under");
        }

        _blocks.TryAdd(cid, block.ToArray());
    }

    /// <inheritdoc/>
    public void Put(Cid cid, Stream content)
    {
        ArgumentNullException.ThrowIfNull(cid);
        ArgumentNullException.ThrowIfNull(content);
        using var buffer = new MemoryStream();
        content.CopyTo(buffer);
        Put(cid, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <inheritdoc/>
    public bool Delete(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        return _blocks.TryRemove(cid, out _);
    }

    /// <inheritdoc/>
    public IEnumerable<Cid> Enumerate() => _blocks.Keys.ToArray();
}
