namespace ArrowCid.Grpc;

/// <summary>Rules for metadata keys: which are legal, which are binary, which the transport reserves.</summary>
internal static class MetadataKey
{
    /// <summary>Lower-cases and validates a key given by application code.</summary>
    public static string Normalize(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        string lower = key.ToLowerInvariant();
        foreach (char c in lower)
        {
            bool legal = c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.';
            if (!legal)
            {
                throw new ArgumentException($"metadata key '{key}' has '{c}'; keys may use only a-z 0-9 - _ .", nameof(key));
            }
        }

        if (IsReserved(lower))
        {
            throw new ArgumentException($"metadata key '{key}' is reserved by the gRPC transport", nameof(key));
        }

        return lower;
    }

    /// <summary>Whether a key names binary (base64 on the wire) metadata.</summary>
    public static bool IsBinary(string key) => key.EndsWith("-bin", StringComparison.Ordinal);

    /// <summary>
    /// Headers that belong to HTTP or to the gRPC protocol itself; they are never exposed as custom
    /// metadata and applications may not set them.
    /// </summary>
    public static bool IsReserved(string lowerKey) =>
        lowerKey.StartsWith("grpc-", StringComparison.Ordinal)
        || lowerKey.StartsWith(':')
        || lowerKey is "content-type" or "te" or "host" or "content-length" or "connection"
            or "transfer-encoding" or "upgrade" or "keep-alive" or "proxy-connection";
}
