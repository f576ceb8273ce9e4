using System.Security.Cryptography;
using ArrowCid.Content.Multiformats;
using ArrowCid.SharedMemory.Arena;
using ArrowCid.SharedMemory.Native;
using ArrowCid.SharedMemory.Notifications;

namespace ArrowCid.SharedMemory;

/// <summary>
/// Same-host, zero-copy exchange of record batches by content. <see cref="Publish"/> writes a
/// batch's canonical bytes once into shared memory on tmpfs — a slot of the store's arena for
/// small batches (the fast path: one mapping per process, no system calls per attach), else a
/// segment file named by its CID — and announces it on the store's notification feed;
/// <see cref="Attach"/>, in any process, verifies the bytes and returns a batch whose buffers point
/// into the mapping, under a cross-process lease that keeps the bytes from being evicted until the
/// batch is disposed. Layout and protocols are described in docs/shared-memory.md. Safe for use
/// from many threads.
/// </summary>
public sealed partial class ShmStore : IDisposable
{
    // Split by concern: this file opens and closes the store; ShmStore.Publish.cs, .Attach.cs,
    // .Eviction.cs and .Listing.cs hold the rest.
    private readonly ShmStoreLayout _layout;
    private readonly ShmStoreOptions _options;
    private readonly ShmControlBlock _control;
    private readonly ShmFeed _feed;
    private readonly UnixFileMode _fileMode;
    private readonly bool _publishToArena;
    private readonly Lock _arenaGate = new();
    private ShmArenas? _arena;
    private bool _disposed;
    private readonly ShmArena.PinnedDigest _isPinnedDigest;
    private readonly ShmArena.EvictedSlot _onSlotEvicted;
    private readonly OneChunkTables _oneChunkTables = new();

    private ShmStore(ShmStoreOptions options, ShmStoreLayout layout, ShmControlBlock control, ShmFeed feed, UnixFileMode fileMode, ShmArenas? arena)
    {
        _options = options;
        _layout = layout;
        _control = control;
        _feed = feed;
        _fileMode = fileMode;
        _arena = arena;
        _publishToArena = arena is not null;
        _isPinnedDigest = digest => IsPinned(CidOfDigest(digest));
        _onSlotEvicted = OnSlotEvicted;
    }

    /// <summary>The store's folder.</summary>
    public string Directory => _layout.Root;

    // Where the store's files lie (a publish result makes its path from it when asked).
    internal ShmStoreLayout Layout => _layout;

    /// <summary>The options it was opened with.</summary>
    public ShmStoreOptions Options => _options;

    /// <summary>Newest notification sequence (0 before the first publish).</summary>
    public long PublishedSequence => _feed.PublishedSequence;

    /// <summary>How many subscribers of this store's feed, in any process, sleep waiting for a publish (for tests that must publish only once one does).</summary>
    internal int SleepingSubscribers => _feed.Control.SleepingSubscribers;

    /// <summary>Opens (creating when needed) the store the options name.</summary>
    public static ShmStore Open(ShmStoreOptions? options = null)
    {
        LinuxNative.EnsureSupported();
        options ??= new ShmStoreOptions();
        if (options.CapacityBytes is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.CapacityBytes, "the capacity must be positive");
        }

