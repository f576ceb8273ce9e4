using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Metadata;

/// <summary>Statistics of a page or column chunk (parquet.thrift <c>Statistics</c>); all optional.</summary>
public sealed class Statistics : IThriftStruct
{
    /// <summary>1: deprecated signed-order max.</summary>
    public byte[]? Max { get; set; }
    /// <summary>2: deprecated signed-order min.</summary>
    public byte[]? Min { get; set; }
    /// <summary>3: count of nulls.</summary>
    public long? NullCount { get; set; }
    /// <summary>4: count of distinct values.</summary>
    public long? DistinctCount { get; set; }
    /// <summary>5: upper bound under the column order.</summary>
    public byte[]? MaxValue { get; set; }
    /// <summary>6: lower bound under the column order.</summary>
    public byte[]? MinValue { get; set; }
    /// <summary>7: whether <see cref="MaxValue"/> is an actual value.</summary>
    public bool? IsMaxValueExact { get; set; }
    /// <summary>8: whether <see cref="MinValue"/> is an actual value.</summary>
    public bool? IsMinValueExact { get; set; }
    /// <summary>9: count of NaN values.</summary>
    public long? NanCount { get; set; }

    /// <summary>Reads the struct; unknown fields are skipped.</summary>
    public static Statistics Read(ref ThriftCompactReader reader)
    {
        var s = new Statistics();
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            switch (f.Id)
            {
                case 1 when f.Type == ThriftType.Binary: s.Max = reader.ReadBinary().ToArray(); break;
                case 2 when f.Type == ThriftType.Binary: s.Min = reader.ReadBinary().ToArray(); break;
                case 3 when f.Type == ThriftType.I64: s.NullCount = reader.ReadI64(); break;
                case 4 when f.Type == ThriftType.I64: s.DistinctCount = reader.ReadI64(); break;
                case 5 when f.Type == ThriftType.Binary: s.MaxValue = reader.ReadBinary().ToArray(); break;
                case 6 when f.Type == ThriftType.Binary: s.MinValue = reader.ReadBinary().ToArray(); break;
                case 7 when f.Type == ThriftType.Bool: s.IsMaxValueExact = f.BoolValue; break;
                case 8 when f.Type == ThriftType.Bool: s.IsMinValueExact = f.BoolValue; break;
                case 9 when f.Type == ThriftType.I64: s.NanCount = reader.ReadI64(); break;
                default: reader.Skip(f.Type); break;
            }
        }
        reader.EndStruct(saved);
        return s;
    }

    /// <inheritdoc/>
    public void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.Binary(1, Max);
        writer.Binary(2, Min);
        writer.I64(3, NullCount);
        writer.I64(4, DistinctCount);
        writer.Binary(5, MaxValue);
        writer.Binary(6, MinValue);
        writer.Bool(7, IsMaxValueExact);
        writer.Bool(8, IsMinValueExact);
        writer.I64(9, NanCount);
        writer.EndStruct();
    }
}
