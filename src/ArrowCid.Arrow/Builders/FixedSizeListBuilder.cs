using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Builders;

/// <summary>fixed_size_list arrays: every slot owns exactly ListSize child items (nulls in a null slot).</summary>
internal sealed class FixedSizeListBuilder : ArrayBuilder
{
    private readonly BitBuffer _validity = new();
    private readonly ArrayBuilder _items;
    private readonly int _listSize;

    public FixedSizeListBuilder(ArrowType type) : base(type)
    {
        _listSize = type.PhysicalType.ListSize;
        _items = Create(type.PhysicalType.Children[0].Type);
    }

    public override int Length => _validity.Length;

    public override void AppendNull()
    {
        _validity.Append(false);
        for (int i = 0; i < _listSize; i++)
        {
            _items.AppendNull();
        }
    }

    public override ArrayData Build()
    {
        int length = Length, nulls = _validity.ZeroCount;
        return new ArrayData(Type, length, nulls, 0, [_validity.BuildValidity()], [_items.Build()]);
    }

    private protected override void AppendValue(object value)
    {
        var items = ListItems.Enumerate(value, Type).Cast<object?>().ToList();
        if (items.Count != _listSize)
        {
            throw new ArgumentException($"{Type} needs exactly {_listSize} items, got {items.Count}", nameof(value));
        }

        foreach (var item in items)
        {
            _items.Append(item);
        }

        _validity.Append(true);
    }
}
