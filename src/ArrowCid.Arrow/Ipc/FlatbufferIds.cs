namespace ArrowCid.Arrow.Ipc;

// Field slots and enum values of format/Schema.fbs, Message.fbs and File.fbs. A union declared at
// position k in a table takes two slots: k (the ubyte type tag) and k+1 (the value).
// Kept in one place so the reader and the writer cannot disagree.
#pragma warning disable CS1591 // constants named after the .fbs declarations they mirror

/// <summary>Slots of the Schema.fbs <c>Field</c> table.</summary>
internal static class FieldSlots
{
    public const int Name = 0, Nullable = 1, TypeType = 2, Type = 3, Dictionary = 4, Children = 5, CustomMetadata = 6, Count = 7;
}

/// <summary>Slots of the Schema.fbs <c>Schema</c> table.</summary>
internal static class SchemaSlots
{
    public const int Endianness = 0, Fields = 1, CustomMetadata = 2, Features = 3, Count = 4;
}

/// <summary>Slots of <c>KeyValue</c>.</summary>
internal static class KeyValueSlots
{
    public const int Key = 0, Value = 1, Count = 2;
}

/// <summary>Slots of <c>DictionaryEncoding</c>.</summary>
internal static class DictionaryEncodingSlots
{
    public const int Id = 0, IndexType = 1, IsOrdered = 2, DictionaryKind = 3, Count = 4;
}

/// <summary>Slots of <c>Message</c> (Message.fbs).</summary>
internal static class MessageSlots
{
    public const int Version = 0, HeaderType = 1, Header = 2, BodyLength = 3, CustomMetadata = 4, Count = 5;
}

/// <summary>Slots of <c>RecordBatch</c>.</summary>
internal static class RecordBatchSlots
{
    public const int Length = 0, Nodes = 1, Buffers = 2, Compression = 3, VariadicBufferCounts = 4, Count = 5;
}

/// <summary>Slots of <c>DictionaryBatch</c>.</summary>
internal static class DictionaryBatchSlots
{
    public const int Id = 0, Data = 1, IsDelta = 2, Count = 3;
}

/// <summary>Slots of <c>BodyCompression</c>.</summary>
internal static class BodyCompressionSlots
{
    public const int Codec = 0, Method = 1, Count = 2;
}

/// <summary>Slots of <c>Footer</c> (File.fbs).</summary>
internal static class FooterSlots
{
    public const int Version = 0, Schema = 1, Dictionaries = 2, RecordBatches = 3, CustomMetadata = 4, Count = 5;
}

/// <summary>Tags of the Schema.fbs <c>Type</c> union.</summary>
internal enum FbType : byte
{
    None = 0, Null = 1, Int = 2, FloatingPoint = 3, Binary = 4, Utf8 = 5, Bool = 6, Decimal = 7, Date = 8, Time = 9,
    Timestamp = 10, Interval = 11, List = 12, Struct = 13, Union = 14, FixedSizeBinary = 15, FixedSizeList = 16, Map = 17,
    Duration = 18, LargeBinary = 19, LargeUtf8 = 20, LargeList = 21, RunEndEncoded = 22, BinaryView = 23, Utf8View = 24,
    ListView = 25, LargeListView = 26,
}

/// <summary>Tags of the Message.fbs <c>MessageHeader</c> union.</summary>
internal enum FbMessageHeader : byte
{
    None = 0, Schema = 1, DictionaryBatch = 2, RecordBatch = 3, Tensor = 4, SparseTensor = 5,
}

/// <summary>Schema.fbs <c>MetadataVersion</c>.</summary>
public enum MetadataVersion : short
{
    /// <summary>0.1.0.</summary>
    V1 = 0,
    /// <summary>0.2.0.</summary>
    V2 = 1,
    /// <summary>0.3.0 to 0.7.1.</summary>
    V3 = 2,
    /// <summary>0.8.0 to 0.17 (unions carry a validity buffer).</summary>
    V4 = 3,
    /// <summary>1.0.0 and later.</summary>
    V5 = 4,
}
#pragma warning restore CS1591
