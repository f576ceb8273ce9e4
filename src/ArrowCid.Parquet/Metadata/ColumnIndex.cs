using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Metadata;

/// <summary>Per-page bounds of a column chunk (parquet.thrift <c>ColumnIndex</c>).</summary>
public sealed class ColumnIndex : IThriftStruct
{
    /// <summary>1: whether each page holds only nulls.</summary>
    public IReadOnlyList<bool> NullPages { get; set; } = [];
    /// <summary>2: lower bound of each page.</summary>
    public IReadOnlyList<byte[]> MinValues { get; set; } = [];
    /// <summary>3: upper bound of each page.</summary>
    public IReadOnlyList<byte[]> MaxValues { get; set; } = [];
    /// <summary>4: whether the bounds are ordered.</summary>
    public BoundaryOrder BoundaryOrder { get; set; }
    /// <summary>5: null count of each page.</summary>
    public IReadOnlyList<long>? NullCounts { get; set; }
    /// <summary>6: repetition level histograms, concatenated.</summary>
    public IReadOnlyList<long>? RepetitionLevelHistograms { get; set; }
    /// <summary>7: definition level histograms, concatenated.</summary>
    public IReadOnlyList<long>? DefinitionLevelHistograms { get; set; }

    /// <summary>Reads the struct; unknown fields are skipped.</summary>
    public static ColumnIndex Read(ref ThriftCompactReader reader)
    {
        var c = new ColumnIndex();
        int seen = 0;
        short saved = reader.BeginStruct();
        while (reader.NextField(out ThriftField f))
        {
            switch (f.Id)
            {
                case 1 when f.Type == ThriftType.List: c.NullPages = ThriftFields.ReadBoolList(ref reader, "ColumnIndex.null_pages"); seen |= 1; break;
                case 2 when f.Type == ThriftType.List: c.MinValues = ThriftFields.ReadBinaryList(ref reader, "ColumnIndex.min_values"); seen |= 2; break;
                case 3 when f.Type == ThriftType.List: c.MaxValues = ThriftFields.ReadBinaryList(ref reader, "ColumnIndex.max_values"); seen |= 4; break;
                case 4 when f.Type == ThriftType.I32: c.BoundaryOrder = (BoundaryOrder)reader.ReadI32(); seen |= 8; break;
                case 5 when f.Type == ThriftType.List: c.NullCounts = ThriftFields.ReadI64List(ref reader, "ColumnIndex.null_counts"); break;
                case 6 when f.Type == ThriftType.List: c.RepetitionLevelHistograms = ThriftFields.ReadI64List(ref reader, "ColumnIndex.repetition_level_histograms"); break;
                case 7 when f.Type == ThriftType.List: c.DefinitionLevelHistograms = ThriftFields.ReadI64List(ref reader, "ColumnIndex.definition_level_histograms"); break;
                default: reader.Skip(f.Type); break;
            }
        }
        reader.EndStruct(saved);
        return seen == 15 ? c : throw ThriftFields.Missing("ColumnIndex.null_pages/min_values/max_values/boundary_order");
    }

    /// <inheritdoc/>
    public void Write(ThriftCompactWriter writer)
    {
        writer.BeginStruct();
        writer.List(1, ThriftType.BooleanFalse, NullPages, static (w, v) => w.WriteBool(v));
        writer.List(2, ThriftType.Binary, MinValues, static (w, v) => w.WriteBinary(v));
        writer.List(3, ThriftType.Binary, MaxValues, static (w, v) => w.WriteBinary(v));
        writer.I32(4, (int)BoundaryOrder);
        writer.List(5, ThriftType.I64, NullCounts, static (w, v) => w.WriteI64(v));
        writer.List(6, ThriftType.I64, RepetitionLevelHistograms, static (w, v) => w.WriteI64(v));
        writer.List(7, ThriftType.I64, DefinitionLevelHistograms, static (w, v) => w.WriteI64(v));
        writer.EndStruct();
    }
}
