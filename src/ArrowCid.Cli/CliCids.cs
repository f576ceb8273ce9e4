using ArrowCid.Content;
using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;

namespace ArrowCid.Cli;

/// <summary>
/// What the command line accepts wherever it takes content: a CID, or a dataset name standing for
/// its latest version, or <c>NAME@N</c> for version N. Text that parses as a CID is that CID;
/// anything else is looked up as a name. Failures name the text the user gave.
/// </summary>
internal static class CliCids
{
    /// <summary>A CID and nothing else (for commands that have no registry to look names up in).</summary>
    public static Cid Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            return Cid.Parse(text);
        }
        catch (ContentFormatException e)
        {
            throw new CliException($"malformed CID '{text}': {e.Message}", e);
        }
    }

    /// <summary>A CID, or the CID a name (or <c>NAME@N</c>) points at in <paramref name="registry"/>.</summary>
    /// <exception cref="CliException">Neither a CID nor a known name.</exception>
    /// <exception cref="DatasetNotFoundException">The name exists but not that version.</exception>
    public static Cid Resolve(string text, IRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var (cid, reference) = ParseCidOrName(text);
        if (cid is not null)
        {
            return cid;
        }

        if (registry.FindVersion(reference!.Name, reference.Version) is { } version)
        {
            return version.Cid;
        }

        // A name that exists, asked for a version it lacks: say which versions there are. Text that
        // is a well-formed name was most likely meant as one: the unknown name comes first.
        return registry.FindVersion(reference.Name) is null
            ? throw UnknownName(text, reference)
            : reference.Resolve(registry).Cid;
    }

    /// <summary>
    /// A CID, or else a well-formed <c>NAME</c> / <c>NAME@N</c> left for someone else to resolve
    /// (a Flight node); text that is neither fails naming it.
    /// </summary>
    /// <exception cref="CliException">Neither a CID nor a well-formed name.</exception>
    public static (Cid? Cid, DatasetReference? Name) ParseCidOrName(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Cid.TryParse(text, out var cid))
        {
            return (cid, null);
        }

        try
        {
            return (null, DatasetReference.Parse(text));
        }
        catch (InvalidDatasetNameException e)
        {
            throw NeitherCidNorName(text, $"nor is it a dataset name ({e.Message})");
        }
    }

    private static CliException UnknownName(string text, DatasetReference reference)
    {
        string asCid = Cid.TryParse(text, out _) ? "" : " (nor is it a CID)";
        return new CliException($"not found: no dataset is named '{reference.Name}'{asCid}");
    }

    private static CliException NeitherCidNorName(string text, string why)
    {
        try
        {
            Cid.Parse(text);
        }
        catch (ContentFormatException e)
        {
            return new CliException($"malformed CID '{text}': {e.Message}; {why}", e);
        }

        return new CliException($"'{text}': {why}");
    }
}
