using System.Buffers;

namespace ArrowCid.Content.Stores.Packs;

/// <summary>The repository's write-ahead log in the packs: entries appended after a group's blocks and made durable by the same sync, listed and read back for replay, never dropped by a compaction before they are applied.</summary>
public sealed partial class PackStore
{
    /// <summary>
    /// Appends an entry to the write-ahead log in this process's pack: <paramref name="payload"/>
    /// with a check, so a torn entry is cut on open like a torn block. Durable once <see cref="Sync"/>
    /// returns, together with every block appended before it.
    /// </summary>
    /// <param name="payload">What to log.</param>
    /// <returns>Where the entry lies.</returns>
    public PackLogPosition AppendLogEntry(ReadOnlySpan<byte> payload)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return AppendLogEntryLocked(EnsureWriterLocked(), payload);
        }
    }

    /// <summary>
    /// Like <see cref="AppendLogEntry(ReadOnlySpan{byte})"/>, with the payload encoded once the
    /// entry's position is known (and no other append can come between): an entry may then refer to
    /// earlier entries of the same pack.
    /// </summary>
    /// <param name="encode">Makes the payload of the entry that will lie at the position given.</param>
    /// <returns>Where the entry lies.</returns>
    public PackLogPosition AppendLogEntry(Func<PackLogPosition, byte[]> encode)
    {
        ArgumentNullException.ThrowIfNull(encode);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var writer = EnsureWriterLocked();
            return AppendLogEntryLocked(writer, encode(new PackLogPosition(writer.Id, writer.End)));
        }
    }

    /// <summary>The packs that hold log entries (other processes' appends read first, unless <paramref name="refresh"/> is false).</summary>
    /// <param name="refresh">False when this store has just read the packs (an open, which reads them all as it starts).</param>
    /// <returns>Their ids.</returns>
    public IReadOnlyList<ulong> ListLogPacks(bool refresh = true)
    {
        if (refresh)
        {
            Refresh();
        }

        lock (_gate)
        {
            return [.. _packs.Values.Where(s => s.LogEntryCount > 0).Select(s => s.Id)];
        }
    }

    /// <summary>The log entries of a pack whose records start after <paramref name="after"/> (and before <paramref name="before"/>), in order.</summary>
    /// <param name="pack">The pack.</param>
    /// <param name="after">An offset; -1 for every entry.</param>
    /// <param name="before">An offset; entries from there on are left out.</param>
    /// <returns>The entries (empty when the pack is gone).</returns>
    public IReadOnlyList<PackLogEntry> ReadLogEntries(ulong pack, long after, long before = long.MaxValue)
    {
        List<(long Offset, long BodyOffset, int BodyLength)> wanted;
        lock (_gate)
        {
            if (!_packs.TryGetValue(pack, out var state))
            {
                return [];
            }

            // The entries lie in offset order (scanned and appended so): a search, not a scan, since
            // every group commit asks for the entries between the last applied one and its own. Most
            // asks (an open replaying every pack) find everything applied: the last entry says so
            // alone, without the search touching a page of the index per step.
            if (!HasLogEntryAfterLocked(state, after))
            {
                return [];
            }

            int count = state.LogEntryCount;

            int low = 0;
            int high = count;
            while (low < high)
            {
                int middle = (low + high) >>> 1;
                if (state.LogEntryAt(middle).Offset > after)
                {
                    high = middle;
                }
                else
                {
                    low = middle + 1;
                }
            }

            wanted = [];
            for (int i = low; i < count && state.LogEntryAt(i).Offset < before; i++)
            {
                wanted.Add(state.LogEntryAt(i));
            }
        }

        if (wanted.Count == 0)
        {
            return [];
        }

        var entries = new List<PackLogEntry>(wanted.Count);
        foreach (var (offset, bodyOffset, bodyLength) in wanted)
        {
            byte[] body = new byte[bodyLength];
            if (!TryRead(new PackedBlock(pack, offset, bodyOffset, bodyLength), body))
            {
                // Gone since it was indexed: the pack was compacted away (every entry applied first).
                return [];
            }

            if (!PackFormat.IsWholeLogEntry(body))
            {
                // Damaged before a seal (one after the last seal is cut by recovery): nothing to replay from it.
                continue;
            }

            entries.Add(new PackLogEntry(new PackLogPosition(pack, offset), body.AsMemory(0, bodyLength - PackFormat.LogEntryCheckLength)));
        }

        return entries;
    }

    /// <summary>
    /// Holds a pack that no live process appends to (its writer finished or died): while held, no
    /// one appends to, recovers or compacts it. Null when a live writer (this process's included) holds it.
    /// </summary>
    /// <param name="pack">The pack.</param>
    /// <returns>The hold, to dispose; or null.</returns>
    public IDisposable? TryHoldIdlePack(ulong pack)
    {
        lock (_gate)
        {
            if (_writer?.Id == pack)
            {
                return null;
            }
        }

        return TryLockPack(pack);
    }

    private PackLogPosition AppendLogEntryLocked(PackWriter writer, ReadOnlySpan<byte> payload)
    {
        int bodyLength = checked(payload.Length + PackFormat.LogEntryCheckLength);
        int total = PackFormat.LogEntryRecordLength(bodyLength);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(total);
        long offset;
        try
        {
            var record = buffer.AsSpan(0, total);
            record.Clear();
            PackFormat.WriteHead(record, PackRecordType.LogEntry, null, bodyLength);
            PackFormat.WriteLogEntryBody(record[PackFormat.HeaderLength..], payload);
            offset = writer.Append(record);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var state = _packs[writer.Id];
        state.LogEntries.Add((offset, offset + PackFormat.HeaderLength, bodyLength));
        state.ScannedTo = writer.End;
        RollIfFullLocked(writer);
        return new PackLogPosition(writer.Id, offset);
    }

    /// <summary>
    /// Whether a pack holds a log entry whose record starts after <paramref name="after"/>: its
    /// last entry says so alone, without reading any entry's body (a replay asks it of every pack).
    /// </summary>
    /// <param name="pack">The pack.</param>
    /// <param name="after">An offset; -1 for any entry.</param>
    /// <returns>False too when the pack is gone.</returns>
    public bool HasLogEntriesAfter(ulong pack, long after)
    {
        lock (_gate)
        {
            return _packs.TryGetValue(pack, out var state) && HasLogEntryAfterLocked(state, after);
        }
    }

    private static bool HasLogEntryAfterLocked(PackState state, long after) =>
        state.LogEntryCount > 0 && state.LastLogEntryOffset > after;

    // Whether a pack holds a log entry past where the log has been applied (a rewrite would lose it).
    private bool HasUnappliedLogEntries(PackState state, Func<ulong, long>? logAppliedThrough)
    {
        lock (_gate)
        {
            if (logAppliedThrough is null || state.LogEntryCount == 0)
            {
                return false;
            }
        }

        // Asked outside the lock: the caller's answer may come from the registry.
        long applied = logAppliedThrough(state.Id);
        lock (_gate)
        {
            return HasLogEntryAfterLocked(state, applied);
        }
    }
}
