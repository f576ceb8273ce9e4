using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Builders;

/// <summary>
/// Dictionary-encoded arrays: each appended value is looked up in a hash map of the values seen
/// so far; a new one is appended to the dictionary, and the slot stores its index.
/// </summary>
internal sealed class DictionaryBuilder : ArrayBuilder
{
    private readonly FixedWidthBuilder _indices;
    private readonly ArrayBuilder _values;
    private readonly Dictionary<object, long> _seen = new(ValueKeyComparer.Instance);

    public DictionaryBuilder(ArrowType type) : base(type)
    {
        var physical = type.PhysicalType;
        _indices = new FixedWidthBuilder(physical.IndexType!);
        _values = Create(physical.ValueType!);
    }

    public override int Length => _indices.Length;

    public override void AppendNull() => _indices.AppendNull();

    public override ArrayData Build()
    {
        var indices = _indices.Build();
        var dictionary = _values.Build();
        _seen.Clear();
        return new ArrayData(Type, indices.Length, indices.NullCount, 0, indices.Buffers, dictionary: dictionary);
    }

    private protected override void AppendValue(object value)
    {
        var key = ValueKeyComparer.Normalize(value);
        if (!_seen.TryGetValue(key, out long index))
        {
            index = _values.Length;
            // Fail before changing anything when the next index does not fit the index type.
            Span<byte> probe = stackalloc byte[8];
            FixedWidthEncoder.Write(_indices.Type, index, probe[..(_indices.Type.BitWidth / 8)]);
            _values.Append(value);
            _seen.Add(key, index);
        }

        _indices.Append(index);
    }
}
