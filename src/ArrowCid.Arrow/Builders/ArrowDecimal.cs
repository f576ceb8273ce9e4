using System.Numerics;

namespace ArrowCid.Arrow.Builders;

/// <summary>
/// An exact decimal value as its unscaled integer and scale (value = Unscaled × 10^-Scale), for
/// values <see cref="decimal"/> cannot hold (more than 28 digits, scale above 28 or negative).
/// Builders accept it for any decimal type; its text is the plain decimal notation, e.g. <c>-12.34</c>.
/// </summary>
/// <param name="Unscaled">The unscaled integer.</param>
/// <param name="Scale">Digits after the decimal point.</param>
public readonly record struct ArrowDecimal(BigInteger Unscaled, int Scale)
{
    /// <summary>Plain decimal notation.</summary>
    public override string ToString() => DecimalConversions.Format(Unscaled, Scale);
}
