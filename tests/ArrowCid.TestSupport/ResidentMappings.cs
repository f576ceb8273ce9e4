namespace ArrowCid.TestSupport;

/// <summary>What of this process's file mappings is resident, from /proc/self/smaps (Linux).</summary>
public static class ResidentMappings
{
    /// <summary>
    /// Resident KiB of the mappings of files <paramref name="mapped"/> accepts, given the file's
    /// path and the mapping's file offset (hexadecimal, as smaps prints it).
    /// </summary>
    public static int KiB(Func<string, string, bool> mapped)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        int resident = 0;
        bool counting = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            // A mapping's line: "start-end perms offset dev inode [path]"; then "Key: value kB" lines.
            string[] fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (!fields[0].EndsWith(':'))
            {
                counting = fields.Length == 6 && mapped(fields[5].Trim(), fields[2]);
            }
            else if (counting && fields[0] == "Rss:")
            {
                resident += int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return resident;
    }
}
