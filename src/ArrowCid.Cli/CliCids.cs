using ArrowCid.Content;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Cli;

/// <summary>CIDs typed on the command line: a malformed one fails naming the text the user gave.</summary>
internal static class CliCids
{
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
}
