using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Integration;

/// <summary>
/// Dictionary ids for writing: every dictionary-encoded field of the schema, in depth-first order
/// (a field, then the children of its value type), is a slot; slots whose arrays carry the same
/// dictionary instance share an id, and ids are numbered from 0 in order of first appearance.
/// The format holds one dictionary per id, so a slot whose batches carry logically different
/// dictionaries cannot be written.
/// </summary>
internal sealed class JsonDictionaryIds
{
    private readonly List<long> _slotIds = [];
    private readonly List<ArrayData?> _values = [];
    private readonly Dictionary<ArrayData, long> _byInstance = new(ReferenceEqualityComparer.Instance);

    /// <summary>The id of each dictionary slot, in the depth-first order the schema writer walks.</summary>
    public IReadOnlyList<long> SlotIds => _slotIds;

    /// <summary>Each id with its dictionary values (ids no batch gave a dictionary for are left out).</summary>
    public IEnumerable<(long Id, ArrayData Values)> Dictionaries =>
        _values.Select((v, id) => ((long)id, v)).Where(d => d.v is not null).Select(d => (d.Item1, d.v!));

    public static JsonDictionaryIds Assign(IntegrationFile file)
    {
        var ids = new JsonDictionaryIds();
        if (file.Batches.Count == 0)
        {
            int slot = 0;
            foreach (var field in file.Schema.Fields)
            {
                ids.Visit(field.Type, null, ref slot);
            }
        }

        foreach (var batch in file.Batches)
        {
            int slot = 0;
            for (int c = 0; c < file.Schema.Fields.Length; c++)
            {
                ids.Visit(file.Schema.Fields[c].Type, batch.Columns[c], ref slot);
            }
        }

        return ids;
    }

    private void Visit(ArrowType type, ArrayData? data, ref int slot)
    {
        type = type.PhysicalType;
        if (type.Id != ArrowTypeId.Dictionary)
        {
            VisitChildren(type, data, ref slot);
            return;
        }

        var dictionary = data?.Dictionary;
        int mySlot = slot++;
        if (mySlot == _slotIds.Count)
        {
            if (dictionary is null || !_byInstance.TryGetValue(dictionary, out long id))
            {
                id = _values.Count;
                _values.Add(dictionary);
                if (dictionary is not null)
                {
                    _byInstance[dictionary] = id;
                }
            }

            _slotIds.Add(id);
        }
        else if (dictionary is not null)
        {
            long id = _slotIds[mySlot];
            var known = _values[(int)id];
            if (known is null)
            {
                _values[(int)id] = dictionary;
                _byInstance.TryAdd(dictionary, id);
            }
            else if (!ReferenceEquals(known, dictionary) && !ArrayEquality.Equals(known, dictionary, out string? difference))
            {
                throw new ArgumentException($"dictionary-encoded field slot {mySlot} has different dictionaries in different batches ({difference}); integration JSON holds one dictionary per id");
            }
        }

        VisitChildren(type.ValueType!.PhysicalType, dictionary, ref slot);
    }

    private void VisitChildren(ArrowType type, ArrayData? data, ref int slot)
    {
        for (int k = 0; k < type.Children.Length; k++)
        {
            var child = data is not null && k < data.Children.Length ? data.Children[k] : null;
            Visit(type.Children[k].Type, child, ref slot);
        }
    }
}
