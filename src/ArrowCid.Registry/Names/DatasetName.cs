using System.Text;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Registry;

/// <summary>
/// The rules a dataset name follows (docs/repository.md): non-empty well-formed Unicode of at most
/// <see cref="MaxBytes"/> UTF-8 bytes, kept in Unicode NFC (so the composed and decomposed
/// spellings of <c>café</c> are one name), no control characters, no characters that reorder or
/// hide text (bidirectional controls such as U+202E, zero-width characters, the byte order mark:
/// a name must read as what it is), no <c>@</c> (it introduces a version,
/// as in <c>sensors@3</c>), '/'-separated segments none of which is empty, <c>.</c> or <c>..</c>
/// (so no leading, trailing or doubled '/'), and not text that parses as a CID (a CID always
/// means itself). Anything else is allowed, e.g. <c>sensors</c>, <c>plant-3/temps</c>,
/// <c>Messwerte/Außentemperatur</c>.
/// </summary>
public static class DatasetName
{
    /// <summary>The longest name, in UTF-8 bytes.</summary>
    public const int MaxBytes = 512;

    /// <summary>The character that separates a name from a version number.</summary>
    public const char VersionSeparator = '@';

    /// <summary>The character that separates the segments of a path-like name.</summary>
    public const char SegmentSeparator = '/';

    /// <summary>Checks a name and gives it in the form it is kept in (NFC).</summary>
    /// <param name="name">The text.</param>
    /// <returns><paramref name="name"/> in Unicode NFC.</returns>
    /// <exception cref="InvalidDatasetNameException">The text breaks a rule; the message says which.</exception>
    public static string Validate(string? name) =>
        Problem(name) is { } problem ? throw new InvalidDatasetNameException(name ?? string.Empty, problem) : Normalize(name!);

    /// <summary>
    /// <paramref name="name"/> in Unicode NFC, the form names are kept and compared in (an ASCII
    /// name, as most are, is returned as it is). Checks nothing else. NFC comes from the system's
    /// ICU (libicu, which .NET needs outside invariant mode and Debian installs); on a system
    /// without one, names are kept as given.
    /// </summary>
    public static string Normalize(string name) => UnicodeNfc.Normalize(name);

    /// <summary>Whether names are normalised to NFC on this system (its ICU library was found).</summary>
    public static bool NormalizesToNfc => UnicodeNfc.IsAvailable;

    /// <summary>Whether <paramref name="name"/> follows every rule.</summary>
    /// <param name="name">The text.</param>
    /// <returns>True for a valid name.</returns>
    public static bool IsValid(string? name) => Problem(name) is null;

    /// <summary>The name a Flight PATH descriptor's elements make: the elements joined with '/'.</summary>
    /// <param name="segments">The elements.</param>
    /// <returns>The joined name, validated.</returns>
    /// <exception cref="InvalidDatasetNameException">The joined text is not a valid name.</exception>
    public static string Join(IEnumerable<string> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        return Validate(string.Join(SegmentSeparator, segments));
    }

    /// <summary>The first rule <paramref name="name"/> breaks, in words; null for a valid name.</summary>
    /// <param name="name">The text.</param>
    /// <returns>What is wrong, or null.</returns>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "a name is not empty";
        }

        int bytes = 0;
        for (int i = 0; i < name.Length;)
        {
            if (Rune.DecodeFromUtf16(name.AsSpan(i), out var rune, out int used) != System.Buffers.OperationStatus.Done)
            {
                return "it is not well-formed Unicode (a lone surrogate)";
            }

            if (Rune.IsControl(rune))
            {
                return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"it holds the control character U+{rune.Value:X4}");
            }

            if (HidesText(rune.Value) is { } what)
            {
                return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"it holds U+{rune.Value:X4}, {what}, which makes a name read as another");
            }

            bytes += rune.Utf8SequenceLength;
            i += used;
        }

        if (bytes > MaxBytes)
        {
            return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"it is {bytes} UTF-8 bytes long; a name has at most {MaxBytes}");
        }

        if (name.Contains(VersionSeparator, StringComparison.Ordinal))
        {
            return $"'{VersionSeparator}' is reserved for versions (NAME{VersionSeparator}N)";
        }

        foreach (string segment in name.Split(SegmentSeparator))
        {
            if (segment.Length == 0)
            {
                return $"it has an empty segment (a leading, trailing or doubled '{SegmentSeparator}')";
            }

            if (segment is "." or "..")
            {
                return $"it has a '{segment}' segment";
            }
        }

        return Cid.TryParse(name, out _) ? "it is a CID (a CID always means itself)" : null;
    }

    /// <summary>What a character that reorders or hides text is, or null for any other.</summary>
    private static string? HidesText(int codePoint) => codePoint switch
    {
        0x061C or 0x200E or 0x200F or (>= 0x202A and <= 0x202E) or (>= 0x2066 and <= 0x2069) => "a bidirectional control",
        0x200B or 0x200C or 0x200D or 0x2060 or 0x180E => "a zero-width character",
        0xFEFF => "the byte order mark",
        _ => null,
    };
}

