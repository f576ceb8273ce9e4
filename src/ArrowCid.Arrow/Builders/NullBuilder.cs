using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Builders;

/// <summary>Null-type arrays: only a length, no buffers.</summary>
internal sealed class NullBuilder() : ArrayBuilder(ArrowType.Null)
{
    private int _length;

    public override int Length => _length;

    public override void AppendNull() => _length++;

    public override ArrayData Build()
    {
        var array = new ArrayData(Type, _length, _length, 0, []);
        _length = 0;
        return array;
    }

    private protected override void AppendValue(object value) =>
        throw new ArgumentException($"a null array holds only nulls, got {value.GetType().Name}", nameof(value));
}
