using System.Security.Cryptography;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Content.Canonical;
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
    /// Writes the batch's canonical bytes into a segment (once: publishing an existing CID only
    /// hashes the batch), hands it to <see cref="ShmStoreOptions.Published"/> when set, announces
    /// it on the feed and returns its CID. Tags travel with the notification (at most 144 bytes of
    /// <c>key=value</c> lines).
    /// </summary>
    /// <exception cref="ShmStoreFullException">The capacity cannot take the segment.</exception>
    public ShmPublishResult Publish(RecordBatch batch, IReadOnlyDictionary<string, string>? tags = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(batch);
        byte[] encodedTags = FeedRecord.EncodeTags(tags);
        long bufferBytes = SegmentWriter.BufferBytes(batch);
        if (_publishToArena && _arena is { } arena && bufferBytes <= arena.SlotBytes)
        {
            // Encoded once into a reused buffer, hashed there, copied once into the slot.
            var buffer = t_encodeBuffer ??= new MemoryStream(arena.SlotBytes);
            buffer.SetLength(0);
            CanonicalEncoder.Encode(batch, buffer);
            var bytes = new ReadOnlySpan<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
            if (buffer.Length > 64 << 20)
            {
                // Never keep a huge buffer alive per thread (a batch whose buffers are small can
                // still encode large, e.g. a long schema); not expected on this path.
                t_encodeBuffer = null;
            }

            return PublishEncoded(arena, bytes, batch, tags, encodedTags);
        }

        Cid cid;
        string temp;
        long length;
        if (bufferBytes < SegmentWriter.ParallelThreshold)
        {
            // Small: hash first, so republishing costs no I/O at all.
            (cid, length) = SegmentWriter.Hash(batch);
            if (File.Exists(_layout.SegmentPath(cid)))
            {
                return Existing(cid, length, batch.Length);
            }

            (temp, long written) = SegmentWriter.WriteTemp(batch, _layout.Segments, _fileMode);
            if (written != length)
            {
                File.Delete(temp);
                throw new ShmException($"the canonical encoder wrote {written} bytes but hashed {length}");
            }
        }
        else
        {
            (cid, temp, length) = SegmentWriter.HashAndWriteTemp(batch, _layout.Segments, _fileMode);
        }

        string path = _layout.SegmentPath(cid);
        try
        {
            MakeRoom(length);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        return CommitFile(temp, cid, length, batch, tags, encodedTags);
    }

    private ShmPublishResult CommitFile(string temp, Cid cid, long length, RecordBatch batch, IReadOnlyDictionary<string, string>? tags, byte[] encodedTags)
    {
        string path = _layout.SegmentPath(cid);
        if (!LinkSegmentFile(temp, cid, path))
        {
            return Existing(cid, length, batch.Length);
        }

        _control.AddBytes(length);
        NotifyPublished(cid, path, length, batch, tags);
        long sequence = _feed.Append(cid, length, batch.Length, encodedTags);
        return new ShmPublishResult(cid, path, length, batch.Length, sequence);
    }

    private ShmPublishResult PublishEncoded(ShmArenas arena, ReadOnlySpan<byte> bytes, RecordBatch batch, IReadOnlyDictionary<string, string>? tags, byte[] encodedTags)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes, digest);
        var cid = CidOfDigest(digest);
        // The control block's file filter usually proves no segment file holds the CID: no stat then.
        if (_control.MayHaveFile(digest) && File.Exists(_layout.SegmentPath(cid)))
        {
            return Existing(cid, bytes.Length, batch.Length);
        }

        var outcome = ShmArena.PublishOutcome.NoRoom;
        long sequence = 0;
        if (bytes.Length <= arena.SlotBytes)
        {
            MakeRoom(bytes.Length);
            // One lock for the slot and the notice (the feed's writer lock), unless a Published
            // callback must run between the two, which is not done while other publishers wait.
            using (_feed.EnterWriter())
            {
                outcome = arena.Publish(digest, bytes, _isPinnedDigest, _onSlotEvicted);
                if (outcome == ShmArena.PublishOutcome.Created)
                {
                    _control.AddBytes(bytes.Length);
                    if (_options.Published is null)
                    {
                        sequence = _feed.AppendLocked(cid, bytes.Length, batch.Length, encodedTags);
                    }
                }
            }
        }

        switch (outcome)
        {
            case ShmArena.PublishOutcome.Existing:
                return Existing(cid, bytes.Length, batch.Length);
            case ShmArena.PublishOutcome.Created:
                string path = _layout.SegmentPath(cid);
                if (sequence == 0)
                {
                    NotifyPublished(cid, path, bytes.Length, batch, tags);
                    sequence = _feed.Append(cid, bytes.Length, batch.Length, encodedTags);
                }

                return new ShmPublishResult(cid, path, bytes.Length, batch.Length, sequence);
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

                return CommitFile(temp, cid, bytes.Length, batch, tags, encodedTags);
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

    private ShmPublishResult Existing(Cid cid, long length, long rows) => new(cid, _layout.SegmentPath(cid), length, rows, 0);

    private void NotifyPublished(Cid cid, string path, long length, RecordBatch batch, IReadOnlyDictionary<string, string>? tags) =>
        _options.Published?.Invoke(new ShmPublishedBatch(cid, path, length, batch, tags ?? new Dictionary<string, string>()));
}
