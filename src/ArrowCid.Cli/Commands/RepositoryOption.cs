using System.CommandLine;
using ArrowCid.Node;
using ArrowCid.Registry;
using ArrowCid.Repository;

namespace ArrowCid.Cli.Commands;

/// <summary>The global <c>--repo DIR</c> option and the opening of the repository it names.</summary>
internal sealed class RepositoryOption
{
    public Option<string?> Option { get; } = new("--repo")
    {
        Description = $"Repository folder (default: ${LocalRepository.EnvironmentVariable}, else ~/.arrowcid)",
        HelpName = "DIR",
        Recursive = true,
    };

    /// <summary>The <c>--blocks s3://BUCKET/PREFIX</c> option of the commands that work on the folder's bucket too (put, get, cat, exports, sql, gc, verify): the durable tier of the folder's node (else <c>ARROWCID_BLOCKS</c>, else what the folder remembers).</summary>
    public Option<string?> Blocks { get; } = new("--blocks")
    {
        Description = "The bucket the folder's node keeps blocks in too, s3://BUCKET/PREFIX (default: $ARROWCID_BLOCKS, else the one 'serve --blocks' recorded in the folder), worked on as well; endpoint and credentials from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the shared files",
        HelpName = "URL",
    };

    /// <summary>Opens (creating if needed) the repository the command line names; failures name the folder.</summary>
    public ContentRepository Open(ParseResult parse)
    {
        string path = LocalRepository.ResolvePath(parse.GetValue(Option));
        return CliErrors.About(path, () => ContentRepository.Open(path));
    }

    /// <summary>
    /// Before a table is read from the folder: what its node's cache evicted is copied back from
    /// the node's bucket (<see cref="NodeFolder.FetchMissingAsync"/>; the bucket is
    /// <c>--blocks</c>, else <c>ARROWCID_BLOCKS</c>, else the one the folder remembers); a bucket
    /// that cannot be reached is the command's one-line error.
    /// </summary>
    public void FetchMissing(ParseResult parse, ContentRepository content, params IReadOnlyList<Content.Multiformats.Cid> cids)
    {
        try
        {
            NodeFolder.FetchMissingAsync(content, BlocksOf(parse), cids).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is FormatException or ObjectStorage.ObjectStoreException or Content.BlockNotFoundException)
        {
            throw new CliException($"{string.Join(", ", cids)}: not all here, and not read from the node's bucket: {e.Message}", e);
        }
    }

    /// <summary>
    /// The publication of a put on a node's folder (<see cref="NodeFolder.ForPut"/>; null: the
    /// folder's own registry is all there is); a bucket that cannot be opened is the command's
    /// one-line error before anything is stored.
    /// </summary>
    public static ServiceRegistry.PutPublication? OpenPublication(NodeFolder node)
    {
        try
        {
            return node.ForPut();
        }
        catch (Exception e) when (e is FormatException or ObjectStorage.ObjectStoreException)
        {
            throw new CliException($"--blocks: {e.Message}", e);
        }
    }

    /// <summary>A read that may go to the node's bucket (<see cref="NodeFolder.ReadFromBucket"/>): a bucket that cannot be reached or named is the command's one-line error.</summary>
    /// <param name="read">The read.</param>
    /// <returns>What it returned.</returns>
    public static T FromBucket<T>(Func<T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        try
        {
            return read();
        }
        catch (Exception e) when (e is FormatException or ObjectStorage.ObjectStoreException)
        {
            throw new CliException($"--blocks: {e.Message}", e);
        }
    }

    /// <summary>
    /// Runs a put that publishes through a node's folder (<see cref="OpenPublication"/>): when the
    /// node's bucket or shared registry does not take what was stored, the command's one-line
    /// error says so, naming <paramref name="what"/>. What was stored stays in the folder, pinned
    /// there, and is not acknowledged beyond it.
    /// </summary>
    /// <param name="what">What was put, as the error names it.</param>
    /// <param name="put">The put.</param>
    /// <returns>What the put returned.</returns>
    public static T Publishing<T>(string what, Func<T> put)
    {
        ArgumentNullException.ThrowIfNull(put);
        try
        {
            return put();
        }
        catch (Exception e) when (e is ObjectStorage.ObjectStoreException or Registry.RegistryUnavailableException)
        {
            throw new CliException($"{what}: stored in the folder, not published by its node: {e.Message}", e);
        }
    }

    /// <summary>Opens the repository with the registry its node shares, when it remembers one (<see cref="NodeFolder"/>).</summary>
    public NodeFolder OpenNode(ParseResult parse) => NodeFolder.Open(Open(parse), BlocksOf(parse));

    // --blocks, else ARROWCID_BLOCKS (as serve reads it too; unset or empty: none); null: what the folder remembers.
    private string? BlocksOf(ParseResult parse) => parse.GetValue(Blocks) ??
        (Environment.GetEnvironmentVariable("ARROWCID_BLOCKS") is { Length: > 0 } blocks ? blocks : null);
}
