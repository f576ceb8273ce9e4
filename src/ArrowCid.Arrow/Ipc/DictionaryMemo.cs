using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Arrow.Validation;

namespace ArrowCid.Arrow.Ipc;

/// <summary>The current dictionary of every id, updated by dictionary batches (initial, replacement or delta).</summary>
internal sealed class DictionaryMemo
{
    private readonly DictionaryLayout _layout;
    private readonly Dictionary<long, ArrayData> _values = [];
    private readonly ValidationLevel _validation;

    public DictionaryMemo(DictionaryLayout layout, ValidationLevel validation, DecompressionBudget budget)
    {
        Budget = budget;
        _layout = layout;
        _validation = validation;
    }

    public IReadOnlyList<long> TopLevelIds => _layout.TopLevelIds;

    /// <summary>What the reader's compressed buffers may still decompress to (its record batches share it).</summary>
    public DecompressionBudget Budget { get; }

    public ArrayData Get(long id) =>
        _values.TryGetValue(id, out var values)
            ? values
            : throw new ArrowFormatException($"dictionary id {id} is used before any dictionary batch defined it");

    /// <summary>Applies a dictionary batch. <paramref name="allowReplacement"/> is false for files.</summary>
    public void Apply(DecodedMessage message, ReadOnlyMemory<byte> body, bool allowReplacement)
    {
        long id = message.DictionaryId;
        if (!_layout.ById.TryGetValue(id, out var entry))
        {
            throw new ArrowFormatException($"dictionary batch: id {id} is not used by any field of the schema");
        }

        var field = new Field("dictionary", entry.ValueType);
        Budget.StartMessage();
        var loader = new ArrayLoader(message.Batch!, body, message.Version, entry.NestedIds, Get, Budget);
        var values = loader.LoadAll([field], $"dictionary {id}")[0];
        ArrayValidator.Validate(values, _validation);

        if (message.IsDelta)
        {
            values = _values.TryGetValue(id, out var existing) ? ArrayConcatenation.Concatenate([existing, values]) : values;
        }
        else if (_values.ContainsKey(id) && !allowReplacement)
        {
            throw new ArrowFormatException($"dictionary batch: id {id} is defined twice; replacing a dictionary is not allowed in the file format");
        }

        _values[id] = values;
    }
}
