namespace ArrowCid.Grpc;

/// <summary>Header names and values fixed by the gRPC over HTTP/2 protocol.</summary>
internal static class GrpcProtocol
{
    public const string ContentType = "application/grpc";
    public const string ContentTypeProto = "application/grpc+proto";
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";
    public const string IdentityEncoding = "identity";
    public const string UserAgent = "arrowcid-grpc-dotnet/1.0";

    /// <summary>Whether a content-type names gRPC with the protobuf (default) message format.</summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (contentType is null)
        {
            return false;
        }

        // Parameters (";charset=...") are allowed after the type.
        int semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        string type = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
        return type.Equals(ContentType, StringComparison.OrdinalIgnoreCase)
            || type.Equals(ContentTypeProto, StringComparison.OrdinalIgnoreCase);
    }
}
