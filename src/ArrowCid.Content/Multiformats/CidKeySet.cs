using System.Runtime.InteropServices;

namespace ArrowCid.Content.Multiformats;

/// <summary>
/// A set of CIDs in about 4 bytes each, for sets as large as a repository (what garbage collection
/// keeps): each CID is held as the leading 48 bits of its <see cref="CidKey"/>, the first 16 choosing
/// one of 65,536 groups and the next 32 stored in that group, sorted. The groups live outside the
/// collected heap (native memory, freed on dispose): forty-odd MiB at ten million CIDs there would
/// otherwise raise the collector's budgets, and a walk allocating as it goes would grow the
/// process by several times the set.
/// </summary>
/// <remarks>
/// <see cref="Contains"/> never misses a CID that was added. It may answer true for one that was
/// not, when their keys share 48 bits: with n CIDs in the set, a given other CID does so with a
/// chance of n / 2^48 (one in 28 million at ten million). So the set fits a question whose wrong
/// "yes" costs little (a block kept that could have gone) and whose wrong "no" would cost data;
/// it has no removal, which could drop a CID sharing the key of the one removed.
/// </remarks>
public sealed unsafe class CidKeySet : IDisposable
{
    private const int GroupBits = 16;
    private const int GroupCount = 1 << GroupBits;

    // Each group's 32-bit parts (native memory): unsorted as added, sorted and without repeats once read.
    private readonly uint*[] _groups = new uint*[GroupCount];
    private readonly int[] _counts = new int[GroupCount];
    private readonly int[] _capacities = new int[GroupCount];
    private bool _sorted = true;
    private bool _disposed;
    private long _count;

    /// <summary>Frees the set's memory if it was not disposed.</summary>
    ~CidKeySet() => Free();

    /// <summary>How many distinct keys the set holds (CIDs whose keys share 48 bits count once).</summary>
    public long Count
    {
        get
        {
            SortIfAdded();
            return _count;
        }
    }

    /// <summary>Adds a CID.</summary>
    /// <param name="cid">The CID.</param>
    public void Add(Cid cid)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (group, part) = Split(CidKey.Of(cid));
        int count = _counts[group];
        Reserve(group, count + 1);
        _groups[group][count] = part;
        _counts[group] = count + 1;
        _sorted = false;
    }

    /// <summary>Adds every CID of a sequence.</summary>
    /// <param name="cids">The CIDs.</param>
    public void UnionWith(IEnumerable<Cid> cids)
    {
        ArgumentNullException.ThrowIfNull(cids);
        foreach (var cid in cids)
        {
            Add(cid);
        }
    }

    /// <summary>Adds every key of another set.</summary>
    /// <param name="other">The other set.</param>
    public void UnionWith(CidKeySet other)
    {
        ArgumentNullException.ThrowIfNull(other);
        ObjectDisposedException.ThrowIf(_disposed, this);
        for (int group = 0; group < GroupCount; group++)
        {
            int count = other._counts[group];
            if (count == 0)
            {
                continue;
            }

            int own = _counts[group];
            Reserve(group, own + count);
            new ReadOnlySpan<uint>(other._groups[group], count).CopyTo(new Span<uint>(_groups[group] + own, count));
            _counts[group] = own + count;
            _sorted = false;
        }
    }

    /// <summary>Whether the set holds a CID's key: always true for a CID added, rarely for another (see the remarks).</summary>
    /// <param name="cid">The CID.</param>
    /// <returns>True when the key is held.</returns>
    public bool Contains(Cid cid)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        SortIfAdded();
        var (group, part) = Split(CidKey.Of(cid));
        return _counts[group] > 0 && Group(group).BinarySearch(part) >= 0;
    }

    /// <summary>Frees the set's memory.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private Span<uint> Group(int group) => new(_groups[group], _counts[group]);

    // Room for at least `needed` parts in a group: grown by a quarter, not doubled, since the set is most of the memory of whatever holds it.
    private void Reserve(int group, int needed)
    {
        if (needed <= _capacities[group])
        {
            return;
        }

        int capacity = Math.Max(Math.Max(4, needed), _capacities[group] + (_capacities[group] / 4));
        _groups[group] = (uint*)NativeMemory.Realloc(_groups[group], (nuint)capacity * sizeof(uint));
        _capacities[group] = capacity;
    }

    private void Free()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        for (int group = 0; group < GroupCount; group++)
        {
            NativeMemory.Free(_groups[group]);
            _groups[group] = null;
        }
    }

    private static (int Group, uint Part) Split(UInt128 key)
    {
        ulong high = (ulong)(key >> 64);
        return ((int)(high >> (64 - GroupBits)), (uint)(high >> (64 - GroupBits - 32)));
    }

    // Adds leave groups unsorted (cheap to build); the first read after them sorts each and drops repeats.
    private void SortIfAdded()
    {
        if (_sorted)
        {
            return;
        }

        long total = 0;
        for (int group = 0; group < GroupCount; group++)
        {
            int count = _counts[group];
            if (count > 1)
            {
                var values = Group(group);
                values.Sort();
                int distinct = 1;
                for (int i = 1; i < count; i++)
                {
                    if (values[i] != values[distinct - 1])
                    {
                        values[distinct++] = values[i];
                    }
                }

                _counts[group] = count = distinct;
            }

            total += count;
        }

        _count = total;
        _sorted = true;
    }
}
