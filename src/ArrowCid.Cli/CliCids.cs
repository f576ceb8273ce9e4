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

    /// <summary>
    /// As <see cref="Resolve(string, IRegistry)"/> in the registry of the folder's node (the one it
    /// shares, else its own), and also <c>/ipns/k51…</c>: the table its record names, once the
    /// record and the chain back to version 1 verify from the blocks held here.
    /// </summary>
    /// <exception cref="Names.NameChainException">The record or chain does not verify, naming what failed.</exception>
    public static Cid Resolve(string text, Node.NodeFolder node)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(node);
        if (!text.StartsWith("/ipns/", StringComparison.Ordinal))
        {
            return Resolve(text, node.Registry);
        }

        var name = Names.IpnsName.TryParse(text) ?? throw new CliException($"'{text}' is not an IPNS name (/ipns/k51…)");
        return node.Names.Resolve(name).Head.Table;
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

        // A name that exists, asked for a version it lacks: say which versions there are. Otherwise
        // the likelier cause first: text that starts as CIDs do (bafy…, bafk…, Qm…) was meant as
        // one, any other well-formed name as a name.
        return registry.FindVersion(reference.Name) is not null ? reference.Resolve(registry).Cid
            : LooksLikeCid(text) ? throw NeitherCidNorName(text, $"no table is named '{reference.Name}' either")
            : throw UnknownName(text, reference);
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
            throw NeitherCidNorName(text, $"nor is it a table name ({e.Message})");
        }
    }

    // CIDv1 in base32 (every CID this product prints) starts "baf"; a CIDv0 is "Qm" and 44 more.
    private static bool LooksLikeCid(string text) =>
        text.StartsWith("baf", StringComparison.Ordinal) || (text.StartsWith("Qm", StringComparison.Ordinal) && text.Length >= 40);

    private static CliException UnknownName(string text, DatasetReference reference) =>
        new($"not found: no table is named '{reference.Name}'{(text == reference.Name ? " (nor is it a CID)" : "")}");

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
