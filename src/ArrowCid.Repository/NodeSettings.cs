using ArrowCid.Wire;

namespace ArrowCid.Repository;

/// <summary>
/// What a repository folder remembers of the node that serves it (<c>node.json</c>): the registry
/// it shares with other nodes, so that every command run on the folder (<c>gc</c> above all, which
/// must keep what any node's names and pins keep) uses that registry without being told; and
/// where the node was last reachable, the location it is recorded under in that registry. The
/// file may hold the registry's password, so it is readable by its owner only (and the group of a shared repository, whose members run gc too).
/// </summary>
/// <param name="Registry">The shared registry's URL, or null when the node uses the repository's own.</param>
/// <param name="Location">The node's Flight location as recorded in the shared registry, when known.</param>
/// <param name="ProcessId">The process that last served the folder.</param>
/// <param name="Started">When it started.</param>
/// <param name="Blocks">The durable tier the node keeps blocks in too (<c>s3://BUCKET/PREFIX</c>), or null: what <c>gc</c> and <c>verify</c> on the folder work on as well.</param>
public sealed record NodeSettings(string? Registry, string? Location, int? ProcessId = null, DateTimeOffset? Started = null, string? Blocks = null)
{
    /// <summary>The file's name in the repository folder.</summary>
    public const string FileName = "node.json";

    /// <summary>The settings a folder remembers, or null when no node has served it with any.</summary>
    /// <exception cref="InvalidDataException">The file is not what this class writes.</exception>
    public static NodeSettings? Read(string root)
    {
        string path = Path.Combine(root, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var file = WireJson.Read(File.ReadAllBytes(path), WireJsonContext.Default.NodeSettingsFile, path);
            return new NodeSettings(file.Registry, file.Location, file.Pid, file.Started, file.Blocks);
        }
        catch (WireFormatException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }

    /// <summary>Writes the settings into the folder atomically (a temporary file renamed over the old), owner-only.</summary>
    public void Write(string root)
    {
        string path = Path.Combine(root, FileName);
        string temp = path + ".tmp";
        using (var file = Arrow.IO.PrivateFiles.Open(temp, FileMode.Create, FileAccess.Write, FileShare.Read))
        using (var writer = new StreamWriter(file))
        {
            writer.Write(WireJson.ToIndentedText(new NodeSettingsFile(Registry, Location, ProcessId, Started, Blocks), WireJsonContext.Default.NodeSettingsFile));
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// The registry a node starting on the folder uses: the one asked for, else the one
    /// remembered. Asking for another than the one remembered is refused: the folder's blocks are
    /// recorded in that registry, and a node in another would collect them as garbage.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another registry was asked for.</exception>
    public static string? ResolveRegistry(NodeSettings? remembered, string? asked)
    {
        if (asked is null || remembered?.Registry is null || string.Equals(asked, remembered.Registry, StringComparison.Ordinal))
        {
            return asked ?? remembered?.Registry;
        }

        throw new InvalidOperationException(
            $"this repository's node shares the registry {Redacted(remembered.Registry)}, not {Redacted(asked)}; its blocks are recorded there (serve it with that registry, or use another --repo)");
    }

    /// <summary>A registry URL without its password, to print.</summary>
    public static string Redacted(string url)
    {
        int at = url.IndexOf('@', StringComparison.Ordinal);
        int scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0 && at > scheme)
        {
            int colon = url.IndexOf(':', scheme + 3);
            if (colon >= 0 && colon < at)
            {
                return string.Concat(url.AsSpan(0, colon + 1), "***", url.AsSpan(at));
            }
        }

        int password = url.IndexOf("Password=", StringComparison.OrdinalIgnoreCase);
        if (password >= 0)
        {
            int end = url.IndexOf(';', password);
            return string.Concat(url.AsSpan(0, password + 9), "***", end < 0 ? string.Empty : url[end..]);
        }

        return url;
    }
}

/// <summary>
/// The one node serving a repository folder: held on <c>node.lock</c> with flock(2) for the node's
/// life, so a second node on the same folder is refused (the kernel drops the hold when the node
/// dies, so a killed node never leaves the folder claimed).
/// </summary>
public sealed class NodeLease : IDisposable
{
    /// <summary>The lock file's name in the repository folder.</summary>
    public const string FileName = "node.lock";

    private readonly FileStream _file;

    private NodeLease(FileStream file) => _file = file;

    /// <summary>Claims the folder for this process.</summary>
    /// <exception cref="InvalidOperationException">Another node serves it; the message names it.</exception>
    public static NodeLease Acquire(string root)
    {
        string path = Path.Combine(root, FileName);
        try
        {
            return new NodeLease(Arrow.IO.PrivateFiles.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e)
        {
            NodeSettings? running = null;
            try
            {
                running = NodeSettings.Read(root);
            }
            catch (InvalidDataException)
            {
                // What runs cannot be told: the refusal says so.
            }

            string who = running is { ProcessId: { } pid }
                ? $"process {pid}{(running.Location is { } at ? $" at {at}" : string.Empty)}{(running.Started is { } since ? $", started {since:u}" : string.Empty)}"
                : "another process";
            throw new InvalidOperationException($"{root} is already served by {who}: one node per repository folder", e);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();
}
