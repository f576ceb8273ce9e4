namespace ArrowCid.Gateway;

/// <summary>
/// A request the gateway refuses, with the HTTP status that says why (4xx for what the client sent
/// or asked for). Thrown by handlers before the response starts; <see cref="GatewayProblem"/>
/// answers it as <c>application/problem+json</c>.
/// </summary>
public sealed class GatewayException : Exception
{
    /// <summary>A refusal with <paramref name="status"/> and a message for the client.</summary>
    public GatewayException(int status, string message)
        : base(message) => Status = status;

    /// <summary>A refusal caused by <paramref name="inner"/>.</summary>
    public GatewayException(int status, string message, Exception inner)
        : base(message, inner) => Status = status;

    /// <inheritdoc />
    public GatewayException()
        : this(400, "bad request")
    {
    }

    /// <inheritdoc />
    public GatewayException(string message)
        : this(400, message)
    {
    }

    /// <inheritdoc />
    public GatewayException(string message, Exception inner)
        : this(400, message, inner)
    {
    }

    /// <summary>The HTTP status code of the answer.</summary>
    public int Status { get; }
}
