using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Builders;

/// <summary>
/// run_end_encoded arrays: a value equal to the previous one (nulls included) extends the current
/// run; anything else starts a new run in the values child. Run ends are written in the type's
/// run-end width when the array is built.
/// </summary>
internal sealed class RunEndEncodedBuilder : ArrayBuilder
{
    private readonly ArrayBuilder _values;
    private readonly List<long> _runEnds = [];
    private object? _last;
    private int _length;

    public RunEndEncodedBuilder(ArrowType type) : base(type)
    {
        _values = Create(type.PhysicalType.Children[1].Type);
    }

    public override int Length => _length;

    public override void AppendNull() => AppendSlot(null);

    public override ArrayData Build()
    {
        var physical = Type.PhysicalType;
        var runEnds = new FixedWidthBuilder(physical.Children[0].Type);
        foreach (long end in _runEnds)
        {
            runEnds.Append(end);
        }

        var array = new ArrayData(Type, _length, 0, 0, [], [runEnds.Build(), _values.Build()]);
        _runEnds.Clear();
        _last = null;
        _length = 0;
        return array;
    }

    private protected override void AppendValue(object value) => AppendSlot(ValueKeyComparer.Normalize(value));

    private void AppendSlot(object? value)
    {
        if (_runEnds.Count > 0 && ValueKeyComparer.Instance.Equals(_last, value))
        {
            _runEnds[^1]++;
        }
        else
        {
            _values.Append(value);
            _runEnds.Add(_length + 1L);
            _last = value;
        }

        _length++;
    }
}
