using ArrowCid.Content.Multiformats;

namespace ArrowCid.Repository;

/// <summary>
/// A block's repository file, open, whose bytes hashed to its CID when last read and are unchanged
/// since (<see cref="BlockReader.TryOpenVerifiedFile"/>): read any part of it, or send it to a
/// socket from the file, as long as this is not disposed. Disposing closes the file.
/// </summary>
public sealed class VerifiedBlockFile : IDisposable
{
    internal VerifiedBlockFile(Cid cid, FileStream file, string path)
    {
        Cid = cid;
        File = file;
        Path = path;
        Length = file.Length;
    }

    /// <summary>The block's CID.</summary>
    public Cid Cid { get; }

    /// <summary>The open file; read it at explicit offsets (<see cref="RandomAccess"/>), its position is not used.</summary>
    public FileStream File { get; }

    /// <summary>The block's length in bytes (the file's when it was opened).</summary>
    public long Length { get; }

    /// <summary>The file's path, for messages.</summary>
    public string Path { get; }

    /// <summary>Closes the file.</summary>
    public void Dispose() => File.Dispose();
}
