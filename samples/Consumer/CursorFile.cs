using System.Globalization;

namespace ArrowCid.Samples.Consumer;

/// <summary>
/// The consumer's position in the feed, saved after every notice it handled (temp + rename, so a
/// crash leaves the old or the new value): a restart resumes after it, missing nothing and
/// repeating nothing.
/// </summary>
internal sealed class CursorFile(string path)
{
    /// <summary>The saved position, or null when nothing was saved yet.</summary>
    public long? TryLoad() => File.Exists(path) ? long.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture) : null;

    public void Save(long sequence)
    {
        string temp = path + ".tmp";
        File.WriteAllText(temp, sequence.ToString(CultureInfo.InvariantCulture));
        File.Move(temp, path, overwrite: true);
    }
}
