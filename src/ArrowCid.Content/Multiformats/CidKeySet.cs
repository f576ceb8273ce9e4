using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.IO;
using Microsoft.Win32.SafeHandles;

namespace ArrowCid.Content.Multiformats;

/// <summary>
/// A set of CIDs in about 4 bytes each, for sets as large as a repository (what garbage collection
/// keeps): each CID is held as the leading 48 bits of its <see cref="CidKey"/>, the first 16 choosing
/// one of 65,536 groups and the next 32 stored in that group, sorted. Held in native memory (outside
/// the collected heap, freed on dispose) up to a bound; given a folder to spill to, a larger set
/// goes to a temporary file there, sorted by group, and a lookup reads its one group with a pread,
/// so the process holds a few MiB at any size.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Contains"/> never misses a CID that was added. It may answer true for one that was
/// not, when their keys share 48 bits: with n CIDs in the set, a given other CID does so with a
/// chance of n / 2^48 (one in 28 million at ten million). So the set fits a question whose wrong
/// "yes" costs little (a block kept that could have gone) and whose wrong "no" would cost data;
/// it has no removal, which could drop a CID sharing the key of the one removed.
/// </para>
/// <para>
/// Spilling works as an external sort: whenever <see cref="SpillThreshold"/> keys are held, they
/// are sorted and written out as a run (each group's parts in group order, the groups' counts kept
/// in memory); the first read after adds merges the runs and what memory holds into one run, a
/// group at a time. A run's file is deleted as soon as it is opened, so nothing outlives the set,
/// even a crash. A disk too full to take a run leaves the set in memory, as it would be unspilled.
/// </para>
/// </remarks>
public sealed unsafe class CidKeySet : IDisposable
{
    /// <summary>Keys held in memory before a set with a spill folder writes them out: 1,048,576 (about 5 MiB).</summary>
    public const int DefaultSpillThreshold = 1 << 20;

    private const int GroupBits = 16;
    private const int GroupCount = 1 << GroupBits;

    // Runs kept apart before they are merged into one, which bounds their counts' memory (256 KiB each).
    private const int MaxRuns = 16;

    // Each group's 32-bit parts (native memory): unsorted as added, sorted and without repeats once read.
    private readonly uint*[] _groups = new uint*[GroupCount];
    private readonly int[] _counts = new int[GroupCount];
    private readonly int[] _capacities = new int[GroupCount];
    private readonly List<Run> _runs = [];
    private string? _spillFolder;
    private long _held;
    private bool _sorted = true;
    private bool _disposed;
    private long _count;

    /// <summary>A set held in memory, whatever its size.</summary>
    public CidKeySet()
    {
    }

    /// <summary>A set that spills to <paramref name="spillFolder"/> beyond <paramref name="spillThreshold"/> keys.</summary>
    /// <param name="spillFolder">An existing folder for the set's temporary files (each deleted as it is opened).</param>
    /// <param name="spillThreshold">Keys held in memory before they are written out.</param>
    public CidKeySet(string spillFolder, int spillThreshold = DefaultSpillThreshold)
    {
        ArgumentException.ThrowIfNullOrEmpty(spillFolder);
        ArgumentOutOfRangeException.ThrowIfLessThan(spillThreshold, 1);
        _spillFolder = spillFolder;
        SpillThreshold = spillThreshold;
    }

    /// <summary>Frees the set's memory if it was not disposed.</summary>
    ~CidKeySet() => Free(disposing: false);

    /// <summary>Keys held in memory before they are written out (when the set has a spill folder).</summary>
    public int SpillThreshold { get; } = int.MaxValue;

    /// <summary>Whether the set's keys are in a temporary file now rather than in memory.</summary>
    public bool Spilled => _runs.Count > 0;

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
        AddParts(group, new ReadOnlySpan<uint>(in part));
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
        if (ReferenceEquals(other, this))
        {
            // Already holds every key of its own; reading groups while adding to them would read moved memory.
            return;
        }

        other.SortIfAdded();
        if (other._runs.Count == 0)
        {
            for (int group = 0; group < GroupCount; group++)
            {
                if (other._counts[group] > 0)
                {
                    AddParts(group, other.Group(group));
                }
            }

            return;
        }

