using System.Text;

namespace ArrowCid.Grpc;

/// <summary>
/// The percent-encoding of <c>grpc-message</c>: UTF-8 bytes, with every byte outside printable
/// ASCII (and '%' itself) written as %XX. Decoding is lenient, as the spec asks: a '%' not
/// followed by two hex digits is kept literally rather than failing the call.
/// </summary>
internal static class GrpcStatusMessage
{
    public static string Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        var builder = new StringBuilder(utf8.Length);
        foreach (byte b in utf8)
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(HexDigit(b >> 4)).Append(HexDigit(b & 0xF));
            }
        }

        return builder.ToString();
    }

    public static string Decode(string? wire)
    {
        if (string.IsNullOrEmpty(wire))
        {
            return string.Empty;
        }

        var bytes = new List<byte>(wire.Length);
        for (int i = 0; i < wire.Length; i++)
        {
            char c = wire[i];
            if (c == '%' && i + 2 < wire.Length && TryHex(wire[i + 1], out int high) && TryHex(wire[i + 2], out int low))
            {
                bytes.Add((byte)((high << 4) | low));
                i += 2;
            }
            else if (c <= 0x7F)
            {
                bytes.Add((byte)c);
            }
            else
            {
                // Not valid on the wire, but keep the character rather than lose it.
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'A' + value - 10);

    private static bool TryHex(char c, out int value)
    {
        value = c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'a' and <= 'f' => c - 'a' + 10,
            >= 'A' and <= 'F' => c - 'A' + 10,
            _ => -1,
        };
        return value >= 0;
    }
}
