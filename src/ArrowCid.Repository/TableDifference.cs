namespace ArrowCid.Repository;

/// <summary>
/// How two tables' blocks compare: the blocks both have (what a new version shares with the old),
/// the blocks only the second has (what a new version costs to store or send where the first is
/// held) and the blocks only the first has. Blocks are compared by CID, so equal content counts once.
/// </summary>
public sealed class TableDifference
{
    private TableDifference(TableBlocks? from, TableBlocks to)
    {
        From = from;
        To = to;
        SharedBlocks = [.. to.Blocks.Where(b => from?.Contains(b.Cid) == true)];
        NewBlocks = [.. to.Blocks.Where(b => from?.Contains(b.Cid) != true)];
        RemovedBlocks = from is null ? [] : [.. from.Blocks.Where(b => !to.Contains(b.Cid))];
    }

    /// <summary>The first table (the base, an older version); null when there is none.</summary>
    public TableBlocks? From { get; }

    /// <summary>The second table (a newer version).</summary>
    public TableBlocks To { get; }

    /// <summary>Blocks both tables have, in the order of <see cref="To"/>.</summary>
    public IReadOnlyList<TableBlock> SharedBlocks { get; }

    /// <summary>Blocks only <see cref="To"/> has, in its order.</summary>
    public IReadOnlyList<TableBlock> NewBlocks { get; }

    /// <summary>Blocks only <see cref="From"/> has, in its order.</summary>
    public IReadOnlyList<TableBlock> RemovedBlocks { get; }

    /// <summary>The length of the shared blocks.</summary>
    public long SharedBytes => SharedBlocks.Sum(b => b.Bytes);

    /// <summary>The length of the blocks only <see cref="To"/> has: what it adds to a holder of <see cref="From"/>.</summary>
    public long NewBytes => NewBlocks.Sum(b => b.Bytes);

    /// <summary>
    /// The length of the chunk blocks only <see cref="To"/> has: the new data, counted as a table's
    /// bytes are (manifest nodes left out), so a first version's is its bytes.
    /// </summary>
    public long NewChunkBytes => NewBlocks.Where(b => b.Cid.Codec == Content.Multiformats.Multicodec.Raw).Sum(b => b.Bytes);

    /// <summary>The length of the blocks only <see cref="From"/> has.</summary>
    public long RemovedBytes => RemovedBlocks.Sum(b => b.Bytes);

    /// <summary>Compares two tables' blocks.</summary>
    /// <param name="from">The first table, or null for none (every block of <paramref name="to"/> is then new).</param>
    /// <param name="to">The second table.</param>
    /// <returns>The difference.</returns>
    public static TableDifference Between(TableBlocks? from, TableBlocks to)
    {
        ArgumentNullException.ThrowIfNull(to);
        return new TableDifference(from, to);
    }
}
