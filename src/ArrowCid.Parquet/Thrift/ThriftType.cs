namespace ArrowCid.Parquet.Thrift;

/// <summary>
/// Type codes of the thrift compact protocol. Field headers carry booleans as two codes
/// (<see cref="BooleanTrue"/>, <see cref="BooleanFalse"/>); the reader reports both as
/// <see cref="BooleanTrue"/>-or-false through <see cref="ThriftField.BoolValue"/> and the type
/// <see cref="Bool"/>.
/// </summary>
public enum ThriftType : byte
{
    /// <summary>End of a struct's fields.</summary>
    Stop = 0,
    /// <summary>Boolean true (in a field header); also the normalised boolean type.</summary>
    BooleanTrue = 1,
    /// <summary>Boolean false (in a field header); the element type of boolean lists.</summary>
    BooleanFalse = 2,
    /// <summary>Signed 8-bit integer.</summary>
    Byte = 3,
    /// <summary>Signed 16-bit integer (zigzag varint).</summary>
    I16 = 4,
    /// <summary>Signed 32-bit integer (zigzag varint).</summary>
    I32 = 5,
    /// <summary>Signed 64-bit integer (zigzag varint).</summary>
    I64 = 6,
    /// <summary>IEEE double, 8 bytes little-endian.</summary>
    Double = 7,
    /// <summary>Length-prefixed bytes (binary and string).</summary>
    Binary = 8,
    /// <summary>List.</summary>
    List = 9,
    /// <summary>Set (encoded as a list).</summary>
    Set = 10,
    /// <summary>Map.</summary>
    Map = 11,
    /// <summary>Struct or union.</summary>
    Struct = 12,
    /// <summary>UUID, 16 raw bytes.</summary>
    Uuid = 13,
    /// <summary>Alias used by readers for either boolean code.</summary>
    Bool = BooleanTrue,
}

/// <summary>A struct field header: its id, its type and, for booleans, the value it carries.</summary>
/// <param name="Id">The field id from the IDL.</param>
/// <param name="Type">The wire type; booleans are reported as <see cref="ThriftType.Bool"/>.</param>
/// <param name="BoolValue">For a boolean field, its value (booleans live in the header).</param>
public readonly record struct ThriftField(short Id, ThriftType Type, bool BoolValue);

/// <summary>A list or set header: the element type and the element count.</summary>
/// <param name="ElementType">Type of every element.</param>
/// <param name="Count">Number of elements, already checked against the bytes left.</param>
public readonly record struct ThriftListHeader(ThriftType ElementType, int Count);
