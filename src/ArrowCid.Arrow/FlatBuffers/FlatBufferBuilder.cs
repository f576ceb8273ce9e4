using System.Runtime.InteropServices;
using System.Text;

namespace ArrowCid.Arrow.FlatBuffers;

/// <summary>
/// Builds a flatbuffer deterministically: the same sequence of calls always yields the same bytes
/// (every padding byte is written as zero, vtables are shared only with identical earlier ones in
/// a fixed search order, and nothing depends on the previous contents of a reused buffer).
/// </summary>
/// <remarks>
/// <para>
/// Like the reference implementations it builds back to front: data grows from the end of an
/// internal array toward its start, so children are written before the tables that point at them
/// and every uoffset points forward. The <c>int</c> "offsets" that the Create/End methods return
/// are distances from the end of the finished buffer; they are handles to pass back to this
/// builder (<see cref="AddOffset"/>, <see cref="CreateOffsetVector"/>, <see cref="Finish"/>).
/// </para>
/// <para>
/// Alignment: each value is padded so that its distance from the end is a multiple of its size,
/// and <see cref="Finish"/> pads the front so the total length is a multiple of the largest
/// alignment used (and of the requested minimum) - hence every value is aligned relative to the
/// buffer start too.
/// </para>
/// <para>
/// Defaults: <c>AddScalar(field, value, default)</c> omits a value whose bytes equal the default's
/// (bitwise, so -0.0 is written when the default is 0.0); <see cref="AddScalarForced"/> always
/// writes it. Children (strings, vectors, tables) must be created before
/// <see cref="StartTable"/> and after the matching <see cref="EndTable"/>.
/// </para>
/// </remarks>
public sealed class FlatBufferBuilder
{
    // Flatbuffer offsets are 32-bit; stay below the largest array .NET allows.
    private const int MaxBufferSize = 0x7FFFFFC7;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly List<int> _vtables = [];
    private byte[] _buffer;
    private int _head;
    private int _maxAlignment = 1;
    private int[] _fieldPositions = [];
    private int _fieldCount = -1;
    private int _tableStart;
    private byte[] _vtableScratch = [];
    private bool _finished;

