using System.Buffers.Binary;

namespace ArrowCid.Arrow.FlatBuffers;

/// <summary>
/// A verified view of one flatbuffer table. Construction checks the table's soffset, its vtable
/// (size at least 4, even, inside the buffer) and its inline size; every getter then checks the
/// field it reads against the table's inline size before touching a byte, and every child
/// (table, string, vector) is checked when it is followed. Malformed input throws
/// <see cref="ArrowFormatException"/> naming the field and position.
/// </summary>
/// <remarks>
/// Layout (flatbuffers binary format): a table starts with an int32 soffset; the vtable lives at
/// <c>table - soffset</c> and holds uint16 vtable size, uint16 table inline size, then one uint16
/// per field (field id order) giving the field's position relative to the table start, 0 when
/// the field is absent. Field ids past the end of a short vtable are absent too.
/// </remarks>
public readonly ref struct FlatTable
{
    private const int VTableHeaderSize = 4;
    private readonly ReadOnlySpan<byte> _buffer;
    private readonly int _vtable;
    private readonly int _vtableSize;
    private readonly int _inlineSize;

    private FlatTable(ReadOnlySpan<byte> buffer, int position, int vtable, int vtableSize, int inlineSize, int depth)
    {
        _buffer = buffer;
        Position = position;
        _vtable = vtable;
        _vtableSize = vtableSize;
        _inlineSize = inlineSize;
        Depth = depth;
    }

    /// <summary>Absolute position of the table (its soffset) in the buffer.</summary>
    public int Position { get; }

    /// <summary>Nesting depth: 0 for the root, one more for each table followed.</summary>
    public int Depth { get; }

    /// <summary>Number of field slots in this table's vtable; higher field ids read as absent.</summary>
    public int FieldCount => (_vtableSize - VTableHeaderSize) / 2;

    /// <summary>Size in bytes of the table's inline part (soffset plus inline fields).</summary>
    public int InlineSize => _inlineSize;

    /// <summary>The whole buffer this table lives in.</summary>
    public ReadOnlySpan<byte> Buffer => _buffer;

    /// <summary>
    /// Opens the root table: the buffer starts with a uoffset to it (an optional 4-byte file
    /// identifier may follow the uoffset; it is not interpreted here).
    /// </summary>
    public static FlatTable GetRoot(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length < FlatBufferLimits.OffsetSize)
        {
            throw new ArrowFormatException($"flatbuffer: buffer of {buffer.Length} bytes is too short for a root uoffset.");
        }

        int root = FlatBufferSpans.FollowUOffset(buffer, 0, FlatLocation.Named("root"));
        return Open(buffer, root, 0, FlatLocation.Named("root table"));
    }

    /// <summary>True when field <paramref name="fieldIndex"/> is present in this table.</summary>
    public bool HasField(int fieldIndex) => RelativeOffset(fieldIndex) != 0;

    /// <summary>Reads a bool field (any non-zero byte is true), or <paramref name="defaultValue"/> when absent.</summary>
    public bool GetBool(int field, bool defaultValue) => GetScalar(field, defaultValue);

    /// <summary>Reads a ubyte field (also a union's type field), or <paramref name="defaultValue"/> when absent.</summary>
    public byte GetByte(int field, byte defaultValue) => GetScalar(field, defaultValue);

    /// <summary>Reads a byte (int8) field, or <paramref name="defaultValue"/> when absent.</summary>
    public sbyte GetSByte(int field, sbyte defaultValue) => GetScalar(field, defaultValue);

    /// <summary>Reads a ushort field, or <paramref name="defaultValue"/> when absent.</summary>
    public ushort GetUInt16(int field, ushort defaultValue) => GetScalar(field, defaultValue);

    /// <summary>Reads a uint field, or <paramref name="defaultValue"/> when absent.</summary>
    public uint GetUInt32(int field, uint defaultValue) => GetScalar(field, defaultValue);

    /// <summary>Reads a ulong field, or <paramref name="defaultValue"/> when absent.</summary>
    public ulong GetUInt64(int field, ulong defaultValue) => GetScalar(field, defaultValue);

    /// <summary>Reads a float field, or <paramref name="defaultValue"/> when absent.</summary>
    public float GetSingle(int field, float defaultValue) => GetScalar(field, defaultValue);

    /// <summary>Reads a double field, or <paramref name="defaultValue"/> when absent.</summary>
    public double GetDouble(int field, double defaultValue) => GetScalar(field, defaultValue);

    /// <summary>Reads a short field, or <paramref name="defaultValue"/> when absent.</summary>
    public short GetInt16(int field, short defaultValue) => GetScalar(field, defaultValue);

    /// <summary>Reads an int field, or <paramref name="defaultValue"/> when absent.</summary>
    public int GetInt32(int field, int defaultValue) => GetScalar(field, defaultValue);

    /// <summary>Reads a long field, or <paramref name="defaultValue"/> when absent.</summary>
    public long GetInt64(int field, long defaultValue) => GetScalar(field, defaultValue);

    /// <summary>
    /// Reads a scalar field (a primitive number, bool or enum) stored little-endian, or
    /// <paramref name="defaultValue"/> when the field is absent. The field must lie inside the
    /// table's inline size.
    /// </summary>
    public T GetScalar<T>(int field, T defaultValue) where T : unmanaged
    {
        int size = LittleEndianScalar.SizeOf<T>();
        int at = FieldPosition(field, size);
        return at < 0 ? defaultValue : LittleEndianScalar.Read<T>(_buffer.Slice(at, size));
    }

    /// <summary>The type tag of a union whose type field is <paramref name="typeField"/>; 0 (NONE) when absent.</summary>
    public byte GetUnionType(int typeField) => GetScalar<byte>(typeField, 0);

    /// <summary>
    /// Reads a union declared at id <paramref name="typeField"/> - 1 in the schema, which flatc
    /// stores as a ubyte type field followed by the value field (<paramref name="typeField"/> + 1).
    /// Returns false for NONE; a type without a value is an error.
    /// </summary>
    public bool TryGetUnion(int typeField, out byte unionType, out FlatTable value)
    {
        unionType = GetUnionType(typeField);
        if (unionType == 0)
        {
            value = default;
            return false;
        }

        if (!TryGetTable(typeField + 1, out value))
        {
            throw new ArrowFormatException(
                $"flatbuffer: field {typeField} of table at {Position}: union type {unionType} is set but value field {typeField + 1} is absent.");
        }

        return true;
    }

    /// <summary>Follows a table field; false when absent. The child is at depth <see cref="Depth"/> + 1.</summary>
    public bool TryGetTable(int field, out FlatTable table)
    {
        int at = FieldPosition(field, FlatBufferLimits.OffsetSize);
        if (at < 0)
        {
            table = default;
            return false;
        }

        var what = FlatLocation.Field(field, Position);
        table = Open(_buffer, FlatBufferSpans.FollowUOffset(_buffer, at, what), Depth + 1, what);
        return true;
    }

    /// <summary>Reads a string field as validated UTF-8; null when absent.</summary>
    public string? GetString(int field)
    {
        int at = FieldPosition(field, FlatBufferLimits.OffsetSize);
        if (at < 0)
        {
            return null;
        }

        var what = FlatLocation.Field(field, Position);
        int position = FlatBufferSpans.FollowUOffset(_buffer, at, what);
        return FlatBufferSpans.DecodeUtf8(FlatBufferSpans.ReadStringBytes(_buffer, position, what), position, what);
    }

    /// <summary>
    /// The raw bytes of a string field (length and NUL terminator checked, UTF-8 not checked);
    /// empty when absent - use <see cref="HasField"/> to tell absent from empty.
    /// </summary>
    public ReadOnlySpan<byte> GetStringBytes(int field)
    {
        int at = FieldPosition(field, FlatBufferLimits.OffsetSize);
        if (at < 0)
        {
            return [];
        }

        var what = FlatLocation.Field(field, Position);
        return FlatBufferSpans.ReadStringBytes(_buffer, FlatBufferSpans.FollowUOffset(_buffer, at, what), what);
    }

    /// <summary>
    /// Follows a vector field whose elements are <paramref name="elementSize"/> bytes each
    /// (4 for vectors of tables or strings); its whole byte range is checked here, once.
    /// An absent vector reads as empty.
    /// </summary>
    public FlatVector GetVector(int field, int elementSize)
    {
        _ = TryGetVector(field, elementSize, out FlatVector vector);
        return vector;
    }

    /// <summary>Like <see cref="GetVector"/> but tells whether the field was present.</summary>
    public bool TryGetVector(int field, int elementSize, out FlatVector vector)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(elementSize);
        int at = FieldPosition(field, FlatBufferLimits.OffsetSize);
        if (at < 0)
        {
            vector = default;
            return false;
        }

        var what = FlatLocation.Field(field, Position);
        int position = FlatBufferSpans.FollowUOffset(_buffer, at, what);
        int length = FlatBufferSpans.ReadVectorLength(_buffer, position, elementSize, what);
        vector = new FlatVector(_buffer, position + FlatBufferLimits.OffsetSize, length, elementSize, Depth);
        return true;
    }

    /// <summary>
    /// The bytes of a struct stored inline in the table, exactly <paramref name="size"/> bytes;
    /// empty when absent. Structs are fixed-size, so the caller decodes the bytes.
    /// </summary>
    public ReadOnlySpan<byte> GetStructBytes(int field, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        int at = FieldPosition(field, size);
        return at < 0 ? [] : _buffer.Slice(at, size);
    }

    /// <summary>Checks the table at <paramref name="position"/> and its vtable, then returns a view of it.</summary>
    internal static FlatTable Open(ReadOnlySpan<byte> buffer, int position, int depth, FlatLocation what)
    {
        if (depth > FlatBufferLimits.MaxDepth)
        {
            throw new ArrowFormatException($"flatbuffer: {what}: table at {position} is nested deeper than {FlatBufferLimits.MaxDepth} levels.") { Offset = position };
        }

        // FollowUOffset already guaranteed 4 bytes at position; GetRoot and vectors go through it.
        int soffset = BinaryPrimitives.ReadInt32LittleEndian(buffer.Slice(position, FlatBufferLimits.OffsetSize));
        long vtable = position - (long)soffset;
        if (vtable < 0 || vtable + VTableHeaderSize > buffer.Length)
        {
            throw new ArrowFormatException(
                $"flatbuffer: {what}: table at {position} has soffset {soffset} pointing to vtable at {vtable}, outside the {buffer.Length}-byte buffer.");
        }

        int vtableSize = BinaryPrimitives.ReadUInt16LittleEndian(buffer.Slice((int)vtable, 2));
        int inlineSize = BinaryPrimitives.ReadUInt16LittleEndian(buffer.Slice((int)vtable + 2, 2));
        if (vtableSize < VTableHeaderSize || (vtableSize & 1) != 0 || vtable + vtableSize > buffer.Length)
        {
            throw new ArrowFormatException(
                $"flatbuffer: {what}: vtable at {vtable} for table at {position} has invalid size {vtableSize} (needs >= 4, even, inside the buffer).");
        }

        if (inlineSize < FlatBufferLimits.OffsetSize || (long)position + inlineSize > buffer.Length)
        {
            throw new ArrowFormatException(
                $"flatbuffer: {what}: table at {position} has invalid inline size {inlineSize} (needs >= 4, inside the {buffer.Length}-byte buffer).");
        }

        return new FlatTable(buffer, position, (int)vtable, vtableSize, inlineSize, depth);
    }

    /// <summary>The field's offset from the table start as the vtable gives it; 0 when absent.</summary>
    private int RelativeOffset(int field)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(field);
        if (field >= FieldCount)
        {
            return 0;
        }

        return BinaryPrimitives.ReadUInt16LittleEndian(_buffer.Slice(_vtable + VTableHeaderSize + (2 * field), 2));
    }

    /// <summary>
    /// Absolute position of a present field of <paramref name="size"/> bytes, or -1 when absent.
    /// The field must not overlap the soffset and must end inside the table's inline size.
    /// </summary>
    private int FieldPosition(int field, int size)
    {
        int relative = RelativeOffset(field);
        if (relative == 0)
        {
            return -1;
        }

        if (relative < FlatBufferLimits.OffsetSize || relative + size > _inlineSize)
        {
            throw new ArrowFormatException(
                $"flatbuffer: {FlatLocation.Field(field, Position)}: {size}-byte field at offset {relative} does not fit inside the table's inline size {_inlineSize}.");
        }

        return Position + relative;
    }

}
