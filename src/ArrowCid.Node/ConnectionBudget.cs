using System.Globalization;

namespace ArrowCid.Node;

/// <summary>
/// How many connections each face of a node may hold at once (issue 65): a process that runs out
/// of file descriptors fails far from its listeners (an assembly or a database file that cannot be
/// opened), so connections stop short of the limit. The default leaves <see cref="Reserve"/>
/// descriptors beyond those open at the start, and shares the rest between the faces; a face at
/// its cap closes each new connection at once and keeps serving the ones it has.
/// </summary>
public static class ConnectionBudget
{
    /// <summary>Descriptors kept for everything but connections: files, the registry, pipes, what the runtime loads later.</summary>
    public const int Reserve = 256;

    /// <summary>The least a face may hold, however low the limit.</summary>
    public const int Minimum = 16;

    /// <summary>Connections each of <paramref name="faces"/> faces may hold: (soft descriptor limit − descriptors open now − <see cref="Reserve"/>) / faces, at least <see cref="Minimum"/>; unbounded (null) where the limit cannot be read or is unlimited.</summary>
    public static int? PerFace(int faces)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(faces, 1);
        if (SoftDescriptorLimit() is not { } limit)
        {
            return null;
        }

        long open = OpenDescriptors() ?? 0;
        long each = (limit - open - Reserve) / faces;
        return (int)Math.Clamp(each, Minimum, int.MaxValue);
    }

    /// <summary>
    /// Connections one client address may hold on a face that holds <paramref name="perFace"/>: a
    /// quarter of them, at least <see cref="Minimum"/> (and at most all); unbounded (null) when the face is.
    /// </summary>
    public static int? PerAddress(int? perFace) =>
        perFace is { } all ? Math.Min(all, Math.Max(Minimum, all / 4)) : null;

    /// <summary>The soft RLIMIT_NOFILE from /proc/self/limits ("Max open files"); null when unlimited or unknown.</summary>
    internal static long? SoftDescriptorLimit()
    {
        const string Label = "Max open files";
        try
        {
            foreach (string line in File.ReadLines("/proc/self/limits"))
            {
                if (line.StartsWith(Label, StringComparison.Ordinal))
                {
                    string soft = line[Label.Length..].TrimStart().Split(' ', 2)[0];
                    return long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : null;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    private static long? OpenDescriptors()
    {
        try
        {
            return Directory.EnumerateFileSystemEntries("/proc/self/fd").LongCount();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
