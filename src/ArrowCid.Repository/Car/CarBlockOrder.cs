using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Repository;

/// <summary>
/// The blocks under a root in depth-first order (pre-order: a block, then what it links, first
/// link first), as a streamed CAR sends them so a reader can check each block against its parent
/// as it arrives (the IPFS trustless gateway's <c>order=dfs</c>). For a table the walk is the one
/// table walk (<see cref="TableTreeWalker"/>, which reads each node as it descends): the root,
/// then each node followed by the nodes and chunks below it, in row order. For a
/// foreign DAG node it is the registry's record of its links, as far as the repository holds them.
/// </summary>
public static class CarBlockOrder
{
    /// <summary>The blocks of <paramref name="root"/>'s DAG, depth first, read lazily (a table's nodes are read as the walk reaches them).</summary>
    /// <param name="content">The repository.</param>
    /// <param name="root">A stored CID.</param>
    /// <param name="duplicates">True to name a block every time the walk meets it (CAR <c>dups=y</c>); false to name each block once (<c>dups=n</c>).</param>
    /// <returns>The CIDs in order, the root first; identity CIDs left out.</returns>
    /// <exception cref="Content.BlockNotFoundException">A table node is missing (while enumerating).</exception>
    /// <exception cref="Content.ContentFormatException">A table node is malformed or disagrees with its parent (while enumerating).</exception>
    public static IEnumerable<Cid> DepthFirst(ContentRepository content, Cid root, bool duplicates = false)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(root);
        // Identity blocks are never carried: their bytes are in the CIDs that name them.
        var blocks = content.IsManifest(root) ? TableDepthFirst(content, root, duplicates) : LinkedFrom(content, root, duplicates);
        return blocks.Where(b => b.Hash.Code != Multicodec.Identity);
    }

    /// <summary>
    /// A root and, for a foreign DAG node, what it links (the registry's record of its links),
    /// depth first: as far as the repository holds the DAG, since a CAR from elsewhere may have
    /// carried only part of it. Content addressing makes a cycle impossible, so naming repeats
    /// (<paramref name="duplicates"/>) ends too.
    /// </summary>
    private static IEnumerable<Cid> LinkedFrom(ContentRepository content, Cid root, bool duplicates = false)
    {
        var seen = new HashSet<Cid> { root };
        var pending = new Stack<Cid>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var cid = pending.Pop();
            yield return cid;
            var links = content.Repository.GetRecord(cid)?.Links ?? [];
            for (int i = links.Count - 1; i >= 0; i--)
            {
                if ((seen.Add(links[i]) || duplicates) && content.Repository.Blocks.Has(links[i]))
                {
                    pending.Push(links[i]);
                }
            }
        }
    }

    // The one table walk, depth first: each manifest node as it is reached, then what it links.
    private static IEnumerable<Cid> TableDepthFirst(ContentRepository content, Cid root, bool duplicates)
    {
        var walk = new TableTreeWalker(root, eachBlockOnce: !duplicates);
        for (var step = walk.Next(); step != TableWalkStep.End; step = walk.Next())
        {
            switch (step)
            {
                case TableWalkStep.NeedBlock:
                    walk.Supply(content.GetBytes(walk.Pending!).Span);
                    break;
                case TableWalkStep.Node:
                    yield return walk.Block!;
                    break;
                case TableWalkStep.Chunk:
                    yield return walk.Chunk!.Cid;
                    break;
            }
        }
    }
}
