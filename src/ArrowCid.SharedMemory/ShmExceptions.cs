using ArrowCid.Content.Multiformats;

namespace ArrowCid.SharedMemory;

/// <summary>A failure of the shared-memory store (an I/O failure in the widest sense).</summary>
public class ShmException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ShmException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ShmException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public ShmException() : base("shared-memory store failure") { }
}

/// <summary>No segment holds the CID (never published here, or evicted).</summary>
public sealed class ShmSegmentNotFoundException : ShmException
{
    /// <summary>Creates the exception for <paramref name="cid"/>.</summary>
    public ShmSegmentNotFoundException(Cid cid) : base($"{cid}: no shared-memory segment holds it (not published here, or evicted)") => Cid = cid;

    /// <summary>Creates the exception for <paramref name="cid"/>, a part of something asked for (a table's chunk or node), with a message naming both.</summary>
    public ShmSegmentNotFoundException(Cid cid, string message) : base(message) => Cid = cid;

    /// <summary>Creates the exception.</summary>
    public ShmSegmentNotFoundException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public ShmSegmentNotFoundException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public ShmSegmentNotFoundException() { }

    /// <summary>The CID asked for, when known.</summary>
    public Cid? Cid { get; }
}

/// <summary>A segment's bytes do not hash to its CID or are not a valid canonical stream: it was refused.</summary>
public sealed class ShmSegmentCorruptedException : ShmException
{
    /// <summary>Creates the exception.</summary>
    public ShmSegmentCorruptedException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ShmSegmentCorruptedException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public ShmSegmentCorruptedException() { }
}

/// <summary>The store's capacity cannot take a segment: everything left is pinned or leased.</summary>
public sealed class ShmStoreFullException : ShmException
{
    /// <summary>Creates the exception.</summary>
    public ShmStoreFullException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ShmStoreFullException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public ShmStoreFullException() { }
}

/// <summary>The store's control file or notification feed is malformed.</summary>
public sealed class ShmFeedCorruptedException : ShmException
{
    /// <summary>Creates the exception.</summary>
    public ShmFeedCorruptedException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ShmFeedCorruptedException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public ShmFeedCorruptedException() { }
}

/// <summary>
/// A store's folder another user could read or change (made by another user, open to others, a
/// symbolic link): refused, never used. The message names the folder and the problem.
/// </summary>
public sealed class ShmFolderRefusedException : UnauthorizedAccessException
{
    /// <summary>Creates the exception.</summary>
    public ShmFolderRefusedException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ShmFolderRefusedException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception.</summary>
    public ShmFolderRefusedException() : base("the shared-memory store's folder was refused") { }
}
