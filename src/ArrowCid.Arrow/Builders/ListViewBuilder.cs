using System.Buffers.Binary;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Builders;

/// <summary>list_view and large_list_view arrays: items are appended in order, so each view is (items so far, count).</summary>
internal sealed class ListViewBuilder : ArrayBuilder
{
    private readonly BitBuffer _validity = new();
    private readonly GrowableBuffer _offsets = new();
    private readonly GrowableBuffer _sizes = new();
    private readonly ArrayBuilder _items;
    private readonly int _width;

    public ListViewBuilder(ArrowType type) : base(type)
    {
        var physical = type.PhysicalType;
        _width = physical.Id == ArrowTypeId.LargeListView ? 8 : 4;
        _items = Create(physical.Children[0].Type);
    }

    public override int Length => _validity.Length;

    public override void AppendNull()
    {
        _validity.Append(false);
        _offsets.AppendZeros(_width); // null views are (0, 0): the tidy form
        _sizes.AppendZeros(_width);
    }

    public override ArrayData Build()
    {
        int length = Length, nulls = _validity.ZeroCount;
        return new ArrayData(Type, length, nulls, 0, [_validity.BuildValidity(), _offsets.Build(), _sizes.Build()], [_items.Build()]);
    }

    private protected override void AppendValue(object value)
    {
        long start = _items.Length;
        foreach (object? item in ListItems.Enumerate(value, Type))
        {
            _items.Append(item);
        }

        long size = _items.Length - start;
        if (_width == 4 && _items.Length > int.MaxValue - 1)
        {
            throw new InvalidOperationException($"{Type} child would exceed {int.MaxValue} items; use large_list_view");
        }

        Write(_offsets, start);
        Write(_sizes, size);
        _validity.Append(true);
    }

    private void Write(GrowableBuffer buffer, long value)
    {
        if (_width == 8)
        {
            BinaryPrimitives.WriteInt64LittleEndian(buffer.Append(8), value);
        }
        else
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer.Append(4), (int)value);
        }
    }
}
