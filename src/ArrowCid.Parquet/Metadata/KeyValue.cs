using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Metadata;

/// <summary>A key/value metadata entry (parquet.thrift <c>KeyValue</c>).</summary>
public sealed class KeyValue : IThriftStruct
{
    /// <summary>1: the key (required).</summary>
    public string Key { get; set; } = "";
    /// <summary>2: the value.</summary>
    public string? Value { get; set; }

    /// <summary>Reads the struct; unknown fields are skipped.</summary>
    public static KeyValue Read(ref ThriftCompactReader reader)
    {
        var kv = new KeyValue();
        bool hasKey = false;
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            switch (f.Id)
            {
                case 1 when f.Type == ThriftType.Binary: kv.Key = reader.ReadString(); hasKey = true; break;
                case 2 when f.Type == ThriftType.Binary: kv.Value = reader.ReadString(); break;
                default: reader.Skip(f.Type); break;
            }
        }
        reader.EndStruct(saved);
        return hasKey ? kv : throw ThriftFields.Missing("KeyValue.key");
    }

    /// <inheritdoc/>
    public void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.String(1, Key);
        writer.String(2, Value);
        writer.EndStruct();
    }
}
