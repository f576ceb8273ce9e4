using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Metadata;

/// <summary>Reads one element of a thrift list.</summary>
internal delegate T ThriftElementReader<out T>(ref ThriftCompactReader reader);

/// <summary>
/// Shared helpers for the metadata structs: reading typed lists, reporting missing required
/// fields, and writing optional fields so that each struct's Write is one line per field.
/// </summary>
internal static class ThriftFields
{
    public static List<T> ReadList<T>(ref ThriftCompactReader reader, ThriftType elementType, ThriftElementReader<T> read, string field)
    {
        ThriftListHeader header = reader.ReadListHeader();
        if (header.ElementType != elementType)
        {
            throw new ParquetFormatException($"thrift: {field} holds {header.ElementType} elements, expected {elementType}");
        }
        var list = new List<T>(header.Count);
        for (int i = 0; i < header.Count; i++)
        {
            list.Add(read(ref reader));
        }
        return list;
    }

    public static List<int> ReadI32List(ref ThriftCompactReader reader, string field) =>
        ReadList(ref reader, ThriftType.I32, static (ref ThriftCompactReader r) => r.ReadI32(), field);

    public static List<long> ReadI64List(ref ThriftCompactReader reader, string field) =>
        ReadList(ref reader, ThriftType.I64, static (ref ThriftCompactReader r) => r.ReadI64(), field);

    public static List<string> ReadStringList(ref ThriftCompactReader reader, string field) =>
        ReadList(ref reader, ThriftType.Binary, static (ref ThriftCompactReader r) => r.ReadString(), field);

    public static List<byte[]> ReadBinaryList(ref ThriftCompactReader reader, string field) =>
        ReadList(ref reader, ThriftType.Binary, static (ref ThriftCompactReader r) => r.ReadBinary().ToArray(), field);

    public static List<bool> ReadBoolList(ref ThriftCompactReader reader, string field) =>
        ReadList(ref reader, ThriftType.Bool, static (ref ThriftCompactReader r) => r.ReadBool(), field);

    public static ParquetFormatException Missing(string field) =>
        new($"thrift: required field {field} is missing");

    public static void I32(this ThriftCompactWriter w, short id, int? value)
    {
        if (value is int v)
        {
            w.WriteFieldHeader(id, ThriftType.I32);
            w.WriteI32(v);
        }
    }

    public static void I64(this ThriftCompactWriter w, short id, long? value)
    {
        if (value is long v)
        {
            w.WriteFieldHeader(id, ThriftType.I64);
            w.WriteI64(v);
        }
    }

    public static void Bool(this ThriftCompactWriter w, short id, bool? value)
    {
        if (value is bool v)
        {
            w.WriteBoolField(id, v);
        }
    }

    public static void Binary(this ThriftCompactWriter w, short id, byte[]? value)
    {
        if (value is not null)
        {
            w.WriteFieldHeader(id, ThriftType.Binary);
            w.WriteBinary(value);
        }
    }

    public static void String(this ThriftCompactWriter w, short id, string? value)
    {
        if (value is not null)
        {
            w.WriteFieldHeader(id, ThriftType.Binary);
            w.WriteString(value);
        }
    }

    public static void Struct(this ThriftCompactWriter w, short id, IThriftStruct? value)
    {
        if (value is not null)
        {
            w.WriteFieldHeader(id, ThriftType.Struct);
            value.Write(w);
        }
    }

    /// <summary>Writes an empty struct (the members of thrift unions that carry no data).</summary>
    public static void EmptyStruct(this ThriftCompactWriter w, short id)
    {
        w.WriteFieldHeader(id, ThriftType.Struct);
        w.BeginStruct();
        w.EndStruct();
    }

    public static void List<T>(this ThriftCompactWriter w, short id, ThriftType elementType, IReadOnlyList<T>? items, Action<ThriftCompactWriter, T> write)
    {
        if (items is null)
        {
            return;
        }
        w.WriteFieldHeader(id, ThriftType.List);
        w.WriteListHeader(elementType, items.Count);
        foreach (T item in items)
        {
            write(w, item);
        }
    }

    public static void StructList<T>(this ThriftCompactWriter w, short id, IReadOnlyList<T>? items)
        where T : IThriftStruct =>
        w.List(id, ThriftType.Struct, items, static (writer, item) => item.Write(writer));
}
