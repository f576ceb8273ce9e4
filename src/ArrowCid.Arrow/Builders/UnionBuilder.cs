using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Builders;

/// <summary>
/// sparse_union and dense_union arrays. A slot value is a (typeCode, value) tuple. Unions have no
/// validity of their own, so a null slot is a null in the first member. Sparse members stay at the
/// parent's length (unselected members get nulls); dense members grow only when selected.
/// </summary>
internal sealed class UnionBuilder : ArrayBuilder
{
    private readonly GrowableBuffer _typeIds = new();
    private readonly GrowableBuffer _offsets = new();
    private readonly ArrayBuilder[] _members;
    private readonly sbyte[] _codes;
    private readonly bool _dense;
    private int _length;

    public UnionBuilder(ArrowType type) : base(type)
    {
        var physical = type.PhysicalType;
        _dense = physical.Id == ArrowTypeId.DenseUnion;
        _codes = [.. physical.TypeCodes];
        _members = [.. physical.Children.Select(f => Create(f.Type))];
        if (_members.Length == 0)
        {
            throw new ArgumentException("a union without members cannot hold any slot", nameof(type));
        }
    }

    public override int Length => _length;

    public override void AppendNull() => AppendTo(0, null);

    public override ArrayData Build()
    {
        var buffers = _dense ? new[] { _typeIds.Build(), _offsets.Build() } : [_typeIds.Build()];
        var array = new ArrayData(Type, _length, 0, 0, buffers, _members.Select(m => m.Build()).ToList());
        _length = 0;
        return array;
    }

    private protected override void AppendValue(object value)
    {
        if (value is not ITuple { Length: 2 } tuple || tuple[0] is null)
        {
            throw new ArgumentException($"{Type} needs a (typeCode, value) tuple, got {value.GetType().Name}", nameof(value));
        }

        var code = (sbyte)ClrNumbers.Integer(tuple[0]!, sbyte.MinValue, sbyte.MaxValue, "union type code");
        int member = Array.IndexOf(_codes, code);
        if (member < 0)
        {
            throw new ArgumentException($"{code} is not a type code of {Type}", nameof(value));
        }

        AppendTo(member, tuple[1]);
    }

    private void AppendTo(int member, object? value)
    {
        if (_dense)
        {
            int offset = _members[member].Length;
            _members[member].Append(value);
            BinaryPrimitives.WriteInt32LittleEndian(_offsets.Append(4), offset);
        }
        else
        {
            _members[member].Append(value);
            for (int i = 0; i < _members.Length; i++)
            {
                if (i != member)
                {
                    _members[i].AppendNull();
                }
            }
        }

        _typeIds.Append(1)[0] = (byte)_codes[member];
        _length++;
    }
}
