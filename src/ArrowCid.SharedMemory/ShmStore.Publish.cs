using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.SharedMemory.Arena;
using ArrowCid.SharedMemory.Notifications;
using ArrowCid.SharedMemory.Segments;

namespace ArrowCid.SharedMemory;

// Publish: encode and hash a batch once, into an arena slot or a segment file, then announce it.
public sealed partial class ShmStore
{
    // The small-batch path encodes into this per-thread buffer, so a publish allocates no byte array.
    [ThreadStatic]
    private static MemoryStream? t_encodeBuffer;

    /// <summary>
    /// Publishes the batch as a table (docs/canonical-form.md §7): a batch that is one chunk — any
    /// batch of up to 64 KiB of nominal size, so every small message — is written as today, its
    /// canonical bytes once into an arena slot or a segment file (publishing an existing CID only
    /// hashes the batch), and named by its raw CID; a larger batch is cut into content-defined
    /// chunks of at most 1 MiB, each published as a segment, with its manifest tree's nodes, and
    /// named by the tree's root, the CID a repository put of the same rows gives. The
    /// <see cref="ShmStoreOptions.Published"/> callback gets each segment written; the feed gets one
    /// notice for the table (the batch's CID or the root's). Tags travel with the notice (at most
    /// 144 bytes of <c>key=value</c> lines).
    /// </summary>
    /// <exception cref="ShmStoreFullException">The capacity cannot take the segments.</exception>
    public ShmPublishResult Publish(RecordBatch batch, IReadOnlyDictionary<string, string>? tags = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(batch);
        byte[] encodedTags = FeedRecord.EncodeTags(tags);
        long bufferBytes = SegmentWriter.BufferBytes(batch);
        if (bufferBytes <= OneChunkTables.MaxBufferBytes && _oneChunkTables.BoundedByBuffers(batch.Schema)
            && PublishSingleBatch(batch, tags, encodedTags, bufferBytes) is { } published)
        {
            return published;
        }

        // A large batch is cut in slices prepared on every core, its chunks written on workers.
        using var writer = new ShmTableWriter(this, batch.Schema, tags, encodedTags, detach: false);
        writer.AddAll([batch]);
        return writer.Finish();
    }

    /// <summary>
    /// Publishes the batches as one table: their rows, in order, cut into content-defined chunks
    /// (each a segment of at most 1 MiB) under a manifest tree, as <see cref="Publish"/> does for one
    /// batch. The same rows give the same CID however they are batched. One notice on the feed, for
    /// the table, once every chunk and node is in place.
    /// </summary>
    /// <param name="schema">The schema of every batch.</param>
    /// <param name="batches">The rows in order (each may be disposed once the enumerator moves past it).</param>
    /// <param name="tags">Tags of the table's notice.</param>
    /// <returns>The table's CID, rows, chunk bytes and chunk count, and its notice's sequence.</returns>
    /// <exception cref="ArgumentException">A batch's schema is not <paramref name="schema"/>.</exception>
    /// <exception cref="ShmStoreFullException">The capacity cannot take the table.</exception>
    public ShmPublishResult PublishTable(Schema schema, IEnumerable<RecordBatch> batches, IReadOnlyDictionary<string, string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(batches);
        using var writer = CreateTableWriter(schema, tags);
        writer.AddAll(batches);
        return writer.Finish();
    }

    /// <summary>
    /// Starts publishing a table batch by batch (<see cref="ShmTableWriter"/>): each chunk is
    /// published as soon as the rows added complete it; <see cref="ShmTableWriter.Finish"/> stores
    /// the manifest's root and announces the table.
    /// </summary>
    /// <param name="schema">The schema of every batch.</param>
    /// <param name="tags">Tags of the table's notice.</param>
    /// <returns>The writer; dispose it.</returns>
    public ShmTableWriter CreateTableWriter(Schema schema, IReadOnlyDictionary<string, string>? tags = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(schema);
        return new ShmTableWriter(this, schema, tags, FeedRecord.EncodeTags(tags), detach: true);
    }