        other._runs[0].ForEachGroup(AddParts);
    }

    /// <summary>Whether the set holds a CID's key: always true for a CID added, rarely for another (see the remarks).</summary>
    /// <param name="cid">The CID.</param>
    /// <returns>True when the key is held.</returns>
    public bool Contains(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        return ContainsKey(CidKey.Of(cid));
    }

    /// <summary>Whether the set holds a CID with this key (<see cref="CidKey.Of"/>), as <see cref="Contains"/> answers for it.</summary>
    /// <param name="key">The CID's key.</param>
    /// <returns>True when added (or, rarely, when another added CID shares its 48 leading bits).</returns>
    public bool ContainsKey(UInt128 key)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        SortIfAdded();
        var (group, part) = Split(key);
        if (_runs.Count == 0)
        {
            return _counts[group] > 0 && Group(group).BinarySearch(part) >= 0;
        }

        return _runs[0].Contains(group, part);
    }

    /// <summary>Frees the set's memory and closes its temporary file.</summary>
    public void Dispose()
    {
        Free(disposing: true);
        GC.SuppressFinalize(this);
    }

    private Span<uint> Group(int group) => new(_groups[group], _counts[group]);

    private void AddParts(int group, ReadOnlySpan<uint> parts)
    {
        AddPartsInMemory(group, parts);
        if (_held >= SpillThreshold && _spillFolder is not null)
        {
            Spill();
        }
    }

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

    // What memory holds goes out as a run (its groups keep their capacity for the next keys); many runs become one.
    private void Spill()
    {
        SortMemory();
        if (!TryWriteRun(runs: []))
        {
            return;
        }

        if (_runs.Count >= MaxRuns)
        {
            MergeRuns();
        }
    }

    // The runs and memory merged into one run; on a disk too full for it, everything comes back into memory.
    private void MergeRuns()
    {
        var runs = _runs.ToArray();
        if (TryWriteRun(runs))
        {
            foreach (var run in runs)
            {
                _runs.Remove(run);
                run.Dispose();
            }

            return;
        }

        _runs.Clear();
        foreach (var run in runs)
        {
            run.ForEachGroup(AddPartsInMemory);
            run.Dispose();
        }

        SortMemory();
    }

    // Writes the sorted, distinct union of some runs and what memory holds (sorted) as a new run, and
    // empties memory; false (and spilling stopped) when the disk refuses it.
    private bool TryWriteRun(Run[] runs)
    {
        Run? run = null;
        uint[] scratch = ArrayPool<uint>.Shared.Rent(1024);
        try
        {
            run = Run.Create(_spillFolder!);
            var cursors = runs.Select(r => r.StartReading()).ToArray();
            for (int group = 0; group < GroupCount; group++)
            {
                int total = _counts[group];
                foreach (var cursor in cursors)
                {
                    total += cursor.CountOf(group);
                }

                if (scratch.Length < total)
                {
                    ArrayPool<uint>.Shared.Return(scratch);
                    scratch = ArrayPool<uint>.Shared.Rent(total);
                }

                int filled = 0;
                foreach (var cursor in cursors)
                {
                    filled += cursor.ReadGroup(group, scratch.AsSpan(filled));
                }

                Group(group).CopyTo(scratch.AsSpan(filled));
                filled += _counts[group];

                var parts = scratch.AsSpan(0, filled);
                if (runs.Length > 0)
                {
                    parts = parts[..SortDistinct(parts)];
                }

                run.Append(group, parts);
            }

            run.Finish();
            _runs.Add(run);
            Array.Clear(_counts);
            _held = 0;

            return true;
        }
        catch (IOException)
        {
            // No room (or no folder) for the run: the keys stay where they were, and memory keeps every later one.
            run?.Dispose();
            _spillFolder = null;
            return false;
        }
        finally
        {
            ArrayPool<uint>.Shared.Return(scratch);
        }
    }

    private void AddPartsInMemory(int group, ReadOnlySpan<uint> parts)
    {
        int count = _counts[group];
        Reserve(group, count + parts.Length);
        parts.CopyTo(new Span<uint>(_groups[group] + count, parts.Length));
        _counts[group] = count + parts.Length;
        _held += parts.Length;
        _sorted = false;
    }

    // The native groups always; the runs' files only on dispose (a finalizer leaves them to their own handles').
    private void Free(bool disposing)
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

        if (!disposing)
        {
            return;
        }

        foreach (var run in _runs)
        {
            run.Dispose();
        }

        _runs.Clear();
    }

    private static (int Group, uint Part) Split(UInt128 key)
    {
        ulong high = (ulong)(key >> 64);
        return ((int)(high >> (64 - GroupBits)), (uint)(high >> (64 - GroupBits - 32)));
    }

    // Sorts a group's parts and drops repeats; returns how many remain.
    private static int SortDistinct(Span<uint> values)
    {
        if (values.Length < 2)
        {
            return values.Length;
        }

        values.Sort();
        int distinct = 1;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] != values[distinct - 1])
            {
                values[distinct++] = values[i];
            }
        }

        return distinct;
    }

    private void SortMemory()
    {
        long total = 0;
        for (int group = 0; group < GroupCount; group++)
        {
            _counts[group] = SortDistinct(Group(group));
            total += _counts[group];
        }

        _held = total;
        _count = total;
    }

    // Adds leave groups unsorted (cheap to build); the first read after them sorts each and drops
    // repeats, and a spilled set merges its runs and memory into one run.
    private void SortIfAdded()
    {
        if (_sorted)
        {
            return;
        }

        SortMemory();
        if (_runs.Count > 0 && (_runs.Count > 1 || _held > 0))
        {
            MergeRuns();
        }

        _count = _runs.Count > 0 ? _runs[0].Total : _count;
        _sorted = true;
    }

    /// <summary>
    /// A sorted run in a temporary file: each group's distinct parts (4 bytes each, little-endian) in
    /// group order; the groups' counts stay in memory, so a lookup reads its one group.
    /// </summary>
    private sealed class Run : IDisposable
    {
        private const int WriteBufferBytes = 1 << 16;

        private readonly SafeFileHandle _file;
        private readonly int[] _counts = new int[GroupCount];
        private long[]? _starts;
        private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(WriteBufferBytes);
        private int _buffered;
        private long _written;

        private Run(SafeFileHandle file) => _file = file;

        /// <summary>Distinct parts in the run.</summary>
        public long Total { get; private set; }

        public static Run Create(string folder) => new(ScratchFile.Create(folder, "cid-keys"));

        public void Append(int group, ReadOnlySpan<uint> parts)
        {
            _counts[group] = parts.Length;
            Total += parts.Length;
            foreach (uint part in parts)
            {
                if (_buffered == WriteBufferBytes)
                {
                    Flush();
                }

                BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_buffered), part);
                _buffered += sizeof(uint);
            }
        }

        public void Finish()
        {
            Flush();
            ArrayPool<byte>.Shared.Return(_buffer!);
            _buffer = null;
            _starts = new long[GroupCount + 1];
            for (int group = 0; group < GroupCount; group++)
            {
                _starts[group + 1] = _starts[group] + _counts[group];
            }
        }

        public RunCursor StartReading() => new(this);

        public bool Contains(int group, uint part)
        {
            long start = _starts![group];
            int count = _counts[group];
            if (count == 0)
            {
                return false;
            }

            byte[]? rented = null;
            Span<byte> bytes = count <= 512 ? stackalloc byte[count * sizeof(uint)] : (rented = ArrayPool<byte>.Shared.Rent(count * sizeof(uint))).AsSpan(0, count * sizeof(uint));
            try
            {
                ReadExactly(bytes, start * sizeof(uint));
                var parts = MemoryMarshal.Cast<byte, uint>(bytes);
                if (!BitConverter.IsLittleEndian)
                {
                    BinaryPrimitives.ReverseEndianness(parts, parts);
                }

                return parts.BinarySearch(part) >= 0;
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }
        }

        // Every group's parts in group order, each group read with one pread.
        public void ForEachGroup(Action<int, ReadOnlySpan<uint>> visit)
        {
            var cursor = StartReading();
            uint[] scratch = ArrayPool<uint>.Shared.Rent(1024);
            try
            {
                for (int group = 0; group < GroupCount; group++)
                {
                    int count = cursor.CountOf(group);
                    if (count == 0)
                    {
                        continue;
                    }

                    if (scratch.Length < count)
                    {
                        ArrayPool<uint>.Shared.Return(scratch);
                        scratch = ArrayPool<uint>.Shared.Rent(count);
                    }

                    cursor.ReadGroup(group, scratch);
                    visit(group, scratch.AsSpan(0, count));
                }
            }
            finally
            {
                ArrayPool<uint>.Shared.Return(scratch);
            }
        }

        public void Dispose()
        {
            _file.Dispose();
            if (_buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = null;
            }
        }

        internal int CountOf(int group) => _counts[group];

        internal void ReadExactly(Span<byte> destination, long offset)
        {
            if (PositionalRead.Fill(_file, destination, offset) < destination.Length)
            {
                throw new IOException("a spilled CID key run ended early");
            }
        }

        private void Flush()
        {
            if (_buffered == 0)
            {
                return;
            }

            RandomAccess.Write(_file, _buffer.AsSpan(0, _buffered), _written);
            _written += _buffered;
            _buffered = 0;
        }
    }

    // Reads a run's groups in order (sequential preads).
    private sealed class RunCursor(Run run)
    {
        private long _position;

        public int CountOf(int group) => run.CountOf(group);

        public int ReadGroup(int group, Span<uint> destination)
        {
            int count = run.CountOf(group);
            if (count > 0)
            {
                var parts = destination[..count];
                run.ReadExactly(MemoryMarshal.AsBytes(parts), _position);
                if (!BitConverter.IsLittleEndian)
                {
                    BinaryPrimitives.ReverseEndianness(parts, parts);
                }

                _position += (long)count * sizeof(uint);
            }

            return count;
        }
    }
}
