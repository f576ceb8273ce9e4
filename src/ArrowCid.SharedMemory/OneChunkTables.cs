using ArrowCid.Arrow.Types;
using ArrowCid.Content.Chunking;

namespace ArrowCid.SharedMemory;

/// <summary>
/// Tells, without hashing a row, that a batch is a table of one chunk, so the small-message path
/// publishes it as one segment at today's cost. The chunking rule (docs/canonical-form.md §7.3)
/// cuts nowhere before a chunk's nominal size exceeds <see cref="ChunkingRule.MinBits"/>, and a
/// row's nominal size counts bytes its arrays hold: so a batch whose buffers total at most 64 KiB
/// has at most 64 KiB of nominal size and is one chunk — unless its schema has a type whose slots
/// can share or compress bytes (views, list views, dense unions, run-end encoding: the nominal
/// size counts each slot's bytes where the buffers hold them once). The block-size check (1 MiB)
/// is left to the publish, which knows the encoded length.
/// </summary>
internal sealed class OneChunkTables
{
    /// <summary>Largest sum of buffer bytes for which the bound holds: the rule's minimum chunk.</summary>
    public const long MaxBufferBytes = ChunkingRule.MinBits / 8;

    // The last schema found bounded: the same schema object comes with every message of a stream.
    private Schema? _lastBounded;

    /// <summary>Whether every row's nominal size is at most the bytes its buffers hold (no sharing or compressing type anywhere in the schema).</summary>
    public bool BoundedByBuffers(Schema schema)
    {
        if (ReferenceEquals(Volatile.Read(ref _lastBounded), schema))
        {
            return true;
        }

        foreach (var field in schema.Fields)
        {
            if (!Bounded(field.Type))
            {
                return false;
            }
        }

        Volatile.Write(ref _lastBounded, schema);
        return true;
    }

    private static bool Bounded(ArrowType type)
    {
        var physical = type.PhysicalType;
        if (physical.Id is ArrowTypeId.BinaryView or ArrowTypeId.Utf8View or ArrowTypeId.ListView or ArrowTypeId.LargeListView
            or ArrowTypeId.DenseUnion or ArrowTypeId.RunEndEncoded)
        {
            return false;
        }

        if (physical.ValueType is { } values && !Bounded(values))
        {
            return false;
        }

        foreach (var child in physical.Children)
        {
            if (!Bounded(child.Type))
            {
                return false;
            }
        }

        return true;
    }
}
