using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Integration;

/// <summary>
/// The content of one Arrow integration JSON file: a schema and its record batches, with every
/// dictionary-encoded array carrying its dictionary (<see cref="ArrayData.Dictionary"/>).
/// </summary>
public sealed class IntegrationFile
{
    /// <summary>Creates the file content; every batch must use <paramref name="schema"/>'s fields.</summary>
    public IntegrationFile(Schema schema, IEnumerable<RecordBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(batches);
        Schema = schema;
        Batches = [.. batches];
    }

    /// <summary>The schema.</summary>
    public Schema Schema { get; }

    /// <summary>The record batches in file order (empty batches included).</summary>
    public IReadOnlyList<RecordBatch> Batches { get; }
}
