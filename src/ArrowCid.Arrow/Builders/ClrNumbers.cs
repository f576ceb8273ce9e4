using System.Numerics;

namespace ArrowCid.Arrow.Builders;

/// <summary>Widening of the CLR's numeric types to one representation each, so conversions are written once.</summary>
internal static class ClrNumbers
{
    /// <summary>Any integer type (BigInteger and UInt128 when they fit) as Int128; null for anything else.</summary>
    public static Int128? TryInteger(object value) => value switch
    {
        int v => v,
        long v => v,
        short v => v,
        sbyte v => v,
        byte v => v,
        ushort v => v,
        uint v => v,
        ulong v => v,
        Int128 v => v,
        UInt128 v => v <= (UInt128)Int128.MaxValue ? (Int128)v : throw Overflow(value),
        BigInteger v => v >= (BigInteger)Int128.MinValue && v <= (BigInteger)Int128.MaxValue ? (Int128)v : throw Overflow(value),
        _ => null,
    };

    /// <summary>An integer value in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Int128 Integer(object value, Int128 min, Int128 max, string typeName)
    {
        var v = TryInteger(value) ?? throw new ArgumentException($"{typeName} needs an integer value, got {value.GetType().Name}", nameof(value));
        if (v < min || v > max)
        {
            throw new OverflowException($"{v} is outside the range of {typeName}");
        }

        return v;
    }

    /// <summary>Any floating-point or integer value as a double.</summary>
    public static double Double(object value, string typeName) => value switch
    {
        double v => v,
        float v => v,
        Half v => (double)v,
        decimal v => (double)v,
        _ => TryInteger(value) is Int128 i ? (double)i
            : throw new ArgumentException($"{typeName} needs a number, got {value.GetType().Name}", nameof(value)),
    };

    /// <summary>An arbitrary-size integer (for decimals' unscaled values).</summary>
    public static BigInteger? TryBigInteger(object value) => value switch
    {
        BigInteger v => v,
        UInt128 v => v,
        _ => TryInteger(value) is Int128 i ? (BigInteger)i : null,
    };

    private static OverflowException Overflow(object value) => new($"{value} is too large");
}
