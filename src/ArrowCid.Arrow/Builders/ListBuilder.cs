using System.Buffers.Binary;
using System.Collections;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Builders;

/// <summary>
/// list, large_list and map arrays: validity, offsets into one child. A list slot takes any
/// IEnumerable of item values; a map slot takes key/value pairs (see <see cref="MapEntries"/>).
/// </summary>
internal sealed class ListBuilder : ArrayBuilder
{
    private readonly BitBuffer _validity = new();
    private readonly GrowableBuffer _offsets = new();
    private readonly ArrayBuilder _items;
    private readonly bool _large;
    private readonly bool _map;

    public ListBuilder(ArrowType type) : base(type)
    {
        var physical = type.PhysicalType;
        _large = physical.Id == ArrowTypeId.LargeList;
        _map = physical.Id == ArrowTypeId.Map;
        _items = Create(physical.Children[0].Type);
    }

    public override int Length => _validity.Length;

    public override void AppendNull()
    {
        _validity.Append(false);
        WriteEndOffset();
    }

    public override ArrayData Build()
    {
        int length = Length, nulls = _validity.ZeroCount;
        if (length == 0)
        {
            WriteOffset(0);
        }

        return new ArrayData(Type, length, nulls, 0, [_validity.BuildValidity(), _offsets.Build()], [_items.Build()]);
    }

    private protected override void AppendValue(object value)
    {
        if (_map)
        {
            foreach (var (key, item) in MapEntries.Enumerate(value))
            {
                _items.Append(new object?[] { key, item });
            }
        }
        else
        {
            foreach (object? item in ListItems.Enumerate(value, Type))
            {
                _items.Append(item);
            }
        }

        if (!_large && _items.Length > int.MaxValue - 1)
        {
            throw new InvalidOperationException($"{Type} child would exceed {int.MaxValue} items; use large_list");
        }

        _validity.Append(true);
        WriteEndOffset();
    }

    private void WriteEndOffset()
    {
        if (_offsets.Length == 0)
        {
            WriteOffset(0);
        }

        WriteOffset(_items.Length);
    }

    private void WriteOffset(long offset)
    {
        if (_large)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_offsets.Append(8), offset);
        }
        else
        {
            BinaryPrimitives.WriteInt32LittleEndian(_offsets.Append(4), (int)offset);
        }
    }
}

/// <summary>The items of a list-like slot value.</summary>
internal static class ListItems
{
    public static IEnumerable Enumerate(object value, ArrowType type) => value switch
    {
        string => throw new ArgumentException($"{type} needs a sequence of items, got a string", nameof(value)),
        IEnumerable e => e,
        _ => throw new ArgumentException($"{type} needs a sequence of items, got {value.GetType().Name}", nameof(value)),
    };
}
