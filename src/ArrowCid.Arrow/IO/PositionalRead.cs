using Microsoft.Win32.SafeHandles;

namespace ArrowCid.Arrow.IO;

/// <summary>Reads at a position of an open file (pread), as many calls as it takes.</summary>
public static class PositionalRead
{
    /// <summary>
    /// Reads from <paramref name="offset"/> into <paramref name="destination"/> until it is full or
    /// the file ends: one read may return fewer bytes than asked, so a short count means the end.
    /// What a short read means (a damaged copy, a file changed underneath) is the caller's to say.
    /// </summary>
    /// <param name="file">An open file.</param>
    /// <param name="destination">Where the bytes go.</param>
    /// <param name="offset">Where in the file to start.</param>
    /// <returns>How many bytes were read: less than the destination's length only at the file's end.</returns>
    public static int Fill(SafeFileHandle file, Span<byte> destination, long offset)
    {
        int filled = 0;
        while (filled < destination.Length)
        {
            int read = RandomAccess.Read(file, destination[filled..], offset + filled);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled;
    }
}