/// <summary>What names content where a CID is expected: a CID, a name (its latest version) or <c>NAME@N</c> (version N).</summary>
/// <param name="Name">The dataset name.</param>
/// <param name="Version">The version asked for; null for the latest.</param>
public sealed record DatasetReference(string Name, long? Version)
{
    /// <summary>Parses <c>NAME</c> or <c>NAME@N</c> (N a decimal number from 1).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The reference.</returns>
    /// <exception cref="InvalidDatasetNameException">The name breaks a rule or the version is not a number from 1.</exception>
    public static DatasetReference Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int at = text.LastIndexOf(DatasetName.VersionSeparator);
        string name = at < 0 ? text : text[..at];
        if (DatasetName.Problem(name) is { } problem)
        {
            throw new InvalidDatasetNameException(text, problem);
        }

        name = DatasetName.Normalize(name);

        if (at < 0)
        {
            return new DatasetReference(name, null);
        }

        string number = text[(at + 1)..];
        return number.Length is > 0 and <= 18 && number[0] != '0' && number.All(char.IsAsciiDigit)
            ? new DatasetReference(name, long.Parse(number, System.Globalization.CultureInfo.InvariantCulture))
            : throw new InvalidDatasetNameException(text, $"the version after '{DatasetName.VersionSeparator}' is a whole number from 1");
    }

    /// <summary>The version this reference names in <paramref name="registry"/>.</summary>
    /// <param name="registry">Where the name's history is kept.</param>
    /// <returns>The version.</returns>
    /// <exception cref="DatasetNotFoundException">The name, or that version of it, does not exist.</exception>
    public NamedVersion Resolve(IRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry.FindVersion(Name, Version)
            ?? throw new DatasetNotFoundException(this, Version is null ? 0 : registry.FindVersion(Name)?.Version ?? 0);
    }

    /// <summary><c>NAME</c>, or <c>NAME@N</c> when a version is given.</summary>
    /// <param name="name">The name.</param>
    /// <param name="version">The version, or null.</param>
    /// <returns>The text.</returns>
    public static string Format(string name, long? version) =>
        version is { } v ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name}{DatasetName.VersionSeparator}{v}") : name;

    /// <summary>The reference as text: <c>NAME</c> or <c>NAME@N</c>.</summary>
    public override string ToString() => Format(Name, Version);
}

/// <summary>Text given as a dataset name, or as <c>NAME@N</c>, breaks the naming rules (<see cref="DatasetName"/>).</summary>
public sealed class InvalidDatasetNameException : FormatException
{
    /// <summary>Names the text and the rule it breaks.</summary>
    /// <param name="text">The text as given.</param>
    /// <param name="problem">Which rule, in words.</param>
    public InvalidDatasetNameException(string text, string problem)
        : base($"'{Shorten(text)}' is not a valid table name: {problem}")
    {
        Text = text;
    }

    /// <summary>Creates the exception with a default message.</summary>
    public InvalidDatasetNameException() : base("not a valid table name")
    {
        Text = string.Empty;
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public InvalidDatasetNameException(string message) : base(message)
    {
        Text = string.Empty;
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public InvalidDatasetNameException(string message, Exception innerException) : base(message, innerException)
    {
        Text = string.Empty;
    }

    /// <summary>The text that was refused.</summary>
    public string Text { get; }

    private static string Shorten(string text)
    {
        // Control characters are shown escaped so the message stays one printable line.
        var shown = new StringBuilder();
        foreach (char c in text.Length <= 80 ? text : text[..80])
        {
            shown.Append(char.IsControl(c) ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:x4}") : c.ToString());
        }

        return text.Length <= 80 ? shown.ToString() : shown + "…";
    }
}

/// <summary>A dataset name, or the version of one, that the registry does not have.</summary>
public sealed class DatasetNotFoundException : KeyNotFoundException
{
    /// <summary>Names what was asked for and, when the name exists, how many versions it has.</summary>
    /// <param name="reference">The name or version asked for.</param>
    /// <param name="latest">The name's latest version number, or 0 when the name has none.</param>
    public DatasetNotFoundException(DatasetReference reference, long latest)
        : base(latest == 0
            ? $"not found: no table is named '{reference?.Name}'"
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"not found: {reference} ('{reference?.Name}' has versions 1 to {latest})"))
    {
        Reference = reference;
    }

    /// <summary>Creates the exception with a default message.</summary>
    public DatasetNotFoundException() : base("table name not found")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public DatasetNotFoundException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public DatasetNotFoundException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>What was asked for, when known.</summary>
    public DatasetReference? Reference { get; }
}
