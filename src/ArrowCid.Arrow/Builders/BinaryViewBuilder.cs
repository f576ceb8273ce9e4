using System.Buffers.Binary;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Builders;

/// <summary>
/// binary_view and utf8_view arrays: 16-byte views, values of up to 12 bytes inline, longer ones
/// in one variadic data buffer (none when every value is inline).
/// </summary>
internal sealed class BinaryViewBuilder(ArrowType type) : ArrayBuilder(type)
{
    private const int InlineLimit = 12;
    private readonly BitBuffer _validity = new();
    private readonly GrowableBuffer _views = new();
    private readonly GrowableBuffer _data = new();

    public override int Length => _validity.Length;

    public override void AppendNull()
    {
        _validity.Append(false);
        _views.AppendZeros(16);
    }

    public override ArrayData Build()
    {
        int length = Length, nulls = _validity.ZeroCount;
        var buffers = new List<ReadOnlyMemory<byte>> { _validity.BuildValidity(), _views.Build() };
        if (_data.Length > 0)
        {
            buffers.Add(_data.Build());
        }

        return new ArrayData(Type, length, nulls, 0, buffers);
    }

    private protected override void AppendValue(object value)
    {
        var bytes = ByteValues.GetOrEmpty(value, out bool ok);
        if (!ok)
        {
            throw new ArgumentException($"{Type} needs a string or bytes, got {value.GetType().Name}", nameof(value));
        }

        if (bytes.Length > InlineLimit && (long)_data.Length + bytes.Length > int.MaxValue)
        {
            throw new InvalidOperationException($"{Type} data would exceed {int.MaxValue} bytes in one buffer");
        }

        var view = _views.Append(16);
        view.Clear();
        BinaryPrimitives.WriteInt32LittleEndian(view, bytes.Length);
        if (bytes.Length <= InlineLimit)
        {
            bytes.CopyTo(view[4..]);
        }
        else
        {
            bytes[..4].CopyTo(view[4..]);
            BinaryPrimitives.WriteInt32LittleEndian(view[8..], 0);
            BinaryPrimitives.WriteInt32LittleEndian(view[12..], _data.Length);
            _data.Append(bytes);
        }

        _validity.Append(true);
    }
}
