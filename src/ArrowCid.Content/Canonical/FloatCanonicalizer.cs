using System.Buffers.Binary;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Content.Canonical;

/// <summary>
/// Floats are the only fixed-width values with several encodings of one logical value: every NaN
/// (any sign, any payload) is written as the canonical quiet NaN of its width. Negative zero is a
/// different value from zero (ArrayEquality compares bits) and is kept.
/// </summary>
internal static class FloatCanonicalizer
{
    private static ReadOnlySpan<byte> QuietNaN16 => [0x00, 0x7E];

    private static ReadOnlySpan<byte> QuietNaN32 => [0x00, 0x00, 0xC0, 0x7F];

    private static ReadOnlySpan<byte> QuietNaN64 => [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF8, 0x7F];

    /// <summary>Whether values of this type are floats.</summary>
    public static bool Applies(ArrowTypeId id) => id is ArrowTypeId.Float16 or ArrowTypeId.Float32 or ArrowTypeId.Float64;

    /// <summary>The canonical NaN of a float type.</summary>
    public static ReadOnlySpan<byte> CanonicalNaN(ArrowTypeId id) => id switch
    {
        ArrowTypeId.Float16 => QuietNaN16,
        ArrowTypeId.Float32 => QuietNaN32,
        _ => QuietNaN64,
    };

    /// <summary>Whether <paramref name="value"/> (one whole value of type <paramref name="id"/>) is a NaN other than the canonical one.</summary>
    public static bool IsNonCanonicalNaN(ArrowTypeId id, ReadOnlySpan<byte> value)
    {
        switch (id)
        {
            case ArrowTypeId.Float16:
            {
                ushort v = BinaryPrimitives.ReadUInt16LittleEndian(value);
                return (v & 0x7C00) == 0x7C00 && (v & 0x03FF) != 0 && v != 0x7E00;
            }

            case ArrowTypeId.Float32:
            {
                uint v = BinaryPrimitives.ReadUInt32LittleEndian(value);
                return (v & 0x7F800000u) == 0x7F800000u && (v & 0x007FFFFFu) != 0 && v != 0x7FC00000u;
            }

            case ArrowTypeId.Float64:
            {
                ulong v = BinaryPrimitives.ReadUInt64LittleEndian(value);
                return (v & 0x7FF0000000000000ul) == 0x7FF0000000000000ul && (v & 0x000FFFFFFFFFFFFFul) != 0 && v != 0x7FF8000000000000ul;
            }

            default:
                return false;
        }
    }

    /// <summary>Rewrites in place a single value of type <paramref name="id"/> when it is a non-canonical NaN.</summary>
    public static void Canonicalize(ArrowTypeId id, Span<byte> value)
    {
        if (IsNonCanonicalNaN(id, value))
        {
            CanonicalNaN(id).CopyTo(value);
        }
    }
}