    /// <summary>
    /// Today's single-batch publish, for a batch known to be one chunk: encoded, hashed, written
    /// once and announced. Null when its canonical block turns out larger than a chunk may be (a
    /// huge schema): it is then a table of several chunks.
    /// </summary>
    private ShmPublishResult? PublishSingleBatch(RecordBatch batch, IReadOnlyDictionary<string, string>? tags, byte[] encodedTags, long bufferBytes)
    {
        if (_publishToArena && _arena is { } arena && bufferBytes <= arena.SlotBytes)
        {
            // Encoded once into a reused buffer, hashed there, copied once into the slot.
            var bytes = EncodeToThreadBuffer(null, batch);
            if (bytes.Length > ChunkingRule.MaxBlockBytes && batch.Length > 1)
            {
                return null;
            }

            return PublishEncoded(arena, bytes, batch, tags, encodedTags, announce: true).Result;
        }

        // Hashed first, so republishing costs no I/O at all.
        var (cid, length) = SegmentWriter.Hash(batch);
        if (length > ChunkingRule.MaxBlockBytes && batch.Length > 1)
        {
            return null;
        }

        if (File.Exists(_layout.SegmentPath(cid)))
        {
            return Existing(cid, length, batch.Length);
        }

        var (temp, written) = SegmentWriter.WriteTemp(batch, _layout.Segments, _fileMode);
        if (written != length)
        {
            File.Delete(temp);
            throw new ShmException($"the canonical encoder wrote {written} bytes but hashed {length}");
        }

        try
        {
            MakeRoom(length);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        return CommitFile(temp, cid, length, batch, tags, encodedTags, announce: true).Result;
    }

    /// <summary>
    /// Publishes one chunk of a table as a segment — an arena slot when it fits one, else a file —
    /// without a notice (the table is announced when it is complete).
    /// </summary>
    internal SegmentPublish PublishChunk(TableChunk chunk, IReadOnlyDictionary<string, string>? tags, byte[] encodedTags)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // The chunk is canonical already: encoded without a second normalisation.
        var bytes = EncodeToThreadBuffer(chunk, chunk.Batch);
        return PublishEncoded(_publishToArena ? _arena : null, bytes, chunk.Batch, tags, encodedTags, announce: false);
    }

    /// <summary>Stores a manifest tree node as a small file of its own; false when it was there already.</summary>
    internal bool PublishNode(TableTreeBlock node)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        string path = _layout.SegmentPath(node.Cid);
        if (File.Exists(path))
        {
            return false;
        }

        string temp = SegmentWriter.WriteTemp(node.Bytes, _layout.Segments, _fileMode);
        try
        {
            MakeRoom(node.Bytes.Length);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        if (!LinkSegmentFile(temp, node.Cid, path))
        {
            return false;
        }

        _control.AddBytes(node.Bytes.Length);
        return true;
    }

    /// <summary>Announces a table (or a chunk written without a notice) on the feed.</summary>
    internal long Announce(Cid cid, long bytes, long rows, byte[] encodedTags) => _feed.Append(cid, bytes, rows, encodedTags);

    // The canonical bytes of a batch (or of a chunk, already canonical) in this thread's reused buffer.
    private static ReadOnlySpan<byte> EncodeToThreadBuffer(TableChunk? chunk, RecordBatch batch)
    {
        var buffer = t_encodeBuffer ??= new MemoryStream(DefaultEncodeBufferBytes);
        buffer.SetLength(0);
        if (chunk is not null)
        {
            chunk.WriteTo(buffer);
        }
        else
        {
            CanonicalEncoder.Encode(batch, buffer);
        }

        var bytes = new ReadOnlySpan<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
        if (buffer.Length > 64 << 20)
        {
            // Never keep a huge buffer alive per thread (a single-row chunk may be of any size).
            t_encodeBuffer = null;
        }

        return bytes;
    }

    private const int DefaultEncodeBufferBytes = 64 << 10;

    private SegmentPublish CommitFile(string temp, Cid cid, long length, RecordBatch batch, IReadOnlyDictionary<string, string>? tags, byte[] encodedTags, bool announce)
    {
        string path = _layout.SegmentPath(cid);
        if (!LinkSegmentFile(temp, cid, path))
        {
            return new SegmentPublish(Existing(cid, length, batch.Length), Created: false);
        }

        _control.AddBytes(length);
        NotifyPublished(cid, length, batch, tags);
        long sequence = announce ? _feed.Append(cid, length, batch.Length, encodedTags) : 0;
        return new SegmentPublish(new ShmPublishResult(cid, _layout, length, batch.Length, sequence), Created: true);
    }

