namespace ArrowCid.Arrow.Validation;

/// <summary>How much <see cref="ArrayValidator"/> checks.</summary>
public enum ValidationLevel
{
    /// <summary>
    /// Everything a reader needs for memory safety: buffer counts and sizes, child counts and
    /// lengths, every offset, view, type id, run end and dictionary index within bounds.
    /// </summary>
    Structural,

    /// <summary>Structural checks plus value rules: UTF-8 of string slots, view prefixes, non-null map keys.</summary>
    Full,
}