        var layout = new ShmStoreLayout(options.ResolveDirectory());
        var folderMode = options.GroupReadable
            ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
            : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        var fileMode = options.GroupReadable
            ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead
            : UnixFileMode.UserRead | UnixFileMode.UserWrite;
        // The default base folder is the user's own (0700, checked like a store's); a base folder
        // named by the operator may hold several users' stores: ordinary permissions. A store's
        // folders are the user's only (or the group's, when asked), and one that already exists is
        // checked, not trusted: another user may have made it to read what is published in it.
        string baseFolder = Path.GetDirectoryName(layout.Root)!;
        if (baseFolder == Path.GetFullPath(ShmStoreOptions.DefaultBaseDirectory))
        {
            LinuxNative.CreateDirectory(baseFolder, (int)(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
            LinuxNative.CheckPrivateFolder(baseFolder, groupReadable: false);
        }
        else
        {
            System.IO.Directory.CreateDirectory(baseFolder);
        }

        foreach (string folder in new[] { layout.Root, layout.Segments, layout.Pins })
        {
            LinuxNative.CreateDirectory(folder, (int)folderMode);
            LinuxNative.CheckPrivateFolder(folder, options.GroupReadable);
        }

        // Group members could not write their lease counts into the owner's arena: a store shared
        // with a group keeps every batch in a segment file of its own.
        bool useArena = options.ArenaSlotBytes > 0 && !options.GroupReadable;
        if (useArena)
        {
            ShmArena.ValidateGeometry(options.ArenaSlotBytes, options.ArenaSlots);
            if (options.ArenaSmallSlots > 0 && options.ArenaSmallSlotBytes > 0)
            {
                ShmArena.ValidateGeometry(options.ArenaSmallSlotBytes, options.ArenaSmallSlots);
            }
        }

        var control = ShmControlBlock.OpenOrCreate(layout.Control, fileMode);
        ShmFeed? feed = null;
        try
        {
            feed = new ShmFeed(layout.Feed, control, (int)fileMode);
            var arena = useArena ? ShmArenas.Open(layout, options, fileMode) : null;
            return new ShmStore(options, layout, control, feed, fileMode, arena);
        }
        catch
        {
            // Once built, the feed owns the control block.
            if (feed is not null)
            {
                feed.Dispose();
            }
            else
            {
                control.Dispose();
            }

            throw;
        }
    }

    private static Cid CidOfDigest(ReadOnlySpan<byte> digest) =>
        Cid.CreateV1(Multicodec.Raw, new Multihash(Multicodec.Sha2256, digest));

    // A store that does not publish into the arena (ArenaSlotBytes = 0, or opened before another
    // process created the arena) still finds batches there: the arena is opened when it appears.
    private ShmArenas? ArenaIfAny()
    {
        var arena = Volatile.Read(ref _arena);
        if (arena is not null || !File.Exists(_layout.Arena))
        {
            return arena;
        }

        lock (_arenaGate)
        {
            if (_arena is null && !_disposed)
            {
                try
                {
                    _arena = ShmArenas.Open(_layout, options: null, _fileMode);
                }
                catch (IOException e) when (e is not ShmException)
                {
                    // Gone again, or not ours to write (a group member cannot hold leases in it).
                    return null;
                }
                catch (UnauthorizedAccessException)
                {
                    return null;
                }
            }

            return _arena;
        }
    }

    // The arena, when there is one and the CID can be in it: a raw CID (a batch; manifest nodes
    // live in files) whose digest is of the size its slots are keyed by.
    private ShmArenas? ArenaFor(Cid cid) =>
        cid.Codec == Multicodec.Raw && cid.Hash.Digest.Length == SHA256.HashSizeInBytes ? ArenaIfAny() : null;

    /// <summary>Subscribes to notifications after sequence <paramref name="afterSequence"/>, optionally only those carrying every tag of <paramref name="tagFilter"/>.</summary>
    public ShmSubscription Subscribe(long afterSequence = 0, IReadOnlyDictionary<string, string>? tagFilter = null) =>
        new(_feed, afterSequence, tagFilter);

    /// <summary>Unmaps the control block and closes the feed; attached batches stay valid (the arena stays mapped until the last is released).</summary>
    public void Dispose()
    {
        lock (_arenaGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _arena?.Dispose();
        }

        // The feed owns the control block: both mappings go when no subscription is reading them.
        _feed.Dispose();
    }

    /// <summary>Names an arena slot in error messages (formatted only when one is thrown).</summary>
    private sealed record ArenaLocation(string Arena, long Offset)
    {
        public override string ToString() => $"{Arena} at offset {Offset}";
    }
}
