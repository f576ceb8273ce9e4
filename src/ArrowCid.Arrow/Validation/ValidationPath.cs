namespace ArrowCid.Arrow.Validation;

/// <summary>
/// Where in a batch the array being checked sits, e.g. <c>column 2 'b' → child 0 'item'</c>.
/// An immutable linked list so that descending into a child costs one small allocation and the
/// text is only built when something is wrong.
/// </summary>
internal sealed class ValidationPath
{
    private readonly ValidationPath? _parent;
    private readonly string _step;

    private ValidationPath(ValidationPath? parent, string step, int depth)
    {
        _parent = parent;
        _step = step;
        Depth = depth;
    }

    /// <summary>Nesting depth: 0 for the root array.</summary>
    public int Depth { get; }

    public static ValidationPath Root(string step) => new(null, step, 0);

    public ValidationPath Child(int index, string name) => new(this, $"child {index} '{name}'", Depth + 1);

    public ValidationPath DictionaryValues() => new(this, "dictionary", Depth + 1);

    public ArrowFormatException Error(string problem) => new($"{this}: {problem}");

    public override string ToString() => _parent is null ? _step : $"{_parent} → {_step}";
}
