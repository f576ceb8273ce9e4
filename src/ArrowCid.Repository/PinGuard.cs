using ArrowCid.Content.Multiformats;

namespace ArrowCid.Repository;

/// <summary>
/// The one pin policy of every put that stores several blocks before the one that keeps them (a
/// <see cref="DatasetWriter"/>, a CAR import): each block it stores is registered pinned, so a
/// concurrent <see cref="LocalRepository.Gc"/> — in this process or another — cannot remove it
/// before the dataset, name or root that will keep it is registered. The guard remembers the
/// blocks that were not pinned before it pinned them and <see cref="Release"/> unpins exactly
/// those, so whatever keeps them afterwards (a dataset's pin, a name's version) decides, and pins
/// someone else set stay. A process killed while a guard is held leaves those blocks pinned
/// (never a dataset without its batches); <c>arrowcid unpin</c> releases them. Not thread-safe:
/// one guard per put.
/// </summary>
internal sealed class PinGuard(LocalRepository repository)
{
    // The first row this guard registered for each CID it pinned and does not keep: whether that
    // row found the block pinned already decides whether the pin is the guard's to release.
    private readonly Dictionary<Cid, RegisteredRow> _held = [];

    /// <summary>Whether the guard holds a pin on <paramref name="cid"/> that it may release.</summary>
    public bool Holds(Cid cid) => _held.ContainsKey(cid);

    /// <summary>Called by the repository once it has registered a row pinned for this guard (durable; maybe not applied yet).</summary>
    /// <param name="row">The row; once applied it tells whether the block was pinned before, and then the pin is not the guard's to release.</param>
    internal void Held(RegisteredRow row) => _held.TryAdd(row.Cid, row);

    /// <summary>Leaves the pin on <paramref name="cid"/> in place when the guard is released: the put's own outcome is that it stays pinned.</summary>
    /// <param name="cid">The block.</param>
    public void Keep(Cid cid) => _held.Remove(cid);

    /// <summary>
    /// Unpins every block the guard pinned (not pinned before) and does not keep; releasing twice
    /// does nothing more. Waits for the registry to apply the guard's rows first, only when there is
    /// something to release.
    /// </summary>
    public void Release()
    {
        if (_held.Count == 0)
        {
            return;
        }

        if (_held.Values.Any(row => !row.IsApplied))
        {
            repository.WaitApplied();
        }

        repository.UnpinAll(_held.Values.Where(row => !row.WasPinned).Select(row => row.Cid).ToList());
        _held.Clear();
    }
}
