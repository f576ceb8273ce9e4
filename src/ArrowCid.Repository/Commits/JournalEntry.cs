using System.Buffers;
using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using static ArrowCid.Repository.LogFields;

namespace ArrowCid.Repository;

/// <summary>
/// One change of the <see cref="RegistryJournal"/>, with the time it was made (the order a rebuild
/// replays changes in, beside the rows of the packs' log, which carry their creation time). Encoded
/// as format byte 1, the kind, the time (µs, 8 bytes) and the kind's fields in <see cref="LogFields"/>'
/// encoding.
/// </summary>
/// <param name="At">When the change was made.</param>
internal abstract record JournalEntry(DateTimeOffset At)
{
    private const byte FormatVersion = 1;
    private const string What = "A registry journal entry";

    private enum Kind : byte
    {
        Rows = 1,
        Pinned = 2,
        Tagged = 3,
        Deleted = 4,
        Versioned = 5,
        Stated = 6,
    }

    /// <summary>Makes the change in <paramref name="registry"/>, as it was made first.</summary>
    public abstract void ApplyTo(IRegistry registry);

    /// <summary>The entry's payload.</summary>
    public byte[] Encode()
    {
        var writer = new ArrayBufferWriter<byte>(64);
        WriteByte(writer, FormatVersion);
        WriteByte(writer, (byte)KindOf(this));
        WriteInt64(writer, RegistryTime.ToMicroseconds(At));
        switch (this)
        {
            case RowsJournaled rows:
                WriteBytes(writer, LoggedRows.Encode(rows.Records));
                break;
            case RowsStated stated:
                WriteBytes(writer, LoggedRows.Encode(stated.Records));
                break;
            case PinJournaled pin:
                WriteByte(writer, pin.Pinned ? (byte)1 : (byte)0);
                WriteCids(writer, pin.Cids);
                break;
            case TagJournaled tag:
                WriteCid(writer, tag.Cid);
                WriteString(writer, tag.Key);
                WriteString(writer, tag.Value);
                break;
            case DeleteJournaled deleted:
                WriteCids(writer, deleted.Cids);
                break;
            case VersionJournaled versioned:
                WriteString(writer, versioned.Version.Name);
                WriteVarint(writer, (ulong)versioned.Version.Version);
                WriteCid(writer, versioned.Version.Cid);
                WriteInt64(writer, RegistryTime.ToMicroseconds(versioned.Version.Created));
                break;
        }

        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a payload <see cref="Encode"/> wrote.</summary>
    /// <exception cref="InvalidDataException">The payload is not an entry this build reads.</exception>
    public static JournalEntry Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new LogFieldReader(payload, What);
        byte version = reader.Byte();
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"{What} of version {version}; this build reads version {FormatVersion}.");
        }

        var kind = (Kind)reader.Byte();
        var at = RegistryTime.FromMicroseconds(reader.Int64());
        JournalEntry entry = kind switch
        {
            Kind.Rows => new RowsJournaled(at, LoggedRows.Decode(reader.Bytes())),
            Kind.Stated => new RowsStated(at, LoggedRows.Decode(reader.Bytes())),
            Kind.Pinned => new PinJournaled(at, reader.Byte() != 0, ReadCids(ref reader)),
            Kind.Tagged => new TagJournaled(at, reader.Cid(), reader.String() ?? string.Empty, reader.String()),
            Kind.Deleted => new DeleteJournaled(at, ReadCids(ref reader)),
            Kind.Versioned => new VersionJournaled(at, new NamedVersion(reader.String() ?? string.Empty, (long)Math.Min(reader.Varint(), long.MaxValue), reader.Cid(), RegistryTime.FromMicroseconds(reader.Int64()))),
            _ => throw new InvalidDataException($"{What} of an unknown kind ({(byte)kind})."),
        };
        return reader.AtEnd ? entry : throw new InvalidDataException($"{What} has bytes after its last field.");
    }

    private static Kind KindOf(JournalEntry entry) => entry switch
    {
        RowsJournaled => Kind.Rows,
        RowsStated => Kind.Stated,
        PinJournaled => Kind.Pinned,
        TagJournaled => Kind.Tagged,
        DeleteJournaled => Kind.Deleted,
        VersionJournaled => Kind.Versioned,
        _ => throw new ArgumentException($"no journal encoding for {entry.GetType().Name}", nameof(entry)),
    };

    private static void WriteCids(ArrayBufferWriter<byte> writer, IReadOnlyList<Cid> cids)
    {
        WriteVarint(writer, (ulong)cids.Count);
        foreach (var cid in cids)
        {
            WriteCid(writer, cid);
        }
    }

    private static List<Cid> ReadCids(ref LogFieldReader reader)
    {
        int count = reader.Count();
        var cids = new List<Cid>(count);
        for (int i = 0; i < count; i++)
        {
            cids.Add(reader.Cid());
        }

        return cids;
    }
}

