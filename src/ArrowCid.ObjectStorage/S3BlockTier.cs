using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ArrowCid.Content;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;

namespace ArrowCid.ObjectStorage;

/// <summary>
/// Blocks on S3-compatible object storage, the durable tier below a node's own disk: a block is the
/// object <c>PREFIX/blocks/SHARD/CID</c> (SHARD the two characters before the CID's last, as block
/// files are sharded), written once with <c>If-None-Match: *</c> where the server honours it (a 412
/// is a block already there: content addressing makes every writer of a key agree), and re-hashed
/// against its CID whenever it is read. Every request runs under a deadline
/// (<see cref="S3BlockTierOptions.RequestDeadline"/>): a store that hangs fails as
/// <see cref="ObjectStoreFault.Unavailable"/>, never holds a caller for good. Safe for concurrent use.
/// </summary>
public sealed class S3BlockTier : IDisposable
{
    /// <summary>The folder of block objects under the prefix.</summary>
    public const string BlocksFolder = "blocks/";

    /// <summary>The folder of the start-up probe's objects under the prefix.</summary>
    public const string ProbeFolder = "probe/";

    /// <summary>The folder of pack objects (small blocks together, <see cref="BucketPack"/>) under the prefix.</summary>
    public const string PacksFolder = "packs/";

    /// <summary>The folder of the registry's journal under the prefix: what a lost registry is rebuilt from.</summary>
    public const string JournalFolder = "journal/";

    private readonly AmazonS3Client _client;
    private readonly S3BlockTierOptions _options;

    // On the ArrowCid meter a node's /metrics exports: requests, their latency and bytes, by operation.
    private readonly Meter _meter = new(ArrowCidMeter.Name);
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _bytes;

    // What the last request found wrong with the store (null: it answered), when, and whether a
    // check is running: readiness reads these and never waits on the store.
    private volatile string? _problem;
    private long _answeredAt = Stopwatch.GetTimestamp();
    private int _checking;

