using ArrowCid.Content;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>What copying a table into the repository did.</summary>
/// <param name="Table">Every block of the table.</param>
/// <param name="Transferred">The blocks the repository lacked, fetched, verified and stored (the others were already here).</param>
/// <param name="Version">The version of <see cref="PutOptions.Name"/> that names the table here, when a name was given.</param>
public sealed record TableCopyReport(TableBlocks Table, IReadOnlyList<TableBlock> Transferred, NamedVersion? Version)
{
    /// <summary>Bytes fetched: the sum of <see cref="Transferred"/>.</summary>
    public long BytesTransferred => Transferred.Sum(b => b.Bytes);
}

/// <summary>
/// Copies a table into the repository from another holder of its blocks (a Flight node), fetching
/// only the blocks this repository lacks. The walk (<see cref="TableTreeWalker"/>) reads manifest nodes
/// held here locally and fetches the others; then each missing block is fetched, checked against
/// its CID (and its length against what its manifest states) before anything of it is stored, and
/// registered as what it is — chunks as batches, nodes below the root as table nodes, the root as
/// a dataset — children before the nodes that link them, so a dataset is never registered without
/// its nodes and chunks. Until the
/// root is registered (and named), every stored block is pinned, so a concurrent GC cannot take it.
/// </summary>
public static class TableCopy
{
    /// <summary>Blocks fetched ahead of the one being stored.</summary>
    public const int FetchesAhead = 16;

    /// <summary>Chunks written at once (each a file written and synced): the disk's latency overlaps, and their rows share group commits.</summary>
    public const int StoresAtOnce = 8;

    /// <summary>Copies the table <paramref name="root"/> names.</summary>
    /// <param name="content">The repository to copy into.</param>
    /// <param name="root">A table CID (raw or dag-cbor).</param>
    /// <param name="fetch">Fetches a block's bytes from the other holder (they are verified here whatever it did).</param>
    /// <param name="options">
    /// Tags, producer and provenance for what is registered; the root is pinned when
    /// <see cref="PutOptions.Pin"/>; with <see cref="PutOptions.Name"/> the root becomes that
    /// name's next version, unless the name's latest version already names it.
    /// </param>
    /// <param name="stored">Called after each fetched block is stored (for progress).</param>
    /// <param name="publisher">
    /// Where what the copy stored is made known beyond the repository, as a put's blocks are (a
    /// node's bucket and shared registry), before the name's version is recorded there; null: the
    /// repository's own registry.
    /// </param>
    /// <param name="cancellationToken">Stops the copy between blocks.</param>
    /// <returns>The table's blocks and those transferred.</returns>
    /// <exception cref="BlockCorruptedException">A fetched block does not hash to its CID; it was not stored.</exception>
    /// <exception cref="ContentFormatException">The root is not a table, or a block is not what its table says it is.</exception>
    /// <exception cref="InvalidDatasetNameException">The name breaks the naming rules (checked before anything is fetched).</exception>
    public static Task<TableCopyReport> CopyAsync(
        ContentRepository content,
        Cid root,
        Func<Cid, CancellationToken, Task<ReadOnlyMemory<byte>>> fetch,
        PutOptions? options = null,
        Action<TableBlock>? stored = null,
        IPutPublisher? publisher = null,
        CancellationToken cancellationToken = default) =>
        CopyAsync(content, root, Verifying(fetch), options, stored, publisher, cancellationToken);

