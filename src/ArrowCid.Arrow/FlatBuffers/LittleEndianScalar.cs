using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ArrowCid.Arrow.FlatBuffers;

/// <summary>
/// Reads and writes flatbuffer scalars, which the format stores little-endian at any address.
/// Only primitive numbers, <see cref="bool"/> and enums are scalars: a multi-field struct cannot
/// be byte-swapped as one unit, so it is refused rather than read with the wrong byte order.
/// </summary>
internal static class LittleEndianScalar
{
    /// <summary>Throws when <typeparamref name="T"/> is not a flatbuffer scalar type.</summary>
    public static int SizeOf<T>() where T : unmanaged
    {
        if (!ScalarKind<T>.IsScalar)
        {
            throw new NotSupportedException(
                $"{typeof(T).Name} is not a flatbuffer scalar (use a primitive number, bool or an enum).");
        }

        return Unsafe.SizeOf<T>();
    }

    /// <summary>Reads a scalar from the first bytes of <paramref name="source"/> (unaligned).</summary>
    public static T Read<T>(ReadOnlySpan<byte> source) where T : unmanaged
    {
        if (typeof(T) == typeof(bool))
        {
            // Any non-zero byte is true; reinterpreting a byte such as 2 as a bool is undefined.
            bool flag = source[0] != 0;
            return Unsafe.As<bool, T>(ref flag);
        }

        if (BitConverter.IsLittleEndian || Unsafe.SizeOf<T>() == 1)
        {
            return MemoryMarshal.Read<T>(source);
        }

        Span<byte> swapped = stackalloc byte[Unsafe.SizeOf<T>()];
        source[..swapped.Length].CopyTo(swapped);
        swapped.Reverse();
        return MemoryMarshal.Read<T>(swapped);
    }

    /// <summary>Writes a scalar into the first bytes of <paramref name="destination"/> (unaligned).</summary>
    public static void Write<T>(Span<byte> destination, T value) where T : unmanaged
    {
        if (typeof(T) == typeof(bool))
        {
            // Booleans are stored as exactly 0 or 1 so equal values give equal bytes.
            destination[0] = Unsafe.As<T, bool>(ref value) ? (byte)1 : (byte)0;
            return;
        }

        MemoryMarshal.Write(destination, in value);
        if (!BitConverter.IsLittleEndian)
        {
            destination[..Unsafe.SizeOf<T>()].Reverse();
        }
    }

    /// <summary>True when both values have the same stored bytes (so -0.0 differs from 0.0, and NaN payloads count).</summary>
    public static bool BitwiseEqual<T>(T left, T right) where T : unmanaged
    {
        if (typeof(T) == typeof(bool))
        {
            return Unsafe.As<T, bool>(ref left) == Unsafe.As<T, bool>(ref right);
        }

        return MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in left))
            .SequenceEqual(MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in right)));
    }

    private static class ScalarKind<T>
    {
        public static readonly bool IsScalar =
            typeof(T).IsEnum
            || (typeof(T).IsPrimitive && typeof(T) != typeof(nint) && typeof(T) != typeof(nuint) && typeof(T) != typeof(char));
    }
}
