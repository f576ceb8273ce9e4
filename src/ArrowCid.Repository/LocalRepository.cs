using ArrowCid.Content.Multiformats;
using ArrowCid.Content;
using ArrowCid.Content.Stores;
using ArrowCid.Registry.Sqlite;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>
/// The embedded default repository: one folder holding <c>blocks/</c> (a
/// <see cref="DirectoryBlockStore"/>), <c>registry.db</c> (a <see cref="SqliteRegistry"/>),
/// <c>repo.lock</c> and, after a repair, <c>quarantine/</c>. Writes go block first, then the
/// registry row, so a crash can leave an unregistered block (an orphan) but never a row without
/// its block; <see cref="Verify"/> proves that and <see cref="Verify"/> with repair tidies up.
/// See docs/repository.md.
/// </summary>
public sealed partial class LocalRepository : IDisposable
{
    /// <summary>The environment variable naming the repository when no path is given.</summary>
    public const string EnvironmentVariable = "ARROWCID_REPO";

    /// <summary>The block folder's name inside the repository.</summary>
    public const string BlocksFolderName = "blocks";

    /// <summary>The registry database's name inside the repository.</summary>
    public const string RegistryFileName = "registry.db";

    /// <summary>The lock file's name inside the repository.</summary>
    public const string LockFileName = "repo.lock";

    /// <summary>Where repair moves corrupt block files.</summary>
    public const string QuarantineFolderName = "quarantine";

    // The registry as this instance sees it (AppliedRegistry: reads wait for the rows of acknowledged puts).
    private readonly AppliedRegistry _registry;

    // The registry itself with its journal (what a rebuild replays), below the AppliedRegistry.
    private readonly JournaledRegistry _journaled;
    private readonly RepositoryLock _lock;
    private readonly int _keySetSpillThreshold;
    private readonly int _removedSpillThreshold;
    private readonly GroupCommit<BlockRecord, RegisteredRow> _commits;

    // The commit protocol: groups logged in the packs, applied to the registry after, replayed after a crash.
    private readonly CommitLog _log;

    // Room for the commands that free space, given back when the disk is full (see SpaceReserve).
    private readonly SpaceReserve _reserve;

