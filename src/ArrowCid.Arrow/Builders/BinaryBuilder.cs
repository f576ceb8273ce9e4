using System.Buffers.Binary;
using System.Text;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Builders;

/// <summary>
/// Binary, utf8, large binary and large utf8 arrays: validity, offsets (32 or 64-bit) and one
/// data buffer. The typed <see cref="Append(ReadOnlySpan{byte})"/> and <see cref="Append(string)"/>
/// copy straight into the data buffer.
/// </summary>
public sealed class BinaryBuilder : ArrayBuilder
{
    private readonly BitBuffer _validity = new();
    private readonly GrowableBuffer _offsets = new();
    private readonly GrowableBuffer _data = new();
    private readonly bool _large;

    /// <summary>Creates a builder for binary, utf8, large_binary or large_utf8.</summary>
    public BinaryBuilder(ArrowType type) : base(type)
    {
        _large = type.PhysicalType.Id switch
        {
            ArrowTypeId.Binary or ArrowTypeId.Utf8 => false,
            ArrowTypeId.LargeBinary or ArrowTypeId.LargeUtf8 => true,
            _ => throw new ArgumentException($"{type} is not a binary or utf8 type", nameof(type)),
        };
    }

    /// <inheritdoc/>
    public override int Length => _validity.Length;

    /// <summary>Appends one valid slot holding a copy of <paramref name="bytes"/>.</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (!_large && (long)_data.Length + bytes.Length > int.MaxValue)
        {
            throw new InvalidOperationException($"{Type} data would exceed {int.MaxValue} bytes; use the large variant");
        }

        _data.Append(bytes);
        _validity.Append(true);
        WriteEndOffset();
    }

    /// <summary>Appends one valid slot holding <paramref name="value"/> as UTF-8.</summary>
    public void Append(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max <= 1024)
        {
            Span<byte> buffer = stackalloc byte[max];
            Append(buffer[..Encoding.UTF8.GetBytes(value, buffer)]);
        }
        else
        {
            Append(Encoding.UTF8.GetBytes(value));
        }
    }

    /// <inheritdoc/>
    public override void AppendNull()
    {
        _validity.Append(false);
        WriteEndOffset(); // empty slot: the tidy form
    }

    /// <inheritdoc/>
    public override ArrayData Build()
    {
        int length = Length, nulls = _validity.ZeroCount;
        if (length == 0)
        {
            WriteOffset(0);
        }

        var array = new ArrayData(Type, length, nulls, 0, [_validity.BuildValidity(), _offsets.Build(), _data.Build()]);
        return array;
    }

    /// <inheritdoc/>
    private protected override void AppendValue(object value)
    {
        if (value is string s)
        {
            Append(s);
            return;
        }

        var bytes = ByteValues.GetOrEmpty(value, out bool ok);
        if (!ok)
        {
            throw new ArgumentException($"{Type} needs a string or bytes, got {value.GetType().Name}", nameof(value));
        }

        Append(bytes);
    }

    private void WriteEndOffset()
    {
        if (_offsets.Length == 0)
        {
            WriteOffset(0);
        }

        WriteOffset(_data.Length);
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