    /// <summary>Creates a builder with an initial capacity (it grows by doubling).</summary>
    public FlatBufferBuilder(int initialCapacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initialCapacity);
        _buffer = new byte[initialCapacity];
        _head = initialCapacity;
    }

    /// <summary>The size of the internal buffer (grown by doubling as needed; kept by <see cref="Clear"/>).</summary>
    public int Capacity => _buffer.Length;

    /// <summary>Bytes written so far; also the offset handle of the most recently written value.</summary>
    public int Offset => _buffer.Length - _head;

    /// <summary>Forgets everything written, keeping the internal buffer for reuse.</summary>
    public void Clear()
    {
        _head = _buffer.Length;
        _maxAlignment = 1;
        _fieldCount = -1;
        _vtables.Clear();
        _finished = false;
    }

    /// <summary>Writes a string (UTF-8, length-prefixed, NUL-terminated); invalid UTF-16 throws.</summary>
    public int CreateString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int length = StrictUtf8.GetByteCount(value);
        Span<byte> bytes = ReserveString(length);
        StrictUtf8.GetBytes(value, bytes);
        return FinishString(length);
    }

    /// <summary>Writes a string from bytes already in UTF-8 (not re-validated).</summary>
    public int CreateString(ReadOnlySpan<byte> utf8)
    {
        utf8.CopyTo(ReserveString(utf8.Length));
        return FinishString(utf8.Length);
    }

    /// <summary>Writes a vector of scalars (primitive numbers, bool or enums), each little-endian.</summary>
    public int CreateVector<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        int size = LittleEndianScalar.SizeOf<T>();
        Span<byte> elements = ReserveVector(values.Length, size, size);
        if (BitConverter.IsLittleEndian && typeof(T) != typeof(bool))
        {
            MemoryMarshal.AsBytes(values).CopyTo(elements);
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
            {
                LittleEndianScalar.Write(elements[(i * size)..], values[i]);
            }
        }

        return FinishVector(values.Length);
    }

    /// <summary>Writes a vector of offsets to tables or strings created earlier.</summary>
    public int CreateOffsetVector(ReadOnlySpan<int> offsets)
    {
        NotNested();
        Prepare(FlatBufferLimits.OffsetSize, offsets.Length * (long)FlatBufferLimits.OffsetSize);
        for (int i = offsets.Length - 1; i >= 0; i--)
        {
            PutUOffset(offsets[i]);
        }

        return FinishVector(offsets.Length);
    }

    /// <summary>
    /// Writes a vector of structs from their packed little-endian bytes (<paramref name="elementSize"/>
    /// bytes each, padding included), aligned to <paramref name="alignment"/> (a power of two).
    /// </summary>
    public int CreateStructVector(ReadOnlySpan<byte> packedElements, int elementSize, int alignment)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(elementSize);
        CheckAlignment(alignment);
        if (packedElements.Length % elementSize != 0)
        {
            throw new ArgumentException($"{packedElements.Length} bytes is not a whole number of {elementSize}-byte structs.", nameof(packedElements));
        }

        int count = packedElements.Length / elementSize;
        packedElements.CopyTo(ReserveVector(count, elementSize, alignment));
        return FinishVector(count);
    }

    /// <summary>Starts a table with room for field ids 0 to <paramref name="fieldCount"/> - 1.</summary>
    public void StartTable(int fieldCount)
    {
        NotNested();
        // The vtable stores its size as a uint16: 4 header bytes + 2 per field.
        ArgumentOutOfRangeException.ThrowIfNegative(fieldCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fieldCount, (ushort.MaxValue - 4) / 2);
        if (_fieldPositions.Length < fieldCount)
        {
            _fieldPositions = new int[Math.Max(fieldCount, 2 * _fieldPositions.Length)];
        }

        Array.Clear(_fieldPositions, 0, fieldCount);
        _fieldCount = fieldCount;
        _tableStart = -1;
    }

    /// <summary>Adds a scalar field unless its bytes equal <paramref name="defaultValue"/>'s.</summary>
    public void AddScalar<T>(int field, T value, T defaultValue) where T : unmanaged
    {
        if (!LittleEndianScalar.BitwiseEqual(value, defaultValue))
        {
            AddScalarForced(field, value);
        }
    }

    /// <summary>Adds a scalar field even when it equals the schema default.</summary>
    public void AddScalarForced<T>(int field, T value) where T : unmanaged
    {
        int size = LittleEndianScalar.SizeOf<T>();
        CheckField(field);
        Prepare(size, 0);
        MarkTableStart();
        LittleEndianScalar.Write(Reserve(size), value);
        _fieldPositions[field] = Offset;
    }

    /// <summary>Adds a bool field unless it equals the default.</summary>
    public void AddBool(int field, bool value, bool defaultValue) => AddScalar(field, value, defaultValue);

    /// <summary>Adds a field that points at a table, string or vector created earlier.</summary>
    public void AddOffset(int field, int offset)
    {
        CheckField(field);
        Prepare(FlatBufferLimits.OffsetSize, 0);
        MarkTableStart();
        PutUOffset(offset);
        _fieldPositions[field] = Offset;
    }

    /// <summary>Adds a struct inline from its packed bytes, aligned to <paramref name="alignment"/> (a power of two).</summary>
    public void AddStruct(int field, ReadOnlySpan<byte> bytes, int alignment)
    {
        CheckField(field);
        CheckAlignment(alignment);
        if (bytes.IsEmpty)
        {
            throw new ArgumentException("A struct has at least one byte.", nameof(bytes));
        }

        Prepare(alignment, bytes.Length);
        MarkTableStart();
        bytes.CopyTo(Reserve(bytes.Length));
        _fieldPositions[field] = Offset;
    }

    /// <summary>
    /// Ends the table: writes its soffset and a vtable (trailing absent fields trimmed), or points
    /// at an identical vtable written earlier - the first match in creation order.
    /// </summary>
    public int EndTable()
    {
        if (_fieldCount < 0)
        {
            throw new InvalidOperationException("EndTable without StartTable.");
        }

        Prepare(FlatBufferLimits.OffsetSize, 0);
        MarkTableStart();
        Reserve(FlatBufferLimits.OffsetSize).Clear();
        int table = Offset;
        int inlineSize = table - _tableStart;
        if (inlineSize > ushort.MaxValue)
        {
            throw new InvalidOperationException($"Table inline size {inlineSize} exceeds the 65535 bytes a vtable can describe.");
        }

        int used = _fieldCount;
        while (used > 0 && _fieldPositions[used - 1] == 0)
        {
            used--;
        }

        ReadOnlySpan<byte> vtable = WriteVTable(used, table, inlineSize);
        int vtableOffset = FindVTable(vtable);
        if (vtableOffset == 0)
        {
            vtable.CopyTo(Reserve(vtable.Length));
            vtableOffset = Offset;
            _vtables.Add(vtableOffset);
        }

        // vtable position = table position - soffset, and position = length - offset.
        LittleEndianScalar.Write(_buffer.AsSpan(_buffer.Length - table), vtableOffset - table);
        _fieldCount = -1;
        return table;
    }

    /// <summary>
    /// Writes the root uoffset and returns the finished buffer (valid until the builder is used
    /// again). Its length is a multiple of <paramref name="minAlignment"/> (a power of two) and of
    /// every alignment used, so 8 gives the padded metadata Arrow IPC requires.
    /// </summary>
    public ReadOnlySpan<byte> Finish(int root, int minAlignment = 8)
    {
        NotNested();
        CheckAlignment(minAlignment);
        Prepare(Math.Max(_maxAlignment, minAlignment), FlatBufferLimits.OffsetSize);
        PutUOffset(root);
        _finished = true;
        return _buffer.AsSpan(_head);
    }

    /// <summary>Like <see cref="Finish"/> but returns a copy.</summary>
    public byte[] FinishToArray(int root, int minAlignment = 8) => Finish(root, minAlignment).ToArray();

    private Span<byte> ReserveString(int length)
    {
        NotNested();
        Prepare(FlatBufferLimits.OffsetSize, length + 1L);
        Reserve(1)[0] = 0;
        return Reserve(length);
    }

    private int FinishString(int length)
    {
        LittleEndianScalar.Write(Reserve(FlatBufferLimits.OffsetSize), (uint)length);
        return Offset;
    }

    /// <summary>Pads so the length prefix is 4-aligned and the elements are <paramref name="alignment"/>-aligned, then reserves them.</summary>
    private Span<byte> ReserveVector(int count, int elementSize, int alignment)
    {
        NotNested();
        long bytes = count * (long)elementSize;
        Prepare(FlatBufferLimits.OffsetSize, bytes);
        Prepare(alignment, bytes);
        return Reserve(checked((int)bytes));
    }

    private int FinishVector(int count)
    {
        // The elements end aligned to at least 4, so the length prefix needs no padding.
        LittleEndianScalar.Write(Reserve(FlatBufferLimits.OffsetSize), (uint)count);
        return Offset;
    }

    private ReadOnlySpan<byte> WriteVTable(int used, int table, int inlineSize)
    {
        int size = 4 + (2 * used);
        if (_vtableScratch.Length < size)
        {
            _vtableScratch = new byte[Math.Max(size, 64)];
        }

        Span<byte> vtable = _vtableScratch.AsSpan(0, size);
        LittleEndianScalar.Write(vtable, (ushort)size);
        LittleEndianScalar.Write(vtable[2..], (ushort)inlineSize);
        for (int i = 0; i < used; i++)
        {
            int position = _fieldPositions[i];
            LittleEndianScalar.Write(vtable[(4 + (2 * i))..], (ushort)(position == 0 ? 0 : table - position));
        }

        return vtable;
    }

    /// <summary>Offset of an earlier identical vtable, or 0 when there is none.</summary>
    private int FindVTable(ReadOnlySpan<byte> vtable)
    {
        foreach (int offset in _vtables)
        {
            int start = _buffer.Length - offset;
            if (offset >= vtable.Length && _buffer.AsSpan(start, vtable.Length).SequenceEqual(vtable))
            {
                return offset;
            }
        }

        return 0;
    }

    private void PutUOffset(int offset)
    {
        Prepare(FlatBufferLimits.OffsetSize, 0);
        if (offset <= 0 || offset > Offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, "Not an offset returned by this builder since the last Clear.");
        }

        // The uoffset lands at distance Offset + 4 from the end and its target at distance offset.
        int relative = Offset + FlatBufferLimits.OffsetSize - offset;
        LittleEndianScalar.Write(Reserve(FlatBufferLimits.OffsetSize), (uint)relative);
    }

    /// <summary>
    /// Writes zero padding so that, once <paramref name="additionalBytes"/> more are written, the
    /// distance from the end is a multiple of <paramref name="alignment"/>.
    /// </summary>
    private void Prepare(int alignment, long additionalBytes)
    {
        _maxAlignment = Math.Max(_maxAlignment, alignment);
        int padding = (int)(-(Offset + additionalBytes) & (alignment - 1));
        Reserve(padding).Clear();
    }

    /// <summary>Moves the head back by <paramref name="size"/> bytes, growing the buffer if needed.</summary>
    private Span<byte> Reserve(int size)
    {
        if (_finished)
        {
            throw new InvalidOperationException("The buffer is finished; call Clear to build another.");
        }

        if (_head < size)
        {
            Grow(size);
        }

        _head -= size;
        return _buffer.AsSpan(_head, size);
    }

    private void Grow(int needed)
    {
        int used = Offset;
        long target = Math.Max(2L * _buffer.Length, (long)used + needed);
        if ((long)used + needed > MaxBufferSize)
        {
            throw new InvalidOperationException($"A flatbuffer cannot exceed {MaxBufferSize} bytes.");
        }

        byte[] grown = new byte[Math.Min(target, MaxBufferSize)];
        _buffer.AsSpan(_head).CopyTo(grown.AsSpan(grown.Length - used));
        _head = grown.Length - used;
        _buffer = grown;
    }

    /// <summary>
    /// Records where the table's inline part begins: after the alignment padding of its first
    /// field, so that padding (which depends on what came before) stays out of the inline size
    /// and equal tables get equal vtables wherever they land.
    /// </summary>
    private void MarkTableStart()
    {
        if (_tableStart < 0)
        {
            _tableStart = Offset;
        }
    }

    private void CheckField(int field)
    {
        if (_fieldCount < 0)
        {
            throw new InvalidOperationException("Fields can only be added between StartTable and EndTable.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(field);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(field, _fieldCount);
        if (_fieldPositions[field] != 0)
        {
            throw new InvalidOperationException($"Field {field} was already added to this table.");
        }
    }

    private void NotNested()
    {
        if (_fieldCount >= 0)
        {
            throw new InvalidOperationException("Strings, vectors and tables must be created outside StartTable/EndTable.");
        }
    }

    private static void CheckAlignment(int alignment)
    {
        if (alignment < 1 || alignment > 256 || (alignment & (alignment - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "Alignment must be a power of two from 1 to 256.");
        }
    }
}
