using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Builders;

/// <summary>
/// The fast path for fixed-width types whose slots are one unmanaged value: appends
/// <typeparamref name="T"/> values as raw little-endian bytes, without boxing, e.g.
/// <c>new PrimitiveBuilder&lt;int&gt;(ArrowType.Int32)</c> or <c>PrimitiveBuilder&lt;long&gt;</c> for
/// timestamps in their unit. <see cref="ArrayBuilder.Append(object?)"/> still accepts any natural value.
/// </summary>
/// <typeparam name="T">A value type of exactly the slot width.</typeparam>
public sealed class PrimitiveBuilder<T> : FixedWidthBuilder where T : unmanaged
{
    /// <summary>Creates a builder for <paramref name="type"/>, whose slots must be <c>sizeof(T)</c> bytes.</summary>
    public PrimitiveBuilder(ArrowType type) : base(type)
    {
        if (Unsafe.SizeOf<T>() != ByteWidth)
        {
            throw new ArgumentException($"{typeof(T).Name} is {Unsafe.SizeOf<T>()} bytes, {type} slots are {ByteWidth}", nameof(type));
        }
    }

    /// <summary>Appends one valid slot.</summary>
    public void Append(T value)
    {
        MemoryMarshal.Write(Values.Append(ByteWidth), in value);
        Validity.Append(true);
    }

    /// <summary>Appends valid slots in bulk (one copy).</summary>
    public void AppendRange(ReadOnlySpan<T> values)
    {
        MemoryMarshal.AsBytes(values).CopyTo(Values.Append(checked(values.Length * ByteWidth)));
        Validity.AppendMany(true, values.Length);
    }
}
