namespace ArrowCid.Content.Canonical;

/// <summary>
/// Which source slots a normalised array is made of: output slot k is source slot
/// <see cref="Source"/>(k) of the input array (its logical numbering, before the input's own
/// offset), or -1 for an "undefined" slot (under a null struct or fixed-size-list parent, a
/// sparse-union child not selected, a dense-union placeholder) whose content no reader may look at.
/// </summary>
/// <remarks>
/// Two shapes: a range (start, count) with an optional bitmap of undefined slots, which lets the
/// normaliser reuse the input's buffers as slices when they are already canonical; and an
/// explicit list, for gathers (list children compacted, dense-union children, rebuilt
/// dictionaries, run values).
/// </remarks>
internal sealed class SlotSelection
{
    private readonly int[]? _sources;
    private readonly byte[]? _undefined;

    private SlotSelection(int start, int count, int[]? sources, byte[]? undefined)
    {
        Start = start;
        Count = count;
        _sources = sources;
        _undefined = undefined;
    }

    /// <summary>Number of output slots.</summary>
    public int Count { get; }

    /// <summary>First source slot of a range selection.</summary>
    public int Start { get; }

    /// <summary>Whether this is a range (possibly with undefined slots), so source slot = Start + k.</summary>
    public bool IsRange => _sources is null;

    /// <summary>A range with no undefined slot: the output is exactly source slots [Start, Start + Count).</summary>
    public bool IsPlainRange => _sources is null && _undefined is null;

    /// <summary>Bit k set when output slot k of a range is undefined (null when none is).</summary>
    public ReadOnlySpan<byte> UndefinedBits => _undefined;

    /// <summary>Source slots [start, start + count).</summary>
    public static SlotSelection Range(int start, int count) => new(start, count, null, null);

    /// <summary>Source slots [start, start + count) where the set bits of <paramref name="undefined"/> mark undefined slots.</summary>
    public static SlotSelection Range(int start, int count, byte[]? undefined) => new(start, count, null, undefined);

    /// <summary>An explicit list of source slots, -1 for undefined.</summary>
    public static SlotSelection Explicit(int[] sources) => new(0, sources.Length, sources, null);

    /// <summary>The source slot of output slot <paramref name="k"/>, or -1 when it is undefined.</summary>
    public int Source(int k)
    {
        if (_sources is not null)
        {
            return _sources[k];
        }

        return _undefined is not null && (_undefined[k >> 3] & (1 << (k & 7))) != 0 ? -1 : Start + k;
    }

    /// <summary>
    /// The source position output slot <paramref name="k"/> stands at even when it is undefined
    /// (range selections), or -1 (undefined slots of explicit selections have none).
    /// </summary>
    public int Position(int k) => _sources is not null ? _sources[k] : Start + k;

    /// <summary>
    /// The same sources with the output slots for which <paramref name="keep"/> is false made
    /// undefined (children of null struct slots, sparse-union children not selected).
    /// </summary>
    public SlotSelection Restrict(Func<int, bool> keep)
    {
        if (_sources is not null)
        {
            int[]? restricted = null;
            for (int k = 0; k < Count; k++)
            {
                if (_sources[k] >= 0 && !keep(k))
                {
                    restricted ??= (int[])_sources.Clone();
                    restricted[k] = -1;
                }
            }

            return restricted is null ? this : Explicit(restricted);
        }

        byte[]? undefined = null;
        for (int k = 0; k < Count; k++)
        {
            if (!keep(k) && Source(k) >= 0)
            {
                undefined ??= _undefined is null ? new byte[(Count + 7) >> 3] : (byte[])_undefined.Clone();
                undefined[k >> 3] |= (byte)(1 << (k & 7));
            }
        }

        return undefined is null ? this : Range(Start, Count, undefined);
    }
}

/// <summary>
/// Collects a selection range by range. It stays a <see cref="SlotSelection.Range(int, int, byte[])"/>
/// while the ranges follow one another in the source (the already-canonical case, kept zero-copy)
/// and turns into an explicit list at the first jump.
/// </summary>
internal sealed class SlotSelectionBuilder
{
    private int _start = -1;
    private int _count;
    private List<int>? _explicit;
    private List<int>? _undefinedPositions;

    /// <summary>Number of output slots so far.</summary>
    public int Count => _explicit?.Count ?? _count;

    /// <summary>Appends source slots [start, start + length); when <paramref name="defined"/> is false they are appended as undefined.</summary>
    public void Add(long start, long length, bool defined = true)
    {
        if (length == 0)
        {
            return;
        }

        int s = checked((int)start), n = checked((int)length);
        if (_explicit is null && (_start < 0 ? _count == 0 : _start + _count == s))
        {
            if (_start < 0)
            {
                _start = s;
            }

            if (!defined)
            {
                _undefinedPositions ??= [];
                for (int i = 0; i < n; i++)
                {
                    _undefinedPositions.Add(_count + i);
                }
            }

            _count = checked(_count + n);
            return;
        }

        var list = Materialise();
        for (int i = 0; i < n; i++)
        {
            list.Add(defined ? s + i : -1);
        }
    }

    /// <summary>Appends one undefined slot that has no source position of its own (a dense-union placeholder).</summary>
    public void AddUndefined() => Materialise().Add(-1);

    /// <summary>The selection collected.</summary>
    public SlotSelection Build()
    {
        if (_explicit is not null)
        {
            return SlotSelection.Explicit([.. _explicit]);
        }

        byte[]? undefined = null;
        if (_undefinedPositions is not null)
        {
            undefined = new byte[(_count + 7) >> 3];
            foreach (int k in _undefinedPositions)
            {
                undefined[k >> 3] |= (byte)(1 << (k & 7));
            }
        }

        return SlotSelection.Range(Math.Max(_start, 0), _count, undefined);
    }

    private List<int> Materialise()
    {
        if (_explicit is null)
        {
            _explicit = new List<int>(_count + 1);
            var undefined = _undefinedPositions is null ? null : new HashSet<int>(_undefinedPositions);
            for (int i = 0; i < _count; i++)
            {
                _explicit.Add(undefined is not null && undefined.Contains(i) ? -1 : _start + i);
            }

            _undefinedPositions = null;
        }

        return _explicit;
    }
}
