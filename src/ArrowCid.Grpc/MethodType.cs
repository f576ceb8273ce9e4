namespace ArrowCid.Grpc;

/// <summary>The four kinds of gRPC call, by how many messages go each way.</summary>
public enum MethodType
{
    /// <summary>One request, one response.</summary>
    Unary,

    /// <summary>A request stream, one response.</summary>
    ClientStreaming,

    /// <summary>One request, a response stream.</summary>
    ServerStreaming,

    /// <summary>A request stream and a response stream at once.</summary>
    DuplexStreaming,
}
