using System.Buffers.Text;

namespace ArrowCid.Grpc;

/// <summary>Converts custom metadata to and from HTTP/2 header fields.</summary>
internal static class MetadataHeaders
{
    /// <summary>The header value for an entry: text as is, bytes as unpadded base64 (as the spec recommends).</summary>
    public static string ToHeaderValue(MetadataEntry entry) =>
        entry.IsBinary ? Convert.ToBase64String(entry.RawBytes).TrimEnd('=') : entry.Value;

    /// <summary>
    /// Collects the custom metadata among received header fields, skipping the ones HTTP and gRPC
    /// reserve. A malformed field is a protocol error: <see cref="StatusCode.Internal"/>.
    /// </summary>
    public static Metadata FromHeaders(IEnumerable<KeyValuePair<string, IEnumerable<string?>>> headers)
    {
        var metadata = new Metadata();
        foreach (var (rawKey, values) in headers)
        {
            string key = rawKey.ToLowerInvariant();
            if (MetadataKey.IsReserved(key) || !IsLegalKey(key))
            {
                continue;
            }

            foreach (string? value in values)
            {
                if (value is null)
                {
                    continue;
                }

                if (MetadataKey.IsBinary(key))
                {
                    // Several binary values may arrive joined by commas; each is base64 on its own.
                    foreach (string part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    {
                        metadata.Add(new MetadataEntry(key, DecodeBase64(key, part)));
                    }
                }
                else if (IsPrintableAscii(value))
                {
                    metadata.Add(new MetadataEntry(key, value));
                }
                else
                {
                    throw new RpcException(StatusCode.Internal, $"metadata '{key}' has a value that is not printable ASCII");
                }
            }
        }

        return metadata;
    }

    /// <summary>Decodes base64 with or without padding.</summary>
    private static byte[] DecodeBase64(string key, string text)
    {
        int padding = (4 - (text.Length % 4)) % 4;
        string padded = padding == 0 ? text : text + new string('=', padding);
        byte[] buffer = new byte[Base64.GetMaxDecodedFromUtf8Length(padded.Length)];
        if (padding == 3 || !Convert.TryFromBase64String(padded, buffer, out int written))
        {
            throw new RpcException(StatusCode.Internal, $"binary metadata '{key}' is not valid base64");
        }

        return buffer.AsSpan(0, written).ToArray();
    }

    private static bool IsLegalKey(string key)
    {
        foreach (char c in key)
        {
            if (!(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.'))
            {
                return false;
            }
        }

        return key.Length > 0;
    }

    private static bool IsPrintableAscii(string value)
    {
        foreach (char c in value)
        {
            if (c < 0x20 || c > 0x7E)
            {
                return false;
            }
        }

        return true;
    }
}
