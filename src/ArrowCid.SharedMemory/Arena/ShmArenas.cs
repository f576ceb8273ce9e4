namespace ArrowCid.SharedMemory.Arena;

/// <summary>
/// The store's arenas, smallest slots first: <c>arena-small</c> (sub-page slots, its slot bytes
/// backed once at creation, so small publishes neither allocate pages nor make a system call) and
/// <c>arena</c> (slots up to the fast-path threshold, sparse). A batch goes to the first arena
/// whose slots fit it and, when that one has no room (every candidate slot pinned or leased, or
/// tmpfs full), to the next; lookups ask each. Mutations happen under the store's writer lock.
/// </summary>
internal sealed class ShmArenas : IDisposable
{
    private readonly ShmArena[] _arenas;
    private ShmArena.EvictedSlot[]? _movingUp;
    private ShmArena.EvictedSlot? _movingUpFor;
    private ShmArena.PinnedDigest? _movingUpPinned;

    private ShmArenas(ShmArena[] arenas) => _arenas = arenas;

    /// <summary>The largest encoding any arena takes.</summary>
    public int SlotBytes => _arenas[^1].SlotBytes;

    /// <summary>Each arena, smallest slots first.</summary>
    public IReadOnlyList<ShmArena> All => _arenas;

    /// <summary>
    /// Opens the arena files the options ask for (creating them when absent) or, with
    /// <paramref name="options"/> null, those that exist; null when there are none.
    /// </summary>
    public static ShmArenas? Open(ShmStoreLayout layout, ShmStoreOptions? options, UnixFileMode mode)
    {
        var wanted = new List<(string Path, (int, int, bool)? Create)>();
        if (options is null)
        {
            wanted.Add((layout.SmallArena, null));
            wanted.Add((layout.Arena, null));
        }
        else
        {
            if (options.ArenaSmallSlots > 0 && options.ArenaSmallSlotBytes > 0 && options.ArenaSmallSlotBytes < options.ArenaSlotBytes)
            {
                wanted.Add((layout.SmallArena, (options.ArenaSmallSlotBytes, options.ArenaSmallSlots, true)));
            }

            wanted.Add((layout.Arena, (options.ArenaSlotBytes, options.ArenaSlots, false)));
        }

        var opened = new List<ShmArena>();
        try
        {
            foreach (var (path, create) in wanted)
            {
                if (create is null && !File.Exists(path))
                {
                    continue;
                }

                opened.Add(ShmArena.Open(path, create, mode));
            }
        }
        catch
        {
            foreach (var arena in opened)
            {
                arena.Dispose();
            }

            throw;
        }

        opened.Sort((a, b) => a.SlotBytes.CompareTo(b.SlotBytes));
        return opened.Count == 0 ? null : new ShmArenas([.. opened]);
    }

