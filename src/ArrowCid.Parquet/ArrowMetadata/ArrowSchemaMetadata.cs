using ArrowCid.Arrow;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowSchema = ArrowCid.Arrow.Types.Schema;

namespace ArrowCid.Parquet.ArrowMetadata;

/// <summary>
/// The <c>ARROW:schema</c> footer entry Arrow C++ writes and reads: base64 (standard alphabet,
/// padded) of one encapsulated IPC Schema message, continuation marker <c>0xFFFFFFFF</c> and
/// 4-byte metadata length included, no end-of-stream marker.
/// </summary>
public static class ArrowSchemaMetadata
{
    /// <summary>The footer key.</summary>
    public const string Key = "ARROW:schema";

    /// <summary>Encodes <paramref name="schema"/> as the footer value.</summary>
    public static string Encode(ArrowSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        using var buffer = new MemoryStream();
        using (var writer = new ArrowStreamWriter(buffer, schema, leaveOpen: true))
        {
            writer.Finish();
        }
        // The stream is the schema message followed by the 8-byte end-of-stream marker.
        ReadOnlySpan<byte> message = buffer.GetBuffer().AsSpan(0, (int)buffer.Length - 8);
        return Convert.ToBase64String(message);
    }

    /// <summary>Decodes a footer value; null when it is not a valid schema message.</summary>
    public static ArrowSchema? TryDecode(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        try
        {
            byte[] message = Convert.FromBase64String(value);
            using var reader = new ArrowStreamReader(message);
            return reader.Schema;
        }
        catch (Exception ex) when (ex is FormatException or ArrowFormatException or ArgumentException or InvalidOperationException or OverflowException)
        {
            return null;
        }
    }
}
