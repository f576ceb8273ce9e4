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
    private readonly HashSet<Cid> _held = [];

    /// <summary>Whether the guard holds a pin on <paramref name="cid"/> that it will release.</summary>
    public bool Holds(Cid cid) => _held.Contains(cid);

    /// <summary>Called by the repository once it has registered <paramref name="cid"/> pinned for this guard.</summary>
    /// <param name="cid">The block.</param>
    /// <param name="wasPinned">Whether it was pinned before; then the pin is not the guard's to release.</param>
    internal void Held(Cid cid, bool wasPinned)
    {
        if (!wasPinned)
        {
            _held.Add(cid);
        }
    }

    /// <summary>Leaves the pin on <paramref name="cid"/> in place when the guard is released: the put's own outcome is that it stays pinned.</summary>
    /// <param name="cid">The block.</param>
    public void Keep(Cid cid) => _held.Remove(cid);

    /// <summary>Unpins every block the guard pinned and does not keep; releasing twice does nothing more.</summary>
    public void Release()
    {
        repository.UnpinAll(_held);
        _held.Clear();
    }
}
