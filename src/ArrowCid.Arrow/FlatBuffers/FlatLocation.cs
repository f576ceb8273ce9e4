namespace ArrowCid.Arrow.FlatBuffers;

/// <summary>
/// Where in a flatbuffer a read is (the root, a field of a table, an element of a vector), for
/// the message of the error a malformed buffer gets. Its text is made only when an error is
/// thrown: a well-formed read, which follows a dozen offsets per Arrow message, formats nothing.
/// </summary>
internal readonly struct FlatLocation
{
    private readonly string? _name;
    private readonly bool _isElement;
    private readonly int _index;
    private readonly int _position;

    private FlatLocation(string? name, bool isElement, int index, int position)
    {
        _name = name;
        _isElement = isElement;
        _index = index;
        _position = position;
    }

    /// <summary>A place with a fixed name (e.g. the root table).</summary>
    public static FlatLocation Named(string name) => new(name, false, 0, 0);

    /// <summary>Field <paramref name="field"/> of the table at <paramref name="table"/>.</summary>
    public static FlatLocation Field(int field, int table) => new(null, false, field, table);

    /// <summary>Element <paramref name="index"/> of the vector whose length is at <paramref name="vector"/>.</summary>
    public static FlatLocation Element(int index, int vector) => new(null, true, index, vector);

    /// <inheritdoc/>
    public override string ToString() =>
        _name ?? (_isElement ? $"element {_index} of vector at {_position}" : $"field {_index} of table at {_position}");
}