    /// <summary>
    /// Makes the repository folder its user's alone (0700) whatever the umask, and tightens one an
    /// earlier version made readable by every local user (issue 65): blocks, packs and the registry
    /// inside then stay out of their reach, whatever their own modes, and tokens cannot be bypassed
    /// by reading the files. A folder an operator shared with a group (set-group-id and group bits,
    /// <c>chgrp -R G repo &amp;&amp; chmod 2770 repo</c>) stays shared, without other users' bits;
    /// what was made in it before it was shared gets the group's bits once (see
    /// <see cref="ShareWithGroup"/>). A folder of another user's is left as it is (its owner decides).
    /// </summary>
    internal static void MakePrivate(string root)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(root);
            return;
        }

        const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        const UnixFileMode Others = UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        if (!Directory.Exists(root))
        {
            Directory.CreateDirectory(root, Private);
            return;
        }

        const UnixFileMode Special = UnixFileMode.StickyBit | UnixFileMode.SetGroup | UnixFileMode.SetUser;
        var mode = File.GetUnixFileMode(root);
        var group = Arrow.IO.PrivateFiles.SharedGroupBits(root);
        try
        {
            if (group == 0 && (mode & ~(Private | Special)) != 0)
            {
                File.SetUnixFileMode(root, Private);
            }
            else if (group != 0 && ((mode & Others) != 0 || (mode & UnixFileMode.GroupExecute) == 0))
            {
                File.SetUnixFileMode(root, (mode & ~Others) | UnixFileMode.GroupExecute);
            }

            if (group != 0)
            {
                ShareWithGroup(root, group & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite));
            }
        }
        catch (UnauthorizedAccessException)
        {
            // Not ours: its owner chose its mode.
        }
    }

    /// <summary>
    /// Gives what the repository holds its shared folder's group bits, once: files made before the
    /// folder was shared are 0600 and folders 0700 (and lack the set-group-id bit that keeps new
    /// files in the group). The registry is re-moded last, so its mode says the walk is done (one
    /// stat on every later open) and a walk cut short is walked again. Files of another member,
    /// and symbolic links, are left as they are.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void ShareWithGroup(string root, UnixFileMode fileBits)
    {
        string registry = Path.Combine(root, RegistryFileName);
        if (!File.Exists(registry) || (File.GetUnixFileMode(registry) & fileBits) == fileBits)
        {
            return;
        }

        var folderBits = fileBits | UnixFileMode.GroupExecute | UnixFileMode.SetGroup;
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true }))
        {
            if (entry.FullName.StartsWith(registry, StringComparison.Ordinal))
            {
                continue;
            }

            Widen(entry.FullName, entry is DirectoryInfo ? folderBits : fileBits);
        }

        foreach (string file in new[] { registry + "-wal", registry + "-shm", registry })
        {
            if (File.Exists(file))
            {
                Widen(file, fileBits);
            }
        }

        static void Widen(string path, UnixFileMode bits)
        {
            try
            {
                var mode = File.GetUnixFileMode(path);
                if ((mode & bits) != bits)
                {
                    File.SetUnixFileMode(path, mode | bits);
                }
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                // Another member's, or gone meanwhile.
            }
        }
    }

    /// <summary>Opens (creating if needed) the repository at <paramref name="root"/>.</summary>
    /// <param name="root">The repository folder.</param>
    /// <param name="options">Settings; defaults when null.</param>
    public LocalRepository(string root, LocalRepositoryOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        options ??= new LocalRepositoryOptions();
        Root = Path.GetFullPath(root);
        MakePrivate(Root);
        _lock = new RepositoryLock(Path.Combine(Root, LockFileName), options.LockTimeout);
        _keySetSpillThreshold = options.KeySetSpillThreshold;
        _removedSpillThreshold = options.RemovedSpillThreshold;
        Blocks = new DirectoryBlockStore(Path.Combine(Root, BlocksFolderName), options.VerifyOnRead, options.PackThreshold);

        // Another process's collection may have removed packed blocks this index still lists.
        _lock.Collected = Blocks.Packs.Refresh;
        Reader = new BlockReader(Blocks);
        _reserve = new SpaceReserve(Path.Combine(Root, SpaceReserve.FileName), options.SpaceReserveBytes);
        var registry = _reserve.Opening(() => new SqliteRegistry(Path.Combine(Root, RegistryFileName), options.LockTimeout));
        _log = new CommitLog(Blocks, _lock, registry);
        _journaled = new JournaledRegistry(registry, new RegistryJournal(Path.Combine(Root, RegistryJournal.FileName), options.LockTimeout), journalRows: true);
        _registry = new AppliedRegistry(_journaled, _log.Applier);
        _commits = new GroupCommit<BlockRecord, RegisteredRow>(_log.CommitGroup);

        // Groups whose registry commit a crash lost are restored from the packs of dead writers (a
        // rebuild replays every pack's log itself, in order with the journal).
        if (!options.RebuildingRegistry)
        {
            _log.Replay(everyPack: false, packsJustRead: true);
        }

        _reserve.TryTake();
    }

    /// <summary>
    /// Raised after a block is deleted (by gc, delete or repair), for readers other than
    /// <see cref="Reader"/> over the same blocks: a mapping they keep would hold the deleted file's
    /// space until the CID was next opened.
    /// </summary>
    public event Action<Cid>? BlockDeleted;

    /// <summary>How many group commits (one log entry and one pack sync each) this instance has made.</summary>
    public long CommitGroups => _commits.Groups;

    /// <summary>Time this instance has spent committing groups (the log entry and the pack's sync), in all.</summary>
    public TimeSpan CommitTime => _commits.CommitTime;

    /// <summary>The longest group commit since the last call (for benchmarks: a stall every put in flight waits for).</summary>
    /// <returns>Its duration; zero when no group was committed since.</returns>
    public TimeSpan TakeLongestCommit() => _commits.TakeLongestCommit();

    /// <summary>The repository folder (absolute).</summary>
    public string Root { get; }

    /// <summary>
    /// An empty set of CID keys that spills to a temporary file in the repository folder beyond
    /// <see cref="LocalRepositoryOptions.KeySetSpillThreshold"/> keys: what gc or repair keeps, in
    /// a few MiB of memory however large the repository.
    /// </summary>
    /// <returns>The set; the caller disposes it.</returns>
    public CidKeySet NewKeySet() => new(Root, _keySetSpillThreshold);

    /// <summary>The block files. Write through <see cref="PutBlock(Cid, ReadOnlySpan{byte}, BlockRecord)"/> so every block gets its row.</summary>
    public DirectoryBlockStore Blocks { get; }

    /// <summary>Reads blocks mapped, checked against their CIDs and leased: every read of a stored block goes through it.</summary>
    public BlockReader Reader { get; }

    /// <summary>The registry, for queries, tags and the change feed. Remove content through <see cref="Gc"/>, not by deleting rows.</summary>
    public IRegistry Registry => _registry;

    /// <summary>
    /// The repository folder to use: <paramref name="explicitPath"/> (a <c>--repo</c> option) when
    /// given, else the <c>ARROWCID_REPO</c> environment variable when set, else <c>~/.arrowcid</c>.
    /// </summary>
    /// <param name="explicitPath">A path the user gave, or null.</param>
    /// <returns>An absolute path.</returns>
    public static string ResolvePath(string? explicitPath)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return Path.GetFullPath(explicitPath);
        }

        string? fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Path.GetFullPath(fromEnvironment);
        }

        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".arrowcid");
    }

    /// <summary>Opens the repository <see cref="ResolvePath"/> chooses.</summary>
    /// <param name="explicitPath">A path the user gave, or null.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <returns>The repository.</returns>
    public static LocalRepository Open(string? explicitPath = null, LocalRepositoryOptions? options = null) =>
        new(ResolvePath(explicitPath), options);

    /// <summary>
    /// Stores a block and registers it. The block is durable before its row is written, and the
    /// row is committed before this returns: once it returns, both survive any crash.
    /// </summary>
    /// <param name="cid">The block's CID: raw for a batch or an Arrow stream, dag-cbor for a dataset, any codec for a foreign block.</param>
    /// <param name="bytes">The block's bytes; checked against <paramref name="cid"/>.</param>
    /// <param name="record">
    /// Metadata; its <c>Cid</c> must be <paramref name="cid"/>. <c>Bytes</c> is set from the block,
    /// a dataset's <c>Batches</c> from its manifest's links (a list given must name the same CIDs)
    /// and a foreign block's from the links it holds (DAG-CBOR, dag-pb).
    /// </param>
    /// <returns>The record as stored.</returns>
    /// <exception cref="BlockCorruptedException">The bytes do not hash to the CID; nothing was stored.</exception>
    /// <exception cref="Content.ContentFormatException">A dataset block is not valid DAG-CBOR.</exception>
    /// <exception cref="ArgumentException">The record does not fit the CID or the block.</exception>
    public BlockRecord PutBlock(Cid cid, ReadOnlySpan<byte> bytes, BlockRecord record) => PutBlock(cid, bytes, record, guard: null);

    /// <summary>
    /// Stores a block hashed when it was made (a manifest from <see cref="Content.Datasets.DatasetManifest.Encode"/>,
    /// or bytes checked once by <see cref="HashedBlock.Verify"/>) and registers it, like
    /// <see cref="PutBlock(Cid, ReadOnlySpan{byte}, BlockRecord)"/> but without hashing it again.
    /// </summary>
    /// <param name="block">The block.</param>
    /// <param name="record">Metadata, as for <see cref="PutBlock(Cid, ReadOnlySpan{byte}, BlockRecord)"/>.</param>
    /// <returns>The record as stored.</returns>
    /// <exception cref="Content.ContentFormatException">A dataset block is not valid DAG-CBOR.</exception>
    /// <exception cref="ArgumentException">The record does not fit the CID or the block.</exception>
    public BlockRecord PutBlock(HashedBlock block, BlockRecord record) => PutBlock(block, record, guard: null);

    /// <summary>Like <see cref="PutBlock(Cid, ReadOnlySpan{byte}, BlockRecord)"/>, held by <paramref name="guard"/> when one is given.</summary>
    internal BlockRecord PutBlock(Cid cid, ReadOnlySpan<byte> bytes, BlockRecord record, PinGuard? guard)
    {
        ArgumentNullException.ThrowIfNull(cid);
        ArgumentNullException.ThrowIfNull(record);
        var toStore = Describe(cid, bytes, record, hashed: false);
        using (_lock.Shared())
        {
            Blocks.Stage(cid, bytes);
            return Registered(Register(toStore, guard));
        }
    }

    /// <summary>Like <see cref="PutBlock(HashedBlock, BlockRecord)"/>, held by <paramref name="guard"/> when one is given.</summary>
    internal BlockRecord PutBlock(HashedBlock block, BlockRecord record, PinGuard? guard)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(record);
        var toStore = Describe(block.Cid, block.Bytes.Span, record, hashed: true);
        using (_lock.Shared())
        {
            Blocks.Stage(block);
            return Registered(Register(toStore, guard));
        }
    }

    /// <summary>
    /// Like <see cref="PutBlock(HashedBlock, BlockRecord, PinGuard?)"/> without a thread waiting
    /// for the group commit: the block is written (a large one durably, a small one into the pack),
    /// held by <paramref name="guard"/> and its row joins the next group; the task gives the row once
    /// durable. A caller storing many blocks (a table copied in) pays one group commit for all of
    /// them, not one each. Rows submitted one after another commit in that order, but a group that
    /// fails does not stop later ones: a row that must not outlive an earlier one's failure (a node
    /// naming its blocks) is submitted once the earlier tasks have completed.
    /// </summary>
    internal Task<RegisteredRow> SubmitBlock(HashedBlock block, BlockRecord record, PinGuard guard)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(guard);
        var toStore = Describe(block.Cid, block.Bytes.Span, record, hashed: true);
        using (_lock.Shared())
        {
            Blocks.Stage(block);
            return SubmitRow(toStore, guard);
        }
    }

    /// <summary>
    /// Stores the raw block <paramref name="writeContent"/> writes, named by what it wrote (hashed
    /// as written, see <see cref="DirectoryBlockStore.PutRaw"/>), and registers it as a batch with
    /// the facts given here (all known before the write) and the CID and length the write gave.
    /// The block is durable before its row exists; both happen under one hold of the shared lock,
    /// so a collection never sees the block without its row.
    /// </summary>
    internal RegisteredRow PutBatchBlock(Action<Stream> writeContent, string schema, long rows, PutOptions options, PinGuard? guard) =>
        RegisterBatchBlock(WriteBatchBlock(writeContent), schema, rows, options, guard);

    /// <summary>
    /// The first half of <see cref="PutBatchBlock"/>, safe on any thread: writes the block durably
    /// and returns it with the shared lock still held, so no collection runs before
    /// <see cref="RegisterBatchBlock"/> gives it its row (or the write is disposed unregistered, an
    /// orphan for the next collection).
    /// </summary>
    internal WrittenBlock WriteBatchBlock(Action<Stream> writeContent)
    {
        var held = _lock.Shared();
        try
        {
            var staged = Blocks.StageRaw(writeContent);
            return new WrittenBlock(staged.Cid, staged.Length, staged.NeedsSync, held);
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The second half of <see cref="PutBatchBlock"/>: registers a written block as a batch, then
    /// lets the shared lock go. Returns once the row is durable, maybe before the registry shows it
    /// to other processes (<see cref="LoggedRowApplier"/>): the row's CID and length are known, its
    /// stored form and former pin once applied.
    /// </summary>
    internal RegisteredRow RegisterBatchBlock(WrittenBlock written, string schema, long rows, PutOptions options, PinGuard? guard)
    {
        using (written)
        {
            return Register(BatchRecord(written, schema, rows, options), guard);
        }
    }

    /// <summary>
    /// <see cref="RegisterBatchBlock"/> without a thread waiting for the group commit: the row joins
    /// the next group now (so rows submitted later never commit before it), held by
    /// <paramref name="guard"/> when one is given; the task gives the row once durable. The caller
    /// then disposes <paramref name="written"/>, as <see cref="RegisterBatchBlock"/> does.
    /// </summary>
    internal Task<RegisteredRow> SubmitBatchBlock(WrittenBlock written, string schema, long rows, PutOptions options, PinGuard? guard)
    {
        // The written block still holds the shared lock: the hold is in place before any collection can run.
        return SubmitRow(BatchRecord(written, schema, rows, options), guard);
    }

    private static BlockRecord BatchRecord(WrittenBlock written, string schema, long rows, PutOptions options) => new()
    {
        Cid = written.Cid,
        Kind = BlockKind.Batch,
        Schema = schema,
        Rows = rows,
        Bytes = written.Length,
        Tags = options.Tags,
        Producer = options.Producer,
        Provenance = options.Provenance,
        Pinned = options.Pin,
    };

    // Called under the shared lock, after the block is written (durable, or staged in a pack): the
    // row joins the next group commit, which logs the group's rows and syncs the packs once; this
    // returns once that group is durable.
    private RegisteredRow Register(BlockRecord record, PinGuard? guard) => SubmitRow(record, guard).GetAwaiter().GetResult();

    // Called under the shared lock, after the block is written: with a guard, the guard holds the
    // block first (under the same lock), so no collection sees the row unheld before the put ends;
    // then the row joins the next group commit, and the task gives it once that group is durable.
    private Task<RegisteredRow> SubmitRow(BlockRecord record, PinGuard? guard)
    {
        guard?.Hold(record.Cid);
        return _commits.SubmitAsync(record);
    }

    // A row as the registry stored it: a block put through the public API returns what a read would.
    private BlockRecord Registered(RegisteredRow row)
    {
        WaitApplied();
        return row.Stored;
    }

    /// <summary>
    /// Waits until the registry holds the rows of every put this instance acknowledged (they are
    /// durable in the packs' logs already); reads through <see cref="Registry"/> do this themselves.
    /// </summary>
    /// <exception cref="Exception">The registry's error when applying them fails (they stay queued, and logged).</exception>
    internal void WaitApplied() => _log.Applier.WaitApplied();

    /// <summary>The registry's side of the commit protocol (for tests: how far each pack's log is applied).</summary>
    internal ILoggedCommits LoggedCommits => _log.Logged;

    /// <summary>A copy of a block's bytes (checked against the CID when the repository verifies reads).</summary>
    /// <param name="cid">The block's CID.</param>
    /// <returns>The content.</returns>
    /// <exception cref="BlockNotFoundException">No such block.</exception>
    /// <exception cref="BlockCorruptedException">The stored file does not hash to the CID.</exception>
    public ReadOnlyMemory<byte> GetBlock(Cid cid)
    {
        using var block = Reader.Open(cid, verify: Blocks.VerifyOnRead);
        return block.Memory.ToArray();
    }

    /// <summary>A block's registry record.</summary>
    /// <param name="cid">The block's CID.</param>
    /// <returns>The record, or null when not registered.</returns>
    public BlockRecord? GetRecord(Cid cid) => _registry.Find(cid);

    /// <summary>Pins a registered block so <see cref="Gc"/> keeps it (and a dataset's batches).</summary>
    /// <param name="cid">The CID.</param>
    /// <returns>False when the CID is not registered.</returns>
    public bool Pin(Cid cid)
    {
        // Shared, so a pin cannot land between a collection's reachability walk and its deletes.
        using (_lock.Shared())
        {
            return _registry.Pin(cid);
        }
    }

    /// <summary>Unpins a registered block; the next <see cref="Gc"/> may remove it.</summary>
    /// <param name="cid">The CID.</param>
    /// <returns>False when the CID is not registered.</returns>
    public bool Unpin(Cid cid) => _reserve.FreeingSpace(() =>
    {
        using (_lock.Shared())
        {
            return _registry.Unpin(cid);
        }
    });

    /// <summary>
    /// Records a registered CID as the next version of a dataset name (see
    /// <see cref="IRegistry.AddVersion"/>); from then on garbage collection keeps it.
    /// </summary>
    /// <param name="name">The name (see <see cref="DatasetName"/>).</param>
    /// <param name="cid">A registered batch or dataset.</param>
    /// <returns>The version recorded.</returns>
    /// <exception cref="InvalidDatasetNameException">The name breaks the naming rules.</exception>
    /// <exception cref="BlockNotFoundException">The CID is not registered here.</exception>
    public NamedVersion AddVersion(string name, Cid cid)
    {
        // Shared, like a pin: a collection's reachability walk never misses a version being added.
        using (_lock.Shared())
        {
            return _registry.AddVersion(name, cid) ?? throw new BlockNotFoundException(cid);
        }
    }

    /// <summary>
    /// As <see cref="AddVersion"/>, unless the name's latest version already names <paramref name="cid"/>:
    /// unchanged content under its name adds no version (a pull, a stored query result found again).
    /// </summary>
    /// <param name="name">The name (see <see cref="DatasetName"/>).</param>
    /// <param name="cid">A registered batch or dataset.</param>
    /// <returns>The version naming <paramref name="cid"/>, and whether this call added it.</returns>
    /// <exception cref="InvalidDatasetNameException">The name breaks the naming rules.</exception>
    /// <exception cref="BlockNotFoundException">The CID is not registered here.</exception>
    public (NamedVersion Version, bool Added) AddVersionUnlessLatest(string name, Cid cid) =>
        _registry.FindVersion(name) is { } latest && latest.Cid == cid ? (latest, false) : (AddVersion(name, cid), true);

    /// <summary>
    /// A registry this repository's node shares with other nodes, with what this node writes there
    /// (names' versions, tags, pins, deletions) journaled in the repository folder, so that
    /// <see cref="RebuildShared"/> can write it again if that registry is lost.
    /// </summary>
    /// <param name="shared">The shared registry.</param>
    /// <param name="copy">Where the changes, and the rows upserted, are also appended (a durable tier's log), or null.</param>
    /// <returns>The shared registry, journaled.</returns>
    public IRegistry Journaled(IRegistry shared, IJournalCopy? copy = null) =>
        shared is JournaledRegistry ? shared : new JournaledRegistry(shared, _journaled.Journal.Beside(RegistryJournal.SharedFileName), journalRows: false, copy);

    /// <summary>
    /// Applies the rows of acknowledged puts (what fails to apply stays in the packs' logs, replayed
    /// on the next open), then releases the block store and the registry's database connections.
    /// </summary>
    public void Dispose()
    {
        _log.Applier.Close();
        Blocks.Dispose();
        _registry.Dispose();
    }

    /// <summary>The record to store for a block: checked against the CID (unless <paramref name="hashed"/> when it was made), with size and dataset links filled in.</summary>
    private static BlockRecord Describe(Cid cid, ReadOnlySpan<byte> bytes, BlockRecord record, bool hashed)
    {
        if (record.Cid != cid)
        {
            throw new ArgumentException($"The record names {record.Cid}, the block {cid}.", nameof(record));
        }

        ulong? expectedCodec = record.Kind switch
        {
            BlockKind.Batch or BlockKind.ArrowStream => Multicodec.Raw,
            BlockKind.Dataset or BlockKind.TableNode or BlockKind.VersionNode => Multicodec.DagCbor,
            BlockKind.Foreign => null,
            _ => throw new ArgumentException($"Unknown block kind {record.Kind}.", nameof(record)),
        };
        if (expectedCodec is { } codec && cid.Codec != codec)
        {
            throw new ArgumentException($"A {record.Kind} block needs a {Multicodec.NameOf(codec)} CID; {cid} is {Multicodec.NameOf(cid.Codec)}.", nameof(record));
        }

        if (record.Kind is BlockKind.Batch or BlockKind.ArrowStream)
        {
            return record.Links.Count == 0
                ? record with { Bytes = bytes.Length }
                : throw new ArgumentException($"A {record.Kind} block links no other blocks.", nameof(record));
        }

        // Batches and Arrow streams are checked by the block store as it writes them.
        if (!hashed && !cid.Verify(bytes))
        {
            throw new BlockCorruptedException(cid, $"Content of {bytes.Length} bytes does not hash to the CID it was offered under");
        }

        if (record.Kind is BlockKind.Foreign or BlockKind.VersionNode)
        {
            // GC keeps what a kept foreign DAG links, so the links come from the block itself.
            return record with { Bytes = bytes.Length, Links = ForeignLinks.Of(cid, bytes, out _) };
        }

        // GC keeps a pinned dataset's batches (and a tree's nodes and chunks) by these links, so they come from the manifest itself.
        var links = ManifestLinks.Of(bytes);
        if (record.Links.Count > 0 && !record.Links.ToHashSet().SetEquals(links))
        {
            throw new ArgumentException($"The record's batches differ from the {links.Count} CIDs the manifest links.", nameof(record));
        }

        return record with { Bytes = bytes.Length, Links = links };
    }

    // The block's own file only (packed copies go by compaction).
    private long DeleteBlockFile(Cid cid)
    {
        string path = Blocks.GetBlockPath(cid);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return 0;
        }

        long size = info.Length;
        Arrow.IO.FileFaults.Check(Arrow.IO.FileOperation.Delete, path);
        File.Delete(path);
        // A kept mapping would hold the deleted file's space until the CID was next opened.
        Reader.Forget(cid);
        BlockDeleted?.Invoke(cid);
        Arrow.IO.DurableFile.FlushDirectory(Path.GetDirectoryName(path)!);
        return size;
    }

    private long DeleteBlock(Cid cid)
    {
        Blocks.TryGetSize(cid, out long size);
        bool deleted = Blocks.Delete(cid);
        Reader.Forget(cid);
        BlockDeleted?.Invoke(cid);
        return deleted ? size : 0;
    }
}

/// <summary>A block written durably and not yet registered, holding the repository's shared lock until disposed.</summary>
/// <param name="Cid">The block's CID.</param>
/// <param name="Length">Its length in bytes.</param>
/// <param name="NeedsSync">Whether it was appended to a pack, durable only once the packs are synced (by its group commit).</param>
/// <param name="Lock">The shared lock held since before the write.</param>
internal sealed record WrittenBlock(Cid Cid, long Length, bool NeedsSync, IDisposable Lock) : IDisposable
{
    public void Dispose() => Lock.Dispose();
}

