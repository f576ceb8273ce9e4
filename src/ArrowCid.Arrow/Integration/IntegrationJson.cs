using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace ArrowCid.Arrow.Integration;

/// <summary>
/// Reads and writes the Arrow integration JSON format (Integration.rst, "JSON test data format"):
/// the textual form of a schema plus record batches used by Arrow's cross-language tests and by
/// the golden files. Gzip-compressed input is recognised by its magic bytes.
/// </summary>
public static class IntegrationJson
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 512 };

    /// <summary>Reads the file at <paramref name="path"/> (plain or gzip-compressed JSON).</summary>
    /// <exception cref="ArrowFormatException">The content is not valid integration JSON.</exception>
    public static IntegrationFile Read(string path) => Parse(File.ReadAllBytes(path));

    /// <summary>Reads integration JSON (plain or gzip-compressed) from <paramref name="stream"/>.</summary>
    /// <exception cref="ArrowFormatException">The content is not valid integration JSON.</exception>
    public static IntegrationFile Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    /// <summary>Reads integration JSON (plain or gzip-compressed) from bytes.</summary>
    /// <exception cref="ArrowFormatException">The content is not valid integration JSON.</exception>
    public static IntegrationFile Parse(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length >= 2 && bytes.Span[0] == 0x1F && bytes.Span[1] == 0x8B)
        {
            bytes = Gunzip(bytes);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw new ArrowFormatException($"integration JSON does not parse: {ex.Message}", ex);
        }

        using (document)
        {
            // The arrays own copies of their bytes, so nothing points into the document after this.
            return JsonFileReader.Read(document.RootElement);
        }
    }

    /// <summary>Reads integration JSON from a string.</summary>
    /// <exception cref="ArrowFormatException">The content is not valid integration JSON.</exception>
    public static IntegrationFile Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>
    /// Writes <paramref name="file"/> as indented integration JSON. Dictionary ids are assigned in
    /// depth-first order of the schema's dictionary-encoded fields, one per distinct dictionary.
    /// </summary>
    /// <exception cref="ArgumentException">Batches give one dictionary-encoded field different dictionaries, which the format cannot express.</exception>
    public static void Write(IntegrationFile file, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, MaxDepth = 512 });
        JsonFileWriter.Write(writer, file);
    }

    /// <summary>The integration JSON text of <paramref name="file"/> (see <see cref="Write(IntegrationFile, Stream)"/>).</summary>
    public static string ToJson(IntegrationFile file)
    {
        using var buffer = new MemoryStream();
        Write(file, buffer);
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static byte[] Gunzip(ReadOnlyMemory<byte> compressed)
    {
        try
        {
            using var input = new MemoryStream(compressed.ToArray());
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream();
            gzip.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException ex)
        {
            throw new ArrowFormatException($"gzip-compressed integration JSON does not decompress: {ex.Message}", ex);
        }
    }
}
