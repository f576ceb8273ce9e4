using System.Globalization;
using System.Numerics;
using System.Text;

namespace ArrowCid.Arrow.Builders;

/// <summary>Decimal values as unscaled two's-complement integers of 4, 8, 16 or 32 bytes.</summary>
internal static class DecimalConversions
{
    /// <summary>
    /// The unscaled value for a decimal type of <paramref name="scale"/>: integers are taken as
    /// already unscaled; <see cref="decimal"/> values are scaled, and must not lose digits.
    /// </summary>
    public static BigInteger ToUnscaled(object value, int scale, int precision)
    {
        BigInteger unscaled = value switch
        {
            decimal d => Scale(d, scale),
            ArrowDecimal a => Rescale(a, scale),
            _ => ClrNumbers.TryBigInteger(value)
                ?? throw new ArgumentException($"decimal needs a decimal or an unscaled integer, got {value.GetType().Name}", nameof(value)),
        };
        if (BigInteger.Abs(unscaled) >= BigInteger.Pow(10, precision))
        {
            throw new OverflowException($"{value} does not fit decimal precision {precision}");
        }

        return unscaled;
    }

    private static BigInteger Rescale(ArrowDecimal value, int scale)
    {
        if (scale >= value.Scale)
        {
            return value.Unscaled * BigInteger.Pow(10, scale - value.Scale);
        }

        var quotient = BigInteger.DivRem(value.Unscaled, BigInteger.Pow(10, value.Scale - scale), out var remainder);
        return remainder.IsZero ? quotient : throw new ArgumentException($"{value} has more digits than scale {scale} keeps", nameof(value));
    }

    private static BigInteger Scale(decimal value, int scale)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var mantissa = ((BigInteger)(uint)bits[2] << 64) | ((BigInteger)(uint)bits[1] << 32) | (uint)bits[0];
        if (bits[3] < 0)
        {
            mantissa = -mantissa;
        }

        int shift = scale - value.Scale;
        if (shift >= 0)
        {
            return mantissa * BigInteger.Pow(10, shift);
        }

        var divisor = BigInteger.Pow(10, -shift);
        var quotient = BigInteger.DivRem(mantissa, divisor, out var remainder);
        return remainder.IsZero ? quotient : throw new ArgumentException($"{value} has more digits than scale {scale} keeps", nameof(value));
    }

    /// <summary>Writes the unscaled value little-endian, sign-extended to the whole destination.</summary>
    public static void Write(BigInteger unscaled, Span<byte> destination)
    {
        destination.Fill(unscaled.Sign < 0 ? (byte)0xFF : (byte)0);
        if (!unscaled.TryWriteBytes(destination, out _, isUnsigned: false, isBigEndian: false))
        {
            throw new OverflowException($"{unscaled} does not fit {destination.Length} bytes");
        }
    }

    /// <summary>Reads a little-endian two's-complement integer of any width.</summary>
    public static BigInteger Read(ReadOnlySpan<byte> source) => new(source, isUnsigned: false, isBigEndian: false);

    /// <summary>Text of unscaled × 10^-scale, e.g. (-1234, 2) → <c>-12.34</c>, (5, 3) → <c>0.005</c>, (12, -2) → <c>1200</c>.</summary>
    public static string Format(BigInteger unscaled, int scale)
    {
        string digits = BigInteger.Abs(unscaled).ToString(CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        if (unscaled.Sign < 0)
        {
            sb.Append('-');
        }

        if (scale <= 0)
        {
            sb.Append(digits);
            if (!unscaled.IsZero)
            {
                sb.Append('0', -scale);
            }

            return sb.ToString();
        }

        if (digits.Length <= scale)
        {
            digits = new string('0', scale - digits.Length + 1) + digits;
        }

        sb.Append(digits, 0, digits.Length - scale).Append('.').Append(digits, digits.Length - scale, scale);
        return sb.ToString();
    }

    /// <summary>The value as a <see cref="decimal"/> when it is exactly representable, else null.</summary>
    public static decimal? TryToDecimal(BigInteger unscaled, int scale)
    {
        var magnitude = BigInteger.Abs(unscaled);
        while (scale < 0)
        {
            magnitude *= 10;
            scale++;
        }

        if (scale > 28 || magnitude.GetBitLength() > 96)
        {
            return null;
        }

        var bytes = new byte[12];
        magnitude.TryWriteBytes(bytes, out _, isUnsigned: true, isBigEndian: false);
        int lo = BitConverter.ToInt32(bytes, 0), mid = BitConverter.ToInt32(bytes, 4), hi = BitConverter.ToInt32(bytes, 8);
        return new decimal(lo, mid, hi, unscaled.Sign < 0, (byte)scale);
    }
}
