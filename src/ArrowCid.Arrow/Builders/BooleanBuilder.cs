using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Builders;

/// <summary>Bit-packed booleans.</summary>
internal sealed class BooleanBuilder() : ArrayBuilder(ArrowType.Boolean)
{
    private readonly BitBuffer _validity = new();
    private readonly BitBuffer _values = new();

    public override int Length => _values.Length;

    public override void AppendNull()
    {
        _validity.Append(false);
        _values.Append(false);
    }

    public override ArrayData Build()
    {
        int length = Length, nulls = _validity.ZeroCount;
        return new ArrayData(Type, length, nulls, 0, [_validity.BuildValidity(), _values.Build()]);
    }

    private protected override void AppendValue(object value)
    {
        bool bit = value is bool b ? b : throw new ArgumentException($"bool needs a bool, got {value.GetType().Name}", nameof(value));
        _validity.Append(true);
        _values.Append(bit);
    }
}
