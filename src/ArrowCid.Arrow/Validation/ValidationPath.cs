namespace ArrowCid.Arrow.Validation;

/// <summary>
/// Where in a batch the array being checked sits, e.g. <c>column 2 'b' → child 0 'item'</c>.
/// An immutable linked list so that descending into a child costs one small allocation and the
/// text is only built when something is wrong.
/// </summary>
internal sealed class ValidationPath
{
    // A step is a fixed word, or "column i 'name'" / "child i 'name'", written out only when an
    // error is thrown: a well-formed batch's checks format no text.
    private readonly ValidationPath? _parent;
    private readonly string _step;
    private readonly int _index;
    private readonly string? _name;
    private readonly string? _within;

    private ValidationPath(ValidationPath? parent, string step, int depth, int index = 0, string? name = null, string? within = null)
    {
        _parent = parent;
        _step = step;
        Depth = depth;
        _index = index;
        _name = name;
        _within = within;
    }

    /// <summary>Nesting depth: 0 for the root array.</summary>
    public int Depth { get; }

    public static ValidationPath Root(string step) => new(null, step, 0);

    /// <summary>Column <paramref name="index"/> '<paramref name="name"/>', of <paramref name="within"/> when given (e.g. "record batch column 2 'b'").</summary>
    public static ValidationPath Column(int index, string name, string? within = null) => new(null, "column", 0, index, name, within);

    public ValidationPath Child(int index, string name) => new(this, "child", Depth + 1, index, name);

    public ValidationPath DictionaryValues() => new(this, "dictionary", Depth + 1);

    public ArrowFormatException Error(string problem) => new($"{this}: {problem}");

    public override string ToString()
    {
        string step = _name is null ? _step : $"{_step} {_index} '{_name}'";
        return _parent is not null ? $"{_parent} → {step}" : _within is not null ? $"{_within} {step}" : step;
    }
}
