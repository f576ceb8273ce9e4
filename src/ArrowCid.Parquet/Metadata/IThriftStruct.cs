using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Metadata;

/// <summary>A parquet.thrift struct that can write itself in the compact protocol.</summary>
public interface IThriftStruct
{
    /// <summary>Writes the struct (its fields in ascending id order and the stop field).</summary>
    void Write(ThriftCompactWriter writer);
}
