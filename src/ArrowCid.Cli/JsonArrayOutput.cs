namespace ArrowCid.Cli;

/// <summary>
/// One JSON array written item by item as a listing streams in (<c>--json</c> of a listing): "["
/// before the first item, "]" when disposed, so a listing of any length is one JSON document and
/// never held whole.
/// </summary>
/// <param name="output">Where the document goes.</param>
internal sealed class JsonArrayOutput(TextWriter output) : IDisposable
{
    private bool _started;

    /// <summary>Adds one item, given as an indented JSON document.</summary>
    public void Add(string item)
    {
        output.Write(_started ? ",\n  " : "[\n  ");
        output.Write(item.ReplaceLineEndings("\n  "));
        _started = true;
    }

    /// <inheritdoc/>
    public void Dispose() => output.WriteLine(_started ? "\n]" : "[]");
}