    private S3BlockTier(S3Location location, S3BlockTierOptions options)
    {
        Location = location;
        _options = options;
        _client = options.CreateClient(out string endpoint);
        Endpoint = endpoint;
        _requests = _meter.CreateCounter<long>(
            "arrowcid.object_store.requests", "{request}", "Requests to the durable tier's object store, by operation (put, put_pack, put_journal, get, head, delete, list, probe) and outcome (ok, exists, not_found, cancelled, or the fault)");
        _duration = _meter.CreateHistogram<double>(
            "arrowcid.object_store.request.duration",
            "s",
            "How long requests to the object store took, retries included, by operation",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30] });
        _bytes = _meter.CreateCounter<long>("arrowcid.object_store.bytes", "By", "Block bytes written to and read from the object store, by direction (written, read)");
    }

    /// <summary>Where the blocks are.</summary>
    public S3Location Location { get; }

    /// <summary>The endpoint, as logs and errors name it (an URL, or "AWS S3"): never a credential.</summary>
    public string Endpoint { get; }

    /// <summary>
    /// Whether the server honours <c>If-None-Match: *</c> on a put (the start-up probe found out): then a
    /// block is written with it, and otherwise after a HEAD that did not find it.
    /// </summary>
    public bool ConditionalPuts { get; private set; }

    /// <summary>
    /// Whether the server checks a put's bytes against the SHA-256 its signature declares (the
    /// start-up probe found out: S3, Ceph RGW and MinIO refuse a mismatch with 400). Then a block
    /// read from this node's disk for upload (<see cref="PutStoredAsync"/>) is signed with its CID's
    /// digest and checked by the server as it arrives, rather than hashed twice more here (once to
    /// check it, once by the SDK to sign it); otherwise it is hashed here first.
    /// </summary>
    public bool PayloadDigests { get; private set; }

    /// <summary>
    /// Opens the tier: checks that the bucket is there and the credentials reach it, and probes
    /// whether conditional puts are honoured (two puts of one probe object under
    /// <c>PREFIX/probe/</c>, then its delete).
    /// </summary>
    /// <param name="location">The bucket and prefix.</param>
    /// <param name="options">How to reach it; null: from the standard places.</param>
    /// <param name="cancellationToken">Cancels the checks.</param>
    /// <returns>The open tier; the caller disposes it.</returns>
    /// <exception cref="ObjectStoreException">No such bucket, credentials refused, or the store unreachable.</exception>
    public static async Task<S3BlockTier> OpenAsync(S3Location location, S3BlockTierOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(location);
        var tier = new S3BlockTier(location, options ?? new S3BlockTierOptions());
        try
        {
            await tier.CheckBucketAsync(cancellationToken).ConfigureAwait(false);
            await tier.RefuseForeignObjectsAsync(cancellationToken).ConfigureAwait(false);
            tier.ConditionalPuts = await tier.ProbeConditionalPutsAsync(cancellationToken).ConfigureAwait(false);
            tier.PayloadDigests = await tier.ProbePayloadDigestsAsync(cancellationToken).ConfigureAwait(false);
            return tier;
        }
        catch
        {
            tier.Dispose();
            throw;
        }
    }

    /// <summary>The object key of a block.</summary>
    /// <param name="cid">The block's CID.</param>
    /// <returns><c>PREFIX/blocks/SHARD/CID</c>.</returns>
    public string KeyOf(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        string text = cid.ToString();
        return $"{Location.Prefix}{BlocksFolder}{BlockShards.ShardOf(text)}/{text}";
    }

    /// <summary>
    /// Stores a block unless it is there. When this returns the object is durable in the store.
    /// </summary>
    /// <param name="block">The block, hashed to its CID.</param>
    /// <param name="cancellationToken">Cancels the put.</param>
    /// <returns>True when this call wrote it; false when it was there already (a 412, or a HEAD that found it).</returns>
    /// <exception cref="ObjectStoreException">The store refused the put or could not be reached in time.</exception>
    public async Task<bool> PutAsync(HashedBlock block, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(block);
        if (!ConditionalPuts && await ExistsAsync(block.Cid, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        return await PutObjectAsync(KeyOf(block.Cid), block.Bytes, ConditionalPuts, "put", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores a block read from this node's own disk, not hashed since it was read, unless it is
    /// there. Where the server checks payloads (<see cref="PayloadDigests"/>) the put is signed with
    /// the CID's SHA-256 digest and the server refuses bytes that do not hash to it; elsewhere the
    /// bytes are hashed here first. Either way nothing that does not hash to its CID is stored.
    /// </summary>
    /// <param name="cid">The block's CID.</param>
    /// <param name="bytes">The bytes read for it.</param>
    /// <param name="cancellationToken">Cancels the put.</param>
    /// <returns>True when this call wrote it; false when it was there already.</returns>
    /// <exception cref="BlockCorruptedException">The bytes do not hash to the CID; nothing was stored.</exception>
    /// <exception cref="ObjectStoreException">The store refused the put or could not be reached in time.</exception>
    public async Task<bool> PutStoredAsync(Cid cid, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cid);
        if (!PayloadDigests || cid.Hash.Code != Multicodec.Sha2256)
        {
            return await PutAsync(HashedBlock.Verify(cid, bytes), cancellationToken).ConfigureAwait(false);
        }

        if (!ConditionalPuts && await ExistsAsync(cid, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        try
        {
            return await PutObjectAsync(KeyOf(cid), bytes, ConditionalPuts, "put", cancellationToken, Convert.ToHexStringLower(cid.Hash.Digest)).ConfigureAwait(false);
        }
        catch (ObjectStoreException e) when (e.Fault == ObjectStoreFault.Refused && !cid.Verify(bytes.Span))
        {
            // The server's refusal (400) is its check of the digest: said as the block's damage.
            throw new BlockCorruptedException(cid, $"the copy read for upload ({bytes.Length} bytes) does not hash to its CID; {Describe()} refused it and nothing was stored");
        }
    }

    /// <summary>Reads a block and hashes it against its CID.</summary>
    /// <param name="cid">The block's CID.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The block.</returns>
    /// <exception cref="BlockNotFoundException">No object for it.</exception>
    /// <exception cref="BlockCorruptedException">The object's bytes do not hash to the CID, or it is larger than any block.</exception>
    /// <exception cref="ObjectStoreException">The store could not be reached in time, or refused the read.</exception>
    public async Task<HashedBlock> GetAsync(Cid cid, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cid);
        string key = KeyOf(cid);
        byte[] bytes = await ReadObjectAsync("get", "read a block", $"block {cid}", key, range: null, cancellationToken, hashedAfter: true).ConfigureAwait(false);
        return VerifyRead(cid, key, bytes);
    }

    /// <summary>Reads a block from a pack (one ranged GET) and hashes it against its CID.</summary>
    /// <param name="cid">The block's CID.</param>
    /// <param name="at">Where the pack's index places it.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The block.</returns>
    /// <exception cref="BlockNotFoundException">No such pack.</exception>
    /// <exception cref="BlockCorruptedException">The bytes there do not hash to the CID.</exception>
    /// <exception cref="ObjectStoreException">The store could not be reached in time, or refused the read.</exception>
    public async Task<HashedBlock> GetAsync(Cid cid, PackedLocation at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cid);
        ArgumentNullException.ThrowIfNull(at);
        string key = PackKeyOf(at.Pack);
        byte[] bytes = await ReadObjectAsync("get", "read a packed block", $"block {cid} (pack {at.Pack})", key, (at.Offset, at.Length), cancellationToken).ConfigureAwait(false);
        return VerifyRead(cid, $"{key}#{at.Offset}+{at.Length}", bytes);
    }

    /// <summary>
    /// Reads a block from the first of <paramref name="locations"/> (a record's) that is a pack of
    /// this tier holding it, else from its own object: where a registry says it is, or where a
    /// large block always is.
    /// </summary>
    /// <param name="cid">The block's CID.</param>
    /// <param name="locations">Its record's locations (others are skipped).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The block.</returns>
    /// <exception cref="BlockNotFoundException">Not in any of them, nor an object of its own.</exception>
    /// <exception cref="BlockCorruptedException">The bytes read do not hash to the CID.</exception>
    /// <exception cref="ObjectStoreException">The store could not be reached in time, or refused the read.</exception>
    public async Task<HashedBlock> GetAsync(Cid cid, IReadOnlyList<string> locations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(locations);
        foreach (string location in locations)
        {
            if (TryParsePacked(location, out var at))
            {
                try
                {
                    return await GetAsync(cid, at, cancellationToken).ConfigureAwait(false);
                }
                catch (BlockNotFoundException)
                {
                    // That pack was collected: the block may be in another, or an object of its own.
                }
            }
        }

        return await GetAsync(cid, cancellationToken).ConfigureAwait(false);
    }

    // A block's bytes as read, hashed against its CID; what was read from where names a mismatch.
    private HashedBlock VerifyRead(Cid cid, string key, byte[] bytes)
    {
        _bytes.Add(bytes.Length, new KeyValuePair<string, object?>("direction", "read"));
        try
        {
            return HashedBlock.Verify(cid, bytes);
        }
        catch (BlockCorruptedException e)
        {
            throw new BlockCorruptedException(cid, $"The object {key} in {Describe()} does not hash to its CID: {e.Message}");
        }
    }

    // Reads an object, or the range (offset, length) of one, whole into an array; refuses one larger than any block.
    // An object the caller hashes against its CID (hashedAfter) is asked for as the range from its
    // first byte on: the whole object all the same, but the SDK checks the MD5 of its ETag only for a
    // GET without a range, a second hash of every byte that the CID's SHA-256 makes redundant.
    private Task<byte[]> ReadObjectAsync(string operation, string what, string subject, string key, (long Offset, int Length)? range, CancellationToken cancellationToken, bool hashedAfter = false) =>
        RunAsync(operation, what, subject, async token =>
        {
            var request = new GetObjectRequest { BucketName = Location.Bucket, Key = key };
            if (range is { } r)
            {
                request.ByteRange = new ByteRange(r.Offset, r.Offset + r.Length - 1);
            }
            else if (hashedAfter)
            {
                request.ByteRange = new ByteRange("bytes=0-");
            }

            GetObjectResponse response;
            try
            {
                response = await _client.GetObjectAsync(request, token).ConfigureAwait(false);
            }
            catch (AmazonS3Exception e) when (range is null && hashedAfter && e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                // No first byte: the object is there, and empty.
                return [];
            }

            using var answered = response;
            long length = response.ContentLength;
            if (length < 0 || length > _options.MaxBlockBytes || (range is { } asked && length != asked.Length))
            {
                throw new BlockCorruptedException(
                    $"The object {key} in {Describe()} answered {length} bytes, {(range is { } wanted ? $"not the {wanted.Length} asked for" : $"more than any block ({_options.MaxBlockBytes})")}");
            }

            byte[] content = new byte[length];
            await response.ResponseStream.ReadExactlyAsync(content, token).ConfigureAwait(false);
            return content;
        }, cancellationToken);

    /// <summary>Whether the store holds an object for the block (its bytes unread).</summary>
    /// <param name="cid">The block's CID.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>True when the object is there.</returns>
    /// <exception cref="ObjectStoreException">The store could not be reached in time, or refused the request.</exception>
    public async Task<bool> ExistsAsync(Cid cid, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cid);
        string key = KeyOf(cid);
        try
        {
            await RunAsync("head", "look for a block", $"block {cid}", token => _client.GetObjectMetadataAsync(Location.Bucket, key, token), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (BlockNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Deletes a block's object; deleting one that is not there is no error (as S3 has it).</summary>
    /// <param name="cid">The block's CID.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ObjectStoreException">The store could not be reached in time, or refused the delete.</exception>
    public Task DeleteAsync(Cid cid, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cid);
        string key = KeyOf(cid);
        return RunAsync("delete", "delete a block", $"block {cid}", token => _client.DeleteObjectAsync(Location.Bucket, key, token), cancellationToken);
    }

    /// <summary>Blocks of at most this many bytes are written in packs (<see cref="PutPackAsync"/>), larger ones as objects of their own.</summary>
    public int PackThreshold => _options.PackThreshold;

    /// <summary>The object key of a pack.</summary>
    /// <param name="pack">The pack's id.</param>
    /// <returns><c>PREFIX/packs/ID</c>.</returns>
    public string PackKeyOf(string pack) => $"{Location.Prefix}{PacksFolder}{pack}";

    /// <summary>A packed block's location as a record lists it: <c>s3://BUCKET/PREFIX/packs/ID#OFFSET+LENGTH</c>.</summary>
    /// <param name="at">Where the block lies.</param>
    /// <returns>The location's text.</returns>
    public string LocationOf(PackedLocation at)
    {
        ArgumentNullException.ThrowIfNull(at);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Location}{PacksFolder}{at.Pack}#{at.Offset}+{at.Length}");
    }

    /// <summary>Reads a location written by <see cref="LocationOf"/> for a pack of this tier; false for any other location.</summary>
    /// <param name="location">A record's location.</param>
    /// <param name="at">Where the block lies.</param>
    /// <returns>Whether it is a packed location in this tier.</returns>
    public bool TryParsePacked(string location, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PackedLocation? at)
    {
        at = null;
        string folder = Location + PacksFolder;
        if (location is null || !location.StartsWith(folder, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = location.AsSpan(folder.Length);
        int hash = rest.IndexOf('#');
        int plus = rest.IndexOf('+');
        if (hash != BucketPack.IdLength || plus < hash || !BucketPack.IsId(rest[..hash])
            || !long.TryParse(rest[(hash + 1)..plus], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long offset)
            || !int.TryParse(rest[(plus + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int length))
        {
            return false;
        }

        at = new PackedLocation(rest[..hash].ToString(), offset, length);
        return true;
    }

    /// <summary>
    /// Writes small blocks together as one pack object (one request, however many blocks). When this
    /// returns the pack is durable; a pack of the same bytes there already is the same pack.
    /// </summary>
    /// <param name="blocks">The blocks, hashed, at least one.</param>
    /// <param name="journal">Registry journal entries the pack carries (a journal's bytes), or empty.</param>
    /// <param name="cancellationToken">Cancels the put.</param>
    /// <returns>Where each block lies, in order.</returns>
    /// <exception cref="ObjectStoreException">The store refused the put or could not be reached in time.</exception>
    public async Task<IReadOnlyList<PackEntry>> PutPackAsync(IReadOnlyList<HashedBlock> blocks, ReadOnlyMemory<byte> journal = default, CancellationToken cancellationToken = default)
    {
        var (bytes, entries) = BucketPack.Build(blocks, journal.Span);
        await PutObjectAsync(PackKeyOf(entries[0].At.Pack), bytes, ConditionalPuts, "put_pack", cancellationToken).ConfigureAwait(false);
        return entries;
    }

    /// <summary>The pack objects stored, in key order, with their lengths and when each was written.</summary>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The packs; a key under the packs folder that is not a pack id is left out.</returns>
    /// <exception cref="ObjectStoreException">The store could not be reached in time, or refused the listing.</exception>
    public async IAsyncEnumerable<StoredPack> EnumeratePacksAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var (name, bytes, written) in ListAsync(PacksFolder, cancellationToken).ConfigureAwait(false))
        {
            if (BucketPack.IsId(name))
            {
                yield return new StoredPack(name, bytes, written);
            }
        }
    }

    /// <summary>A pack's index and the journal it carries, read from its tail alone (one ranged GET, two when they are long).</summary>
    /// <param name="pack">The pack, as listed.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Its entries and journal.</returns>
    /// <exception cref="BlockNotFoundException">The pack is gone.</exception>
    /// <exception cref="ContentFormatException">Its tail is not a pack's.</exception>
    /// <exception cref="ObjectStoreException">The store could not be reached in time, or refused the read.</exception>
    public async Task<PackTail> ReadPackTailAsync(StoredPack pack, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pack);
        const int Guess = 64 << 10;
        int tailLength = (int)Math.Min(pack.Bytes, Guess);
        var tail = await ReadObjectAsync("get", "read a pack's index", $"pack {pack.Id}", PackKeyOf(pack.Id), (pack.Bytes - tailLength, tailLength), cancellationToken).ConfigureAwait(false);
        int wholeTail = BucketPack.TailLengthOf(tail.AsSpan(tail.Length - BucketPack.TrailerLength), pack.Bytes, pack.Id);
        if (wholeTail > tail.Length)
        {
            tailLength = wholeTail;
            tail = await ReadObjectAsync("get", "read a pack's index", $"pack {pack.Id}", PackKeyOf(pack.Id), (pack.Bytes - tailLength, tailLength), cancellationToken).ConfigureAwait(false);
        }

        return new PackTail(BucketPack.ReadIndex(tail, pack.Bytes, pack.Id), BucketPack.ReadJournal(tail, pack.Bytes, pack.Id));
    }

    /// <summary>
    /// Reads a whole pack and checks it: its bytes against its id, its index, and every block against
    /// its CID.
    /// </summary>
    /// <param name="pack">The pack, as listed.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Its entries, and those whose bytes do not hash to their CID (all of them when the pack's own bytes or index are damaged and no entry can be trusted: then the index is empty).</returns>
    /// <exception cref="BlockNotFoundException">The pack is gone.</exception>
    /// <exception cref="ObjectStoreException">The store could not be reached in time, or refused the read.</exception>
    public async Task<PackCheck> CheckPackAsync(StoredPack pack, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pack);
        if (pack.Bytes > _options.MaxBlockBytes)
        {
            return new PackCheck(pack, [], [], $"it is {pack.Bytes} bytes, more than any pack");
        }

        byte[] bytes = await ReadObjectAsync("get", "read a pack", $"pack {pack.Id}", PackKeyOf(pack.Id), range: null, cancellationToken).ConfigureAwait(false);
        _bytes.Add(bytes.Length, new KeyValuePair<string, object?>("direction", "read"));
        IReadOnlyList<PackEntry> entries;
        try
        {
            entries = BucketPack.ReadIndex(bytes, bytes.Length, pack.Id);
        }
        catch (ContentFormatException e)
        {
            return new PackCheck(pack, [], [], e.Message);
        }

        var corrupt = entries.Where(e => !e.Cid.Verify(bytes.AsSpan((int)e.At.Offset, e.At.Length))).Select(e => e.Cid).ToList();
        string? damage = BucketPack.IdOf(bytes) == pack.Id ? null : "its bytes do not hash to its id";
        return new PackCheck(pack, entries, corrupt, damage);
    }

    /// <summary>
    /// Writes one object of the registry's journal, <c>PREFIX/journal/TICKS-RANDOM</c> (the UTC time in
    /// ticks, 19 digits, so listing is roughly in time order; entries carry their own times).
    /// When this returns the object is durable.
    /// </summary>
    /// <param name="content">The object's bytes (opaque here).</param>
    /// <param name="cancellationToken">Cancels the put.</param>
    /// <returns>The object's key.</returns>
    /// <exception cref="ObjectStoreException">The store refused the put or could not be reached in time.</exception>
    public async Task<string> PutJournalAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default) =>
        await PutJournalAsync(content, compacted: false, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Writes one object of the registry's journal, as <see cref="PutJournalAsync(ReadOnlyMemory{byte}, CancellationToken)"/>;
    /// one a compaction wrote (the registry as it stood) is marked so in its key
    /// (<see cref="CompactedSuffix"/>), so the next compaction can weigh what was written since.
    /// </summary>
    /// <param name="content">The object's bytes (opaque here).</param>
    /// <param name="compacted">Whether a compaction wrote it.</param>
    /// <param name="cancellationToken">Cancels the put.</param>
    /// <returns>The object's key.</returns>
    /// <exception cref="ObjectStoreException">The store refused the put or could not be reached in time.</exception>
    public async Task<string> PutJournalAsync(ReadOnlyMemory<byte> content, bool compacted, CancellationToken cancellationToken = default)
    {
        string key = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Location.Prefix}{JournalFolder}{DateTime.UtcNow.Ticks:D19}-{Guid.NewGuid():N}{(compacted ? CompactedSuffix : string.Empty)}");
        await PutObjectAsync(key, content, conditional: false, "put_journal", cancellationToken).ConfigureAwait(false);
        return key;
    }

    /// <summary>How the key of a journal object a compaction wrote ends.</summary>
    public const string CompactedSuffix = ".compacted";

    /// <summary>The registry's journal objects, in key order.</summary>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The objects: key, bytes, and whether a compaction wrote it.</returns>
    /// <exception cref="ObjectStoreException">The store could not be reached in time, or refused the listing.</exception>
    public async IAsyncEnumerable<StoredJournal> EnumerateJournalAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var (name, bytes, _) in ListAsync(JournalFolder, cancellationToken).ConfigureAwait(false))
        {
            yield return new StoredJournal(Location.Prefix + JournalFolder + name, bytes, name.EndsWith(CompactedSuffix, StringComparison.Ordinal));
        }
    }

    /// <summary>Reads one of the registry's journal objects whole.</summary>
    /// <param name="key">Its key, as listed.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Its bytes.</returns>
    /// <exception cref="BlockNotFoundException">It is gone.</exception>
    /// <exception cref="ObjectStoreException">The store could not be reached in time, or refused the read.</exception>
    public Task<byte[]> ReadJournalAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (!key.StartsWith(Location.Prefix + JournalFolder, StringComparison.Ordinal))
        {
            throw new ArgumentException($"{key} is not in the journal of {Describe()}", nameof(key));
        }

        return ReadObjectAsync("get", "read the registry's journal", $"journal object {key}", key, range: null, cancellationToken);
    }

    /// <summary>Deletes one of the registry's journal objects (what a compaction replaced); deleting one that is not there is no error.</summary>
    /// <param name="key">Its key, as listed.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ObjectStoreException">The store could not be reached in time, or refused the delete.</exception>
    public Task DeleteJournalAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (!key.StartsWith(Location.Prefix + JournalFolder, StringComparison.Ordinal))
        {
            throw new ArgumentException($"{key} is not in the journal of {Describe()}", nameof(key));
        }

        return RunAsync("delete", "delete a journal object", $"journal object {key}", token => _client.DeleteObjectAsync(Location.Bucket, key, token), cancellationToken);
    }

    /// <summary>Deletes a pack; deleting one that is not there is no error.</summary>
    /// <param name="pack">The pack's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ObjectStoreException">The store could not be reached in time, or refused the delete.</exception>
    public Task DeletePackAsync(string pack, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(pack);
        string key = PackKeyOf(pack);
        return RunAsync("delete", "delete a pack", $"pack {pack}", token => _client.DeleteObjectAsync(Location.Bucket, key, token), cancellationToken);
    }

    /// <summary>
    /// The CIDs of the blocks stored, in key order, a page (1,000 keys) at a time. A key under the
    /// blocks folder that is not a block's (not a CID's canonical text in its shard) is left out.
    /// </summary>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The CIDs.</returns>
    /// <exception cref="ObjectStoreException">The store could not be reached in time, or refused the listing.</exception>
    public async IAsyncEnumerable<Cid> EnumerateAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var stored in EnumerateObjectsAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return stored.Cid;
        }
    }

    /// <summary>Like <see cref="EnumerateAsync"/>, with each block object's length and when it was last written.</summary>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The block objects.</returns>
    /// <exception cref="ObjectStoreException">The store could not be reached in time, or refused the listing.</exception>
    public async IAsyncEnumerable<StoredBlock> EnumerateObjectsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var (relative, bytes, written) in ListAsync(BlocksFolder, cancellationToken).ConfigureAwait(false))
        {
            int slash = relative.IndexOf('/', StringComparison.Ordinal);
            if (slash == BlockShards.ShardLength && BlockShards.CidOfFileName(relative[(slash + 1)..], relative[..slash]) is { } cid)
            {
                yield return new StoredBlock(cid, bytes, written);
            }
        }
    }

    // The objects under a folder of the prefix, a page (1,000 keys) at a time: each key relative to the folder, its length and when it was last written (the minimum when the store does not say).
    private async IAsyncEnumerable<(string Relative, long Bytes, DateTimeOffset Written)> ListAsync(string folder, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string prefix = Location.Prefix + folder;
        string? continuation = null;
        do
        {
            var request = new ListObjectsV2Request { BucketName = Location.Bucket, Prefix = prefix, ContinuationToken = continuation };
            var page = await RunAsync("list", $"list the {folder.TrimEnd('/')}", null, token => _client.ListObjectsV2Async(request, token), cancellationToken).ConfigureAwait(false);
            foreach (var entry in page.S3Objects ?? [])
            {
                var written = entry.LastModified is { } modified ? new DateTimeOffset(modified.ToUniversalTime(), TimeSpan.Zero) : DateTimeOffset.MinValue;
                yield return (entry.Key[prefix.Length..], entry.Size ?? 0, written);
            }

            continuation = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (continuation is not null);
    }

    /// <summary>
    /// Why the store cannot be used now, from the last request to it (an unreachable or silent
    /// store, refused credentials, a bucket gone), or null when it answered. Never waits: when the
    /// last answer is a problem older than a second, or anything older than 15 s, it starts one
    /// check of the bucket in the background (one at a time), whose answer a later call sees. So a
    /// node the load balancer stops sending to finds out by itself when the store is back.
    /// </summary>
    /// <returns>The problem, or null.</returns>
    public string? CurrentProblem()
    {
        var age = Stopwatch.GetElapsedTime(Interlocked.Read(ref _answeredAt));
        if ((_problem is not null && age > TimeSpan.FromSeconds(1)) || age > TimeSpan.FromSeconds(15))
        {
            if (Interlocked.CompareExchange(ref _checking, 1, 0) == 0)
            {
                _ = CheckInBackgroundAsync();
            }
        }

        return _problem;
    }

    private async Task CheckInBackgroundAsync()
    {
        try
        {
            await CheckBucketAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (ObjectStoreException)
        {
            // Recorded as the problem by RunAsync.
        }
        finally
        {
            Interlocked.Exchange(ref _checking, 0);
        }
    }

    /// <summary>That the bucket is there and the credentials reach it (HEAD of the bucket).</summary>
    private Task<HeadBucketResponse> CheckBucketAsync(CancellationToken cancellationToken) =>
        RunAsync("head", "check the bucket", null, token => _client.HeadBucketAsync(new HeadBucketRequest { BucketName = Location.Bucket }, token), cancellationToken);

    /// <summary>Sets <see cref="ConditionalPuts"/> as a probe of another server would have (tests).</summary>
    internal void ConditionalPutsForTests(bool honoured) => ConditionalPuts = honoured;

    /// <summary>Sets <see cref="PayloadDigests"/> as a probe of another server would have (tests).</summary>
    internal void PayloadDigestsForTests(bool checkedByServer) => PayloadDigests = checkedByServer;

    /// <inheritdoc/>
    public void Dispose()
    {
        _client.Dispose();
        _meter.Dispose();
    }

    /// <summary>The store as errors name it: its location and endpoint.</summary>
    public string Describe() => $"{Location} at {Endpoint}";

    /// <summary>
    /// Refuses a prefix that holds what the tier does not write (anything beside its
    /// <see cref="BlocksFolder"/> and <see cref="ProbeFolder"/>): a bucket shared with other data
    /// would have its objects listed, and a gc of ours is not to come near them.
    /// </summary>
    private async Task RefuseForeignObjectsAsync(CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = Location.Bucket, Prefix = Location.Prefix, Delimiter = "/", MaxKeys = 100 };
        var top = await RunAsync("list", "list the prefix", null, token => _client.ListObjectsV2Async(request, token), cancellationToken).ConfigureAwait(false);
        var foreign = (top.S3Objects ?? []).Select(o => o.Key)
            .Concat((top.CommonPrefixes ?? []).Where(p => p != Location.Prefix + BlocksFolder && p != Location.Prefix + ProbeFolder && p != Location.Prefix + PacksFolder && p != Location.Prefix + JournalFolder))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (foreign.Count > 0)
        {
            throw new ObjectStoreException(
                ObjectStoreFault.Refused,
                $"{Describe()} holds objects ArrowCid did not write ({string.Join(", ", foreign.Take(3))}{(foreign.Count > 3 ? ", …" : string.Empty)}): give the blocks a prefix of their own, s3://{Location.Bucket}/PREFIX");
        }
    }

    /// <summary>
    /// Whether the server checks payloads against their signed SHA-256: a probe object put with
    /// another payload's hash must be refused (400), then put with its own taken. The probe is
    /// deleted after.
    /// </summary>
    private Task<bool> ProbePayloadDigestsAsync(CancellationToken cancellationToken) =>
        WithProbeObjectAsync(async key =>
        {
            byte[] probe = "arrowcid payload digest probe"u8.ToArray();
            try
            {
                await PutObjectAsync(key, probe, conditional: false, "probe", cancellationToken, Convert.ToHexStringLower(Content.Sha256.HashData("another payload"u8))).ConfigureAwait(false);
                return false;
            }
            catch (ObjectStoreException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.BadRequest })
            {
                // Refused, as a server that checks refuses it.
            }

            return await PutObjectAsync(key, probe, conditional: false, "probe", cancellationToken, Convert.ToHexStringLower(Content.Sha256.HashData(probe))).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>
    /// Two puts of one new probe object with <c>If-None-Match: *</c>: a server that honours it
    /// refuses the second with 412; one that ignores the header takes it (200) or says it does not
    /// implement it (501). The probe is deleted after.
    /// </summary>
    private Task<bool> ProbeConditionalPutsAsync(CancellationToken cancellationToken) =>
        WithProbeObjectAsync(async key =>
        {
            byte[] probe = "arrowcid conditional put probe"u8.ToArray();
            try
            {
                if (!await PutObjectAsync(key, probe, conditional: true, "probe", cancellationToken).ConfigureAwait(false))
                {
                    return false;
                }

                return !await PutObjectAsync(key, probe, conditional: true, "probe", cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectStoreException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.NotImplemented })
            {
                return false;
            }
        }, cancellationToken);

    // Runs a start-up probe on a new object of its own under the probe folder, deleted after whatever the probe found.
    private async Task<bool> WithProbeObjectAsync(Func<string, Task<bool>> probe, CancellationToken cancellationToken)
    {
        string key = $"{Location.Prefix}{ProbeFolder}{Guid.NewGuid():N}";
        try
        {
            return await probe(key).ConfigureAwait(false);
        }
        finally
        {
            await RunAsync("probe", "delete the probe", null, token => _client.DeleteObjectAsync(Location.Bucket, key, token), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Puts one object, signed with <paramref name="payloadSha256"/> when given (else the SDK hashes it); false when a conditional put found it there (412).</summary>
    private async Task<bool> PutObjectAsync(string key, ReadOnlyMemory<byte> content, bool conditional, string operation, CancellationToken cancellationToken, string? payloadSha256 = null)
    {
        try
        {
            await RunAsync(operation, operation switch { "put_pack" => "write a pack", "put_journal" => "write the registry's journal", _ => "write a block" }, null, token =>
            {
                // The payload's SHA-256, given or the SDK's, signed in one request that the server
                // checks, rather than aws-chunked encoding, which not every S3-compatible server takes.
                var request = new PutObjectRequest
                {
                    BucketName = Location.Bucket,
                    Key = key,
                    InputStream = ReadOnlyStreamOf(content),
                    ContentType = "application/octet-stream",
                    UseChunkEncoding = false,

                    // That SHA-256 is the upload's integrity check: the SDK's MD5 of the same bytes,
                    // compared with the ETag answered, would hash every byte once more.
                    DisableDefaultChecksumValidation = true,
                };
                if (payloadSha256 is not null)
                {
                    PayloadDigestSigning.Sign(request, payloadSha256);
                }
                if (conditional)
                {
                    request.IfNoneMatch = "*";
                }

                return _client.PutObjectAsync(request, token);
            }, cancellationToken).ConfigureAwait(false);
            if (operation is "put" or "put_pack")
            {
                _bytes.Add(content.Length, new KeyValuePair<string, object?>("direction", "written"));
            }

            return true;
        }
        catch (ObjectStoreException e) when (conditional && e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.PreconditionFailed })
        {
            return false;
        }
    }

    private static MemoryStream ReadOnlyStreamOf(ReadOnlyMemory<byte> content) =>
        MemoryMarshal.TryGetArray(content, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(content.ToArray(), writable: false);

    /// <summary>
    /// Runs one request under the tier's deadline and turns what the client throws into our
    /// errors: a 404 for a block is <see cref="BlockNotFoundException"/>, the rest an
    /// <see cref="ObjectStoreException"/> naming the store and what was asked.
    /// </summary>
    private async Task<T> RunAsync<T>(string operation, string what, string? subject, Func<CancellationToken, Task<T>> request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        string outcome = "ok";
        try
        {
            return await RunUnderDeadlineAsync(what, subject, request, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectStoreException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.PreconditionFailed })
        {
            outcome = "exists";
            throw;
        }
        catch (ObjectStoreException e)
        {
            outcome = e.Fault.ToString().ToLowerInvariant();
            if (e.Fault != ObjectStoreFault.Refused)
            {
                _problem = e.Message;
            }

            throw;
        }
        catch (BlockNotFoundException)
        {
            outcome = "not_found";
            throw;
        }
        catch (OperationCanceledException)
        {
            // The caller gave up: the store said nothing either way.
            outcome = "cancelled";
            throw;
        }
        finally
        {
            if (outcome is "ok" or "exists" or "not_found")
            {
                _problem = null;
            }

            if (outcome != "cancelled")
            {
                Interlocked.Exchange(ref _answeredAt, Stopwatch.GetTimestamp());
            }

            var tags = new TagList { { "operation", operation }, { "outcome", outcome } };
            _requests.Add(1, tags);
            _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("operation", operation));
        }
    }

    private async Task<T> RunUnderDeadlineAsync<T>(string what, string? subject, Func<CancellationToken, Task<T>> request, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.RequestDeadline);
        try
        {
            return await request(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ObjectStoreException(ObjectStoreFault.Unavailable, $"could not {what} in {Describe()}: no answer within {_options.RequestDeadline.TotalSeconds:0.###} s", e);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && subject is not null && e.ErrorCode is null or "NoSuchKey" or "NotFound")
        {
            throw new BlockNotFoundException($"{subject} is not in {Describe()}", e);
        }
        catch (AmazonS3Exception e)
        {
            var fault = e.StatusCode switch
            {
                HttpStatusCode.Forbidden => ObjectStoreFault.AccessDenied,
                HttpStatusCode.NotFound => ObjectStoreFault.NoSuchBucket,
                >= HttpStatusCode.InternalServerError => ObjectStoreFault.Unavailable,
                _ => e.ErrorCode is "InvalidAccessKeyId" or "SignatureDoesNotMatch" ? ObjectStoreFault.AccessDenied : ObjectStoreFault.Refused,
            };
            string detail = fault == ObjectStoreFault.NoSuchBucket ? $"the bucket {Location.Bucket} does not exist" : $"{(int)e.StatusCode} {e.ErrorCode}: {e.Message}";
            throw new ObjectStoreException(fault, $"could not {what} in {Describe()}: {detail}", e);
        }
        catch (AmazonServiceException e)
        {
            throw new ObjectStoreException(ObjectStoreFault.Unavailable, $"could not {what} in {Describe()}: {e.Message}", e);
        }
        catch (HttpRequestException e)
        {
            throw new ObjectStoreException(ObjectStoreFault.Unavailable, $"could not {what} in {Describe()}: {e.Message}", e);
        }
    }

    private Task<bool> RunAsync(string operation, string what, string? subject, Func<CancellationToken, Task> request, CancellationToken cancellationToken) =>
        RunAsync(operation, what, subject, async token =>
        {
            await request(token).ConfigureAwait(false);
            return true;
        }, cancellationToken);
}

/// <summary>A block object in the tier, as a listing gives it.</summary>
/// <param name="Cid">The block's CID.</param>
/// <param name="Bytes">The object's length.</param>
/// <param name="Written">When the store says it was last written (the minimum when it does not say).</param>
public sealed record StoredBlock(Cid Cid, long Bytes, DateTimeOffset Written);

/// <summary>A pack object in the tier, as a listing gives it.</summary>
/// <param name="Id">The pack's id (the hex SHA-256 of its bytes).</param>
/// <param name="Bytes">The object's length.</param>
/// <param name="Written">When the store says it was last written (the minimum when it does not say).</param>
public sealed record StoredPack(string Id, long Bytes, DateTimeOffset Written);

/// <summary>What a pack's tail holds (<see cref="S3BlockTier.ReadPackTailAsync"/>).</summary>
/// <param name="Entries">Its index.</param>
/// <param name="Journal">The registry journal it carries (a journal's bytes; empty when none).</param>
public sealed record PackTail(IReadOnlyList<PackEntry> Entries, byte[] Journal);

/// <summary>One of the registry's journal objects in the bucket (<see cref="S3BlockTier.EnumerateJournalAsync"/>).</summary>
/// <param name="Key">Its key.</param>
/// <param name="Bytes">Its length.</param>
/// <param name="Compacted">Whether a compaction wrote it (the registry as it stood), not a node's changes.</param>
public sealed record StoredJournal(string Key, long Bytes, bool Compacted);

/// <summary>What reading a whole pack found (<see cref="S3BlockTier.CheckPackAsync"/>).</summary>
/// <param name="Pack">The pack.</param>
/// <param name="Entries">Its index (empty when the index cannot be read).</param>
/// <param name="Corrupt">The blocks whose bytes do not hash to their CID.</param>
/// <param name="Damage">What is wrong with the pack as a whole (its bytes against its id, its index), or null.</param>
public sealed record PackCheck(StoredPack Pack, IReadOnlyList<PackEntry> Entries, IReadOnlyList<Cid> Corrupt, string? Damage);
