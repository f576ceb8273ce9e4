using ArrowCid.Repository;
using ArrowCid.Wire;

namespace ArrowCid.Cli;

/// <summary>
/// <c>gc --json</c>'s document written as the collection goes: the removed records' CIDs, then the
/// removed unregistered blocks' (the collection reports every registered one before any other), each
/// array written item by item, and then the totals (<see cref="GcSummary"/>); a collection of
/// millions of blocks is one JSON document and never held whole.
/// </summary>
/// <param name="output">Where the document goes.</param>
internal sealed class GcJsonOutput(TextWriter output) : IDisposable
{
    private bool? _inRecords;
    private bool _hasItems;

    /// <summary>Adds one removed block to its array.</summary>
    public void Add(GcRemoval removal)
    {
        OpenRecords();
        if (_inRecords == true && !removal.Registered)
        {
            CloseRecords();
        }
        else if (_inRecords == false && removal.Registered)
        {
            throw new InvalidOperationException("gc reported a removed record after an unregistered block");
        }

        // A CID's text is base32 (letters and digits): nothing in it needs escaping.
        output.Write(_hasItems ? ",\n    \"" : "\n    \"");
        output.Write(removal.Cid.ToString());
        output.Write('"');
        _hasItems = true;
    }

    /// <summary>Closes the arrays (empty ones for what nothing was reported for); <see cref="Finish"/> then writes the totals.</summary>
    public void Dispose()
    {
        OpenRecords();
        if (_inRecords == true)
        {
            CloseRecords();
        }

        output.Write(_hasItems ? "\n  ]" : "]");
    }

    /// <summary>Ends the document with the members of the totals' indented document (<paramref name="totals"/>, as <see cref="WireJson.ToIndentedText{T}"/> writes it).</summary>
    public static void Finish(TextWriter output, string totals)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(totals);
        if (!totals.StartsWith('{'))
        {
            throw new ArgumentException("not a JSON object", nameof(totals));
        }

        string members = totals[1..].TrimStart('\n', '\r');
        output.WriteLine(members.StartsWith('}') ? "\n}" : ",\n" + members);
    }

    // The document's start and the records' array, once.
    private void OpenRecords()
    {
        if (_inRecords is null)
        {
            output.Write($"{{\n  \"{GcSummary.RemovedRecordsMember}\": [");
            _inRecords = true;
        }
    }

    private void CloseRecords()
    {
        output.Write(_hasItems ? $"\n  ],\n  \"{GcSummary.RemovedOrphansMember}\": [" : $"],\n  \"{GcSummary.RemovedOrphansMember}\": [");
        _inRecords = false;
        _hasItems = false;
    }
}
