using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Metadata;

/// <summary>A sort key of a row group (parquet.thrift <c>SortingColumn</c>).</summary>
public sealed class SortingColumn : IThriftStruct
{
    /// <summary>1: ordinal of the column in the row group.</summary>
    public int ColumnIndex { get; set; }
    /// <summary>2: descending order.</summary>
    public bool Descending { get; set; }
    /// <summary>3: nulls sort first.</summary>
    public bool NullsFirst { get; set; }

    /// <summary>Reads the struct; unknown fields are skipped.</summary>
    public static SortingColumn Read(ref ThriftCompactReader reader)
    {
        var s = new SortingColumn();
        int seen = 0;
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            switch (f.Id)
            {
                case 1 when f.Type == ThriftType.I32: s.ColumnIndex = reader.ReadI32(); seen |= 1; break;
                case 2 when f.Type == ThriftType.Bool: s.Descending = f.BoolValue; seen |= 2; break;
                case 3 when f.Type == ThriftType.Bool: s.NullsFirst = f.BoolValue; seen |= 4; break;
                default: reader.Skip(f.Type); break;
            }
        }
        reader.EndStruct(saved);
        return seen == 7 ? s : throw ThriftFields.Missing("SortingColumn.column_idx/descending/nulls_first");
    }

    /// <inheritdoc/>
    public void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.I32(1, ColumnIndex);
        writer.Bool(2, Descending);
        writer.Bool(3, NullsFirst);
        writer.EndStruct();
    }
}