    /// <summary>
    /// Copies the table <paramref name="root"/> names from a source whose blocks are hashed to
    /// their CIDs already (a durable tier re-hashes every object it reads), so none is hashed twice.
    /// </summary>
    /// <param name="content">The repository to copy into.</param>
    /// <param name="root">A table CID (raw or dag-cbor).</param>
    /// <param name="fetchVerified">Fetches a block, hashed to the CID asked for.</param>
    /// <param name="options">As for the other overload.</param>
    /// <param name="stored">Called after each fetched block is stored (for progress).</param>
    /// <param name="publisher">As for the other overload.</param>
    /// <param name="cancellationToken">Stops the copy between blocks.</param>
    /// <returns>The table's blocks and those transferred.</returns>
    /// <exception cref="BlockCorruptedException">The source gave a block for another CID; it was not stored.</exception>
    /// <exception cref="ContentFormatException">The root is not a table, or a block is not what its table says it is.</exception>
    /// <exception cref="InvalidDatasetNameException">The name breaks the naming rules (checked before anything is fetched).</exception>
    public static async Task<TableCopyReport> CopyAsync(
        ContentRepository content,
        Cid root,
        Func<Cid, CancellationToken, Task<HashedBlock>> fetchVerified,
        PutOptions? options = null,
        Action<TableBlock>? stored = null,
        IPutPublisher? publisher = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(fetchVerified);
        options ??= PutOptions.Default;
        if (options.Name is not null)
        {
            options = options with { Name = DatasetName.Validate(options.Name) };
        }

        // Manifest nodes fetched during the walk are kept until they are stored, after what they link.
        var fetched = new Dictionary<Cid, HashedBlock>();
        var walk = new TableTreeWalker(root, eachBlockOnce: true);
        var blocks = new List<TableBlock>();
        for (var step = walk.Next(); step != TableWalkStep.End; step = walk.Next())
        {
            if (TableBlock.Reported(walk, step) is { } block)
            {
                blocks.Add(block);
                continue;
            }

            var cid = walk.Pending!;
            if (IsHeld(content, cid))
            {
                if (cid.Codec == Multicodec.Raw)
                {
                    walk.SupplyLength(content.Repository.GetRecord(cid)!.Bytes);
                }
                else
                {
                    walk.Supply(content.GetBytes(cid).Span);
                }

                continue;
            }

            var received = await FetchAsync(fetchVerified, cid, cancellationToken).ConfigureAwait(false);
            if (cid.Codec == Multicodec.Raw)
            {
                // Hashed on arrival: the walk needs only its length, not a second hash of the bytes.
                walk.SupplyLength(received.Bytes.Length);
            }
            else
            {
                walk.Supply(received.Bytes.Span);
            }

            fetched[cid] = received;
        }

        var table = new TableBlocks(root, blocks);
        var missing = table.Blocks.Where(b => !IsHeld(content, b.Cid)).ToList();
        var guard = new PinGuard(content.Repository);
        try
        {
            // The walk lists each node before what it links; storing in reverse puts every node after
            // its nodes and chunks, the root last. Up to FetchesAhead blocks are fetched ahead of the
            // one being stored: a store's latency (an object store's, a peer's) is paid once per
            // window, not once per chunk, and memory holds at most the window. Chunks are written
            // StoresAtOnce at a time and their rows join group commits without waiting; a node is
            // submitted only once every row before it is durable, so it never names a block whose
            // row a failed commit lost.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var ahead = new Queue<Task<HashedBlock>>(FetchesAhead);
            var storing = new Queue<(TableBlock Block, Task<Task<RegisteredRow>> Store)>(StoresAtOnce);
            var committing = new List<Task<RegisteredRow>>(missing.Count);
            int next = missing.Count - 1;
            try
            {
                for (int i = missing.Count - 1; i >= 0; i--)
                {
                    while (ahead.Count < FetchesAhead && next >= 0)
                    {
                        var upcoming = missing[next--];
                        ahead.Enqueue(fetched.Remove(upcoming.Cid, out var held) ? Task.FromResult(held) : FetchAsync(fetchVerified, upcoming.Cid, stop.Token));
                    }

                    var block = missing[i];
                    var received = await ahead.Dequeue().ConfigureAwait(false);
                    if (received.Bytes.Length != block.Bytes)
                    {
                        throw new ContentFormatException($"{block.Cid} is {received.Bytes.Length} bytes, but the manifest of {root} says {block.Bytes}");
                    }

                    bool chunk = block.Cid.Codec == Multicodec.Raw && block.Cid != root;
                    while (storing.Count > 0 && (!chunk || storing.Count >= StoresAtOnce))
                    {
                        committing.Add(await Stored(storing.Dequeue()).ConfigureAwait(false));
                    }

                    if (chunk)
                    {
                        // Done once the chunk is written and its row submitted (not committed): unwrapped, it would wait for the commit.
                        storing.Enqueue((block, Task.Factory.StartNew(() => Submit(content, root, received, options, guard), CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default)));
                    }
                    else
                    {
                        // Every row before a node's durable first: a group that failed must not be
                        // followed by a later group naming what that one lost.
                        await Task.WhenAll(committing).ConfigureAwait(false);
                        committing.Add(Submit(content, root, received, options, guard));
                        stored?.Invoke(block);
                    }
                }

                // The chunks still being written when no node followed them (a table whose nodes
                // are held here already), then every row durable, and in the registry, before the
                // copy answers.
                while (storing.Count > 0)
                {
                    committing.Add(await Stored(storing.Dequeue()).ConfigureAwait(false));
                }

                await Task.WhenAll(committing).ConfigureAwait(false);
                content.Repository.WaitApplied();
            }
            finally
            {
                // A copy that failed leaves nothing running: the fetches ahead are stopped and
                // awaited, and the stores and commits begun end (their blocks stay unheld orphans
                // for the next collection).
                stop.Cancel();
                foreach (var pending in ahead)
                {
                    // Its block is not needed any more, nor its failure.
                    await ((Task)pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                foreach (var (_, store) in storing)
                {
                    await ((Task)store).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    if (store.IsCompletedSuccessfully)
                    {
                        committing.Add(store.Result);
                    }
                }

                foreach (var commit in committing)
                {
                    await ((Task)commit).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }

            async Task<Task<RegisteredRow>> Stored((TableBlock Block, Task<Task<RegisteredRow>> Store) store)
            {
                var commit = await store.Store.ConfigureAwait(false);
                stored?.Invoke(store.Block);
                return commit;
            }

            if (options.Pin)
            {
                content.Repository.Pin(root);
            }

            if (publisher is not null)
            {
                // As a put's blocks, while the guard still holds them: what was fetched, then the
                // root as the copy pins it, before a name there points at it.
                foreach (var block in missing)
                {
                    if (block.Cid != root)
                    {
                        publisher.Registered(block.Cid, pinned: false);
                    }
                }

                publisher.Registered(root, options.Pin);
                await publisher.FlushAsync().ConfigureAwait(false);
            }

            NamedVersion? version = options.Name is { } name
                ? (publisher is null ? content.AddVersionUnlessLatest(name, root) : publisher.AddVersionUnlessLatest(name, root)).Version
                : null;

            return new TableCopyReport(table, missing, version);
        }
        finally
        {
            // The root's pin or name (or the caller's choice of neither) now decides what GC keeps.
            guard.Release();
        }
    }

    /// <summary>Whether the repository holds a block as a table needs it: registered (as a batch, dataset, table node or Arrow stream, not a foreign block) and present.</summary>
    /// <param name="content">The repository.</param>
    /// <param name="cid">Any CID.</param>
    /// <returns>True when nothing need be fetched for it.</returns>
    public static bool IsHeld(ContentRepository content, Cid cid)
    {
        ArgumentNullException.ThrowIfNull(content);
        return content.Repository.GetRecord(cid) is { Kind: not BlockKind.Foreign } && content.Repository.Blocks.Has(cid);
    }

    /// <summary>A source of bytes from outside as a source of blocks: each hashed against the CID asked for.</summary>
    /// <param name="fetch">Fetches a block's bytes.</param>
    /// <returns>The same source, each block verified (a <see cref="BlockCorruptedException"/> for bytes that do not hash to their CID).</returns>
    public static Func<Cid, CancellationToken, Task<HashedBlock>> Verifying(Func<Cid, CancellationToken, Task<ReadOnlyMemory<byte>>> fetch)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        return (cid, cancellationToken) => FetchVerifiedAsync(fetch, cid, cancellationToken);
    }

    // One block from a source of verified blocks: the one asked for, or a BlockCorruptedException.
    private static async Task<HashedBlock> FetchAsync(Func<Cid, CancellationToken, Task<HashedBlock>> fetchVerified, Cid cid, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var block = await fetchVerified(cid, cancellationToken).ConfigureAwait(false);
        return block.Cid == cid ? block : throw new BlockCorruptedException(cid, $"The source gave block {block.Cid} for {cid}; nothing of it was stored");
    }

    private static async Task<HashedBlock> FetchVerifiedAsync(Func<Cid, CancellationToken, Task<ReadOnlyMemory<byte>>> fetch, Cid cid, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var bytes = await fetch(cid, cancellationToken).ConfigureAwait(false);
        try
        {
            return HashedBlock.Verify(cid, bytes);
        }
        catch (BlockCorruptedException)
        {
            throw new BlockCorruptedException(cid, $"The block received ({bytes.Length} bytes) does not hash to its CID; nothing of it was stored");
        }
    }

    /// <summary>Stores a verified block and submits its row as what it is: a table's chunks are batches, its nodes below the root table nodes, its root a table (a raw root may also be an Arrow stream).</summary>
    private static Task<RegisteredRow> Submit(ContentRepository content, Cid root, HashedBlock block, PutOptions options, PinGuard guard)
    {
        var cid = block.Cid;
        var found = BlockClassifier.Describe(cid, block.Bytes, hashed: true);
        var expected = cid.Codec == Multicodec.Raw ? BlockKind.Batch : BlockKind.TableNode;
        bool fits = cid == root ? found.Kind is not (BlockKind.Foreign or BlockKind.TableNode) : found.Kind == expected;
        if (!fits)
        {
            throw new ContentFormatException(cid == root
                ? $"{cid} is not a table: {found.Note ?? "a manifest node below a table's root"}"
                : expected == BlockKind.Batch
                    ? $"{root} links {cid}, which is not a canonical Arrow batch: {found.Note}"
                    : $"{root} links {cid}, which is not a table manifest node: {found.Note}");
        }

        // Hashed once on arrival; held by the guard until the root keeps it.
        return content.Repository.SubmitBlock(block, found.ToRecord(cid, options, pinned: false), guard);
    }
}