/// <summary>Rows upserted outside the packs' log (a repair's, or a pack's log entries a compaction dropped), each with its creation time.</summary>
internal sealed record RowsJournaled(DateTimeOffset At, IReadOnlyList<BlockRecord> Records) : JournalEntry(At)
{
    /// <inheritdoc/>
    public override void ApplyTo(IRegistry registry) => registry.UpsertAll(Records);
}

/// <summary>
/// Rows as they stood when a journal was compacted (<see cref="LocalRepository.CompactedJournals"/>):
/// each upserted, then unpinned when it was not pinned and stripped of the tags it did not have,
/// so what an older entry replayed before it said (a pack's copy of its rows from their put) does
/// not outlive the unpins and tag removals the compaction dropped.
/// </summary>
internal sealed record RowsStated(DateTimeOffset At, IReadOnlyList<BlockRecord> Records) : JournalEntry(At)
{
    /// <inheritdoc/>
    public override void ApplyTo(IRegistry registry)
    {
        var stored = registry.UpsertAll(Records);
        for (int i = 0; i < Records.Count; i++)
        {
            var (stated, now) = (Records[i], stored[i]);
            if (now.Pinned && !stated.Pinned)
            {
                registry.Unpin(stated.Cid);
            }

            foreach (string key in now.Tags.Keys.Where(key => !stated.Tags.ContainsKey(key)))
            {
                registry.RemoveTag(stated.Cid, key);
            }
        }
    }
}

/// <summary>CIDs pinned or unpinned.</summary>
internal sealed record PinJournaled(DateTimeOffset At, bool Pinned, IReadOnlyList<Cid> Cids) : JournalEntry(At)
{
    /// <inheritdoc/>
    public override void ApplyTo(IRegistry registry)
    {
        foreach (var cid in Cids)
        {
            _ = Pinned ? registry.Pin(cid) : registry.Unpin(cid);
        }
    }
}

/// <summary>A tag set (a value) or removed (no value).</summary>
internal sealed record TagJournaled(DateTimeOffset At, Cid Cid, string Key, string? Value) : JournalEntry(At)
{
    /// <inheritdoc/>
    public override void ApplyTo(IRegistry registry) =>
        _ = Value is null ? registry.RemoveTag(Cid, Key) : registry.SetTag(Cid, Key, Value);
}

/// <summary>Rows deleted (by gc, repair or a delete): a rebuild does not bring them back, even if the block is stored again later.</summary>
internal sealed record DeleteJournaled(DateTimeOffset At, IReadOnlyList<Cid> Cids) : JournalEntry(At)
{
    /// <inheritdoc/>
    public override void ApplyTo(IRegistry registry)
    {
        foreach (var cid in Cids)
        {
            registry.Delete(cid);
        }
    }
}

/// <summary>A name's version, with the number and time the registry gave it.</summary>
internal sealed record VersionJournaled(DateTimeOffset At, NamedVersion Version) : JournalEntry(At)
{
    /// <inheritdoc/>
    public override void ApplyTo(IRegistry registry) => registry.RestoreVersion(Version);
}