    // With announce false the segment is written but not announced (a chunk: its table is).
    private SegmentPublish PublishEncoded(ShmArenas? arena, ReadOnlySpan<byte> bytes, RecordBatch batch, IReadOnlyDictionary<string, string>? tags, byte[] encodedTags, bool announce)
    {
        Span<byte> digest = stackalloc byte[Sha256.DigestBytes];
        Sha256.HashData(bytes, digest);
        // The slot headers the arena reads under the lock load while the CID is made and the lock taken.
        arena?.Prefetch(digest, bytes.Length);
        var cid = CidOfDigest(digest);
        // The control block's file filter usually proves no segment file holds the CID: no stat then.
        if (_control.MayHaveFile(digest) && File.Exists(_layout.SegmentPath(cid)))
        {
            return new SegmentPublish(Existing(cid, bytes.Length, batch.Length), Created: false);
        }

        var outcome = ShmArena.PublishOutcome.NoRoom;
        long sequence = 0;
        if (arena is not null && bytes.Length <= arena.SlotBytes)
        {
            MakeRoom(bytes.Length);
            // One lock for the slot and the notice (the feed's writer lock), unless a Published
            // callback must run between the two, which is not done while other publishers wait.
            // One clock reading for the slot's last access and the notice's time.
            long now = DateTime.UtcNow.Ticks;
            using (_feed.EnterWriter())
            {
                outcome = arena.Publish(digest, bytes, _isPinnedDigest, _onSlotEvicted, keepEvicted: _options.CapacityBytes is null, utcTicks: now);
                if (outcome == ShmArena.PublishOutcome.Created)
                {
                    if (_options.Published is null && announce)
                    {
                        sequence = _feed.AppendLocked(cid, bytes.Length, batch.Length, encodedTags, countedBytes: bytes.Length, utcTicks: now);
                    }
                    else
                    {
                        _control.AddBytes(bytes.Length);
                    }
                }
            }
        }

        switch (outcome)
        {
            case ShmArena.PublishOutcome.Existing:
                return new SegmentPublish(Existing(cid, bytes.Length, batch.Length), Created: false);
            case ShmArena.PublishOutcome.Created:
                if (sequence == 0)
                {
                    NotifyPublished(cid, bytes.Length, batch, tags);
                    if (announce)
                    {
                        sequence = _feed.Append(cid, bytes.Length, batch.Length, encodedTags);
                    }
                }

                return new SegmentPublish(new ShmPublishResult(cid, _layout, bytes.Length, batch.Length, sequence), Created: true);
            default:
                // Every slot of the CID's set is leased or pinned (or the batch outgrew a slot): a file of its own.
                string temp = SegmentWriter.WriteTemp(bytes, _layout.Segments, _fileMode);
                try
                {
                    MakeRoom(bytes.Length);
                }
                catch
                {
                    File.Delete(temp);
                    throw;
                }

                return CommitFile(temp, cid, bytes.Length, batch, tags, encodedTags, announce);
        }
    }

    // Gives arena bytes a segment file of their own (temp, link); false when one already existed.
    private bool WriteSegmentFile(Cid cid, ReadOnlySpan<byte> bytes)
    {
        string path = _layout.SegmentPath(cid);
        if (File.Exists(path))
        {
            return false;
        }

        return LinkSegmentFile(SegmentWriter.WriteTemp(bytes, _layout.Segments, _fileMode), cid, path);
    }

    // Links a written temp file as the segment of cid (false when one already existed). The file
    // filter bit is set before the link, so no publisher can skip its existence check for the file.
    private bool LinkSegmentFile(string temp, Cid cid, string path)
    {
        _control.NoteFile(cid.Hash.Digest);
        return SegmentWriter.Commit(temp, path);
    }

    /// <summary>What publishing one segment did: its result and whether this call wrote it (a chunk's result has no sequence: its table is announced).</summary>
    internal readonly record struct SegmentPublish(ShmPublishResult Result, bool Created);

    private ShmPublishResult Existing(Cid cid, long length, long rows) => new(cid, _layout, length, rows, 0);

    // The Published callback, when there is one (the path is made only for it: a table's chunks come here by the thousand).
    private void NotifyPublished(Cid cid, long length, RecordBatch batch, IReadOnlyDictionary<string, string>? tags) =>
        _options.Published?.Invoke(new ShmPublishedBatch(cid, _layout.SegmentPath(cid), length, batch, tags ?? new Dictionary<string, string>()));
}
