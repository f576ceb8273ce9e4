using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Datasets;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>
/// Collects the batches of a dataset as they are put or named, one small entry each, so a stream
/// of any length is turned into a manifest without holding its batches.
/// </summary>
internal sealed class DatasetAccumulator(Schema schema)
{
    private readonly byte[] _schemaMessage = DatasetSchemaMessage.Encode(schema);
    private readonly List<DatasetBatch> _batches = [];
    private readonly List<StoredBatch> _results = [];

    public Schema Schema { get; } = schema;

    public IReadOnlyList<StoredBatch> Results => _results;

    /// <summary>Every block of the dataset starts with the same schema message, so batches must share the schema exactly.</summary>
    public void CheckSchema(RecordBatch batch)
    {
        if (!ReferenceEquals(batch.Schema, Schema) && !DatasetSchemaMessage.Encode(batch.Schema).AsSpan().SequenceEqual(_schemaMessage))
        {
            throw new ArgumentException($"batch {_batches.Count} has a schema different from the dataset's", nameof(batch));
        }
    }

    public void Add(StoredBatch result)
    {
        _batches.Add(new DatasetBatch(result.Cid, result.Rows, result.Bytes));
        _results.Add(result);
    }

    public (DatasetManifest Manifest, DatasetBlock Block) Finish()
    {
        var manifest = DatasetManifest.Create(Schema, _batches);
        return (manifest, manifest.Encode());
    }

    public PutStreamResult Result(DatasetManifest manifest, DatasetBlock block) =>
        new(_results.ToArray(), new DatasetResult(block.Cid, manifest.Rows, manifest.Batches.Count, manifest.Bytes, block.Bytes.Length));
}
