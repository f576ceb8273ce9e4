namespace ArrowCid.Grpc;

/// <summary>
/// A call ended with a non-OK status. Handlers throw it to choose the status the client sees;
/// clients get it when the server (or the transport) ends a call with one.
/// </summary>
public sealed class RpcException : Exception
{
    /// <summary>Creates the exception for a status.</summary>
    public RpcException(Status status)
        : this(status, new Metadata())
    {
    }

    /// <summary>Creates the exception for a status and the trailers that go with it.</summary>
    public RpcException(Status status, Metadata trailers)
        : base(status.ToString())
    {
        ArgumentNullException.ThrowIfNull(trailers);
        Status = status;
        Trailers = trailers;
    }

    /// <summary>Creates the exception for a status code and detail.</summary>
    public RpcException(StatusCode code, string detail)
        : this(new Status(code, detail))
    {
    }

    /// <summary>Creates an <see cref="StatusCode.Unknown"/> exception (for serializers and tools).</summary>
    public RpcException()
        : this(new Status(StatusCode.Unknown, string.Empty))
    {
    }

    /// <summary>Creates an <see cref="StatusCode.Unknown"/> exception with a detail.</summary>
    public RpcException(string message)
        : this(new Status(StatusCode.Unknown, message))
    {
    }

    /// <summary>Creates an <see cref="StatusCode.Unknown"/> exception with a detail and a cause.</summary>
    public RpcException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = new Status(StatusCode.Unknown, message);
        Trailers = new Metadata();
    }

    /// <summary>The call's status.</summary>
    public Status Status { get; }

    /// <summary>The status code.</summary>
    public StatusCode StatusCode => Status.StatusCode;

    /// <summary>Custom trailers sent (server) or received (client) with the status.</summary>
    public Metadata Trailers { get; }
}
