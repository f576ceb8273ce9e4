namespace ArrowCid.Repository;

/// <summary>
/// A copy of a shared registry's journal kept beyond the node's folder (a journal in a durable tier), so
/// the registry can be rebuilt when the folder is gone too. A node's journaled shared registry
/// (<see cref="LocalRepository.Journaled"/>) appends each change it journals there, and each row
/// it upserts, after the registry makes it and before the call returns.
/// </summary>
public interface IJournalCopy
{
    /// <summary>Appends journal entries (opaque, <see cref="LocalRepository.ReplayJournal"/> reads them); they are durable when this returns.</summary>
    /// <param name="entries">The entries, in order.</param>
    void Append(IReadOnlyList<byte[]> entries);
}