    /// <summary>Whether an arena holds <paramref name="digest"/> now (a probe).</summary>
    public bool Contains(ReadOnlySpan<byte> digest)
    {
        foreach (var arena in _arenas)
        {
            if (arena.Find(digest) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Starts loading the slot headers that publishing <paramref name="length"/> bytes under <paramref name="digest"/> reads first (see <see cref="ShmArena.Prefetch"/>).</summary>
    public void Prefetch(ReadOnlySpan<byte> digest, int length)
    {
        foreach (var arena in _arenas)
        {
            if (length <= arena.SlotBytes)
            {
                arena.Prefetch(digest);
                return;
            }
        }
    }

    /// <summary>Leases the slot holding <paramref name="digest"/> in whichever arena holds it; null arena when none does.</summary>
    public (ShmArena? Arena, int Slot) TryLease(ReadOnlySpan<byte> digest, out ReadOnlyMemory<byte> bytes, out long offset)
    {
        foreach (var arena in _arenas)
        {
            int slot = arena.TryLease(digest, out bytes, out offset);
            if (slot >= 0)
            {
                return (arena, slot);
            }
        }

        bytes = default;
        offset = 0;
        return (null, -1);
    }

    /// <summary>
    /// Publishes into the first arena that fits and has room (the caller holds the writer lock). With
    /// <paramref name="keepEvicted"/> (a store without a capacity limit, where nothing published may
    /// disappear), a slot an arena reuses moves to the next arena whose slots fit it, and only what
    /// the last one reuses goes to <paramref name="evicted"/> (a segment file of its own): a copy
    /// within the mapping instead of a file made, written and linked for every publish once the
    /// small arena's sets are full. Otherwise every reused slot goes to <paramref name="evicted"/>.
    /// <paramref name="utcTicks"/>: the publish's clock reading for the slot's last access (0: now).
    /// </summary>
    public ShmArena.PublishOutcome Publish(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> bytes, ShmArena.PinnedDigest isPinned, ShmArena.EvictedSlot evicted, bool keepEvicted = false, long utcTicks = 0)
    {
        // Another arena may hold it already (it overflowed there once): never a second copy. Only
        // arenas whose slots fit the bytes can hold them, and the first of those looks in its own
        // sets as it publishes, so the others are probed first.
        bool first = true;
        foreach (var arena in _arenas)
        {
            if (bytes.Length <= arena.SlotBytes)
            {
                if (!first && arena.MayHold(bytes.Length) && arena.Find(digest) >= 0)
                {
                    return ShmArena.PublishOutcome.Existing;
                }

                first = false;
            }
        }

        var moving = keepEvicted ? MovingUp(isPinned, evicted) : null;
        return PublishFrom(0, digest, bytes, isPinned, evicted, moving, utcTicks);
    }

    // Into the first arena from index `from` on that fits and has room; each arena's reused slots go
    // where `moving` says (the next arena), or to `evicted`.
    private ShmArena.PublishOutcome PublishFrom(int from, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> bytes, ShmArena.PinnedDigest isPinned, ShmArena.EvictedSlot evicted, ShmArena.EvictedSlot[]? moving, long utcTicks = 0)
    {
        for (int i = from; i < _arenas.Length; i++)
        {
            if (bytes.Length > _arenas[i].SlotBytes)
            {
                continue;
            }

            var outcome = _arenas[i].Publish(digest, bytes, isPinned, moving?[i] ?? evicted, utcTicks);
            if (outcome != ShmArena.PublishOutcome.NoRoom)
            {
                return outcome;
            }
        }

        return ShmArena.PublishOutcome.NoRoom;
    }

    // Per arena, what becomes of a slot it reuses: published into the arenas after it (larger
    // slots), else handed to `evicted`. Made once for the store's two callbacks, which never change.
    private ShmArena.EvictedSlot[] MovingUp(ShmArena.PinnedDigest isPinned, ShmArena.EvictedSlot evicted)
    {
        if (_movingUp is { } made && ReferenceEquals(_movingUpFor, evicted) && ReferenceEquals(_movingUpPinned, isPinned))
        {
            return made;
        }

        var moving = new ShmArena.EvictedSlot[_arenas.Length];
        for (int i = 0; i < _arenas.Length; i++)
        {
            int next = i + 1;
            moving[i] = next == _arenas.Length
                ? evicted
                : (digest, bytes) =>
                {
                    if (PublishFrom(next, digest, bytes, isPinned, evicted, moving) == ShmArena.PublishOutcome.NoRoom)
                    {
                        evicted(digest, bytes);
                    }
                };
        }

        (_movingUp, _movingUpFor, _movingUpPinned) = (moving, evicted, isPinned);
        return moving;
    }

    /// <summary>Frees the slot of <paramref name="digest"/> unless leased (the caller holds the writer lock).</summary>
    public ShmArena.RemoveOutcome Remove(ReadOnlySpan<byte> digest, out int length)
    {
        foreach (var arena in _arenas)
        {
            var outcome = arena.Remove(digest, out length);
            if (outcome != ShmArena.RemoveOutcome.Missing)
            {
                return outcome;
            }
        }

        length = 0;
        return ShmArena.RemoveOutcome.Missing;
    }

    /// <summary>Every Ready slot of every arena, with its arena.</summary>
    public List<(ShmArena Arena, ShmArena.SlotInfo Slot)> List()
    {
        var found = new List<(ShmArena, ShmArena.SlotInfo)>();
        foreach (var arena in _arenas)
        {
            foreach (var slot in arena.List())
            {
                found.Add((arena, slot));
            }
        }

        return found;
    }

    /// <summary>Lets go of every arena (each stays mapped while batches attached from it live).</summary>
    public void Dispose()
    {
        foreach (var arena in _arenas)
        {
            arena.Dispose();
        }
    }
}
