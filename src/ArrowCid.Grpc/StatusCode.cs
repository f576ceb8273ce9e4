namespace ArrowCid.Grpc;

/// <summary>The gRPC status codes; the numbers are the values sent in the <c>grpc-status</c> trailer.</summary>
public enum StatusCode
{
    /// <summary>Success.</summary>
    OK = 0,

    /// <summary>The call was cancelled, usually by the caller.</summary>
    Cancelled = 1,

    /// <summary>An error with no better code, e.g. an exception in a handler.</summary>
    Unknown = 2,

    /// <summary>The caller sent an argument that is invalid whatever the server's state.</summary>
    InvalidArgument = 3,

    /// <summary>The deadline passed before the call finished.</summary>
    DeadlineExceeded = 4,

    /// <summary>A requested entity was not found.</summary>
    NotFound = 5,

    /// <summary>The entity the caller tried to create already exists.</summary>
    AlreadyExists = 6,

    /// <summary>The caller may not do this.</summary>
    PermissionDenied = 7,

    /// <summary>A resource ran out, e.g. a message exceeded the size limit.</summary>
    ResourceExhausted = 8,

    /// <summary>The system is not in a state the operation needs.</summary>
    FailedPrecondition = 9,

    /// <summary>The operation was aborted, e.g. by a concurrency conflict.</summary>
    Aborted = 10,

    /// <summary>The operation went past a valid range.</summary>
    OutOfRange = 11,

    /// <summary>The method is not implemented or not supported.</summary>
    Unimplemented = 12,

    /// <summary>An invariant broke; a protocol error.</summary>
    Internal = 13,

    /// <summary>The service is unavailable for now; the call may be retried.</summary>
    Unavailable = 14,

    /// <summary>Data was lost or corrupted beyond recovery.</summary>
    DataLoss = 15,

    /// <summary>The caller has no valid credentials.</summary>
    Unauthenticated = 16,
}
