using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.CData;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Tests.CData;

/// <summary>Export → import round trips through freshly allocated C structures.</summary>
internal static class CDataTestUtil
{
    public static RecordBatch RoundTrip(RecordBatch batch)
    {
        nint schema = CAbi.Alloc(CAbi.SchemaSize);
        nint array = CAbi.Alloc(CAbi.ArraySize);
        try
        {
            CArrowSchemaExporter.Export(batch.Schema, schema);
            CArrowArrayExporter.Export(batch, array);
            var imported = CArrowArrayImporter.ImportRecordBatch(array, schema);
            Assert.True(CAbi.IsReleased(array, CAbi.ArrayRelease), "the imported array structure was not moved");
            Assert.True(CAbi.IsReleased(schema, CAbi.SchemaRelease), "the imported schema structure was not released");
            return imported;
        }
        finally
        {
            CAbi.Free(schema, CAbi.SchemaRelease);
            CAbi.Free(array, CAbi.ArrayRelease);
        }
    }

    public static Schema RoundTrip(Schema schema)
    {
        nint s = CAbi.Alloc(CAbi.SchemaSize);
        try
        {
            CArrowSchemaExporter.Export(schema, s);
            return CArrowSchemaImporter.ImportSchema(s);
        }
        finally
        {
            CAbi.Free(s, CAbi.SchemaRelease);
        }
    }

    public static void AssertRoundTrips(RecordBatch batch)
    {
        using var imported = RoundTrip(batch);
        Assert.True(ArrayEquality.Equals(batch, imported, out string? difference), difference);
    }

    public static RecordBatch Batch(params (string Name, ArrayData Array)[] columns)
    {
        var schema = new Schema(columns.Select(c => new Field(c.Name, c.Array.Type)));
        return new RecordBatch(schema, columns[0].Array.Length, columns.Select(c => c.Array));
    }
}
