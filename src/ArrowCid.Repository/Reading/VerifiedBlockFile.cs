using ArrowCid.Arrow.IO;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content;
using ArrowCid.Content.Stores;
using Microsoft.Win32.SafeHandles;

namespace ArrowCid.Repository;

/// <summary>
/// A repository block file, open, whose length and write time are those it had when it last hashed
/// to its CID (see <see cref="BlockReader.TryOpenVerifiedFile"/>): its bytes may be read straight
/// into a caller's memory, such as a socket's output buffer, with no buffer of the reader's own and
/// no hashing. Dispose it to close the file.
/// </summary>
public sealed class VerifiedBlockFile : IDisposable
{
    private readonly SafeFileHandle _file;

    internal VerifiedBlockFile(Cid cid, SafeFileHandle file, int length, string path)
    {
        Cid = cid;
        _file = file;
        Length = length;
        Path = path;
    }

    /// <summary>The block's CID.</summary>
    public Cid Cid { get; }

    /// <summary>The block's length in bytes (the file's, as verified).</summary>
    public int Length { get; }

    /// <summary>The file's path, for messages.</summary>
    public string Path { get; }

    /// <summary>Reads the whole block into the first <see cref="Length"/> bytes of <paramref name="destination"/>.</summary>
    /// <param name="destination">At least <see cref="Length"/> bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the block.</exception>
    /// <exception cref="BlockCorruptedException">The file ended before <see cref="Length"/> bytes (block files are replaced by rename, never truncated: damage).</exception>
    public void ReadInto(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException($"{Length} bytes are needed for {Cid}, {destination.Length} were given", nameof(destination));
        }

        int filled = PositionalRead.Fill(_file, destination[..Length], 0);
        if (filled < Length)
        {
            throw new BlockCorruptedException(Cid, $"the stored copy at {Path} ended after {filled} of its {Length} bytes");
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _file.Dispose();
}
