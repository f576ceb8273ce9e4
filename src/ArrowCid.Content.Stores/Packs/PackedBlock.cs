namespace ArrowCid.Content.Stores.Packs;

/// <summary>Where a block lies in a pack file.</summary>
/// <param name="Pack">The pack's id (its file is <c>&lt;id as 16 hex digits&gt;.pack</c>).</param>
/// <param name="RecordOffset">Where the block's record starts in the pack.</param>
/// <param name="Offset">Where the block's bytes start (a multiple of 64).</param>
/// <param name="Length">The block's length in bytes.</param>
public readonly record struct PackedBlock(ulong Pack, long RecordOffset, long Offset, int Length)
{
    /// <summary>Where the block's bytes end.</summary>
    public long End => Offset + Length;

    /// <summary>The length of the block's record in the pack: its head (header, CID, padding) and its padded bytes.</summary>
    public long RecordLength => Offset - RecordOffset + PackFormat.Align((long)Length);
}

/// <summary>What a pack compaction did.</summary>
/// <param name="Removed">Blocks no longer held in any pack (each counted once; each named to the compaction's <c>removing</c> callback).</param>
/// <param name="PacksRewritten">Packs whose live records were copied to the current pack and which were then deleted.</param>
/// <param name="BytesFreed">Bytes of pack files deleted, less the bytes appended to hold what they kept.</param>
public sealed record PackCompaction(long Removed, int PacksRewritten, long BytesFreed);

/// <summary>Where an entry of the write-ahead log kept in the packs lies (see <see cref="PackStore.AppendLogEntry(ReadOnlySpan{byte})"/>).</summary>
/// <param name="Pack">The pack.</param>
/// <param name="Offset">Where its record starts: entries of one pack are ordered by it.</param>
public readonly record struct PackLogPosition(ulong Pack, long Offset);

/// <summary>An entry of the write-ahead log kept in the packs, as read back.</summary>
/// <param name="At">Where it lies.</param>
/// <param name="Payload">What was logged.</param>
public sealed record PackLogEntry(PackLogPosition At, ReadOnlyMemory<byte> Payload);
