using ArrowCid.Arrow;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Compression;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Validation;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Canonical;

/// <summary>
/// Encodes a record batch in the one canonical Arrow IPC stream form and names it by its CID
/// (CIDv1, raw codec, sha2-256 of the bytes): the schema message, one non-delta dictionary batch
/// per dictionary, exactly one record batch and the end-of-stream marker, after
/// <see cref="CanonicalArrays.Normalize(RecordBatch)"/>. The rules are in docs/canonical-form.md.
/// </summary>
public static class CanonicalEncoder
{
    /// <summary>The IPC options of the canonical form: metadata sorted, 8-byte buffer alignment, no compression.</summary>
    public static IpcWriteOptions WriteOptions { get; } = new()
    {
        SortMetadata = true,
        BufferAlignment = 8,
        Compression = CompressionCodec.None,
        EmitDictionaryDeltas = false,
    };

    /// <summary>The canonical bytes of <paramref name="batch"/>.</summary>
    /// <param name="batch">Any valid batch.</param>
    /// <returns>The canonical IPC stream.</returns>
    public static byte[] Encode(RecordBatch batch)
    {
        var canonical = CanonicalArrays.Normalize(batch);
        // Measure first (bodies are only counted, not copied), then write once into an exact array.
        var bytes = new byte[checked((int)MeasureNormalized(canonical))];
        using var destination = new MemoryStream(bytes, writable: true);
        WriteNormalized(canonical, destination);
        return bytes;
    }

    /// <summary>The length of the canonical bytes of <paramref name="batch"/>, without producing them.</summary>
    /// <param name="batch">Any valid batch.</param>
    /// <returns>The canonical length in bytes.</returns>
    public static long EncodedLength(RecordBatch batch) => MeasureNormalized(CanonicalArrays.Normalize(batch));

    /// <summary>The canonical length of a batch already in canonical shape (not checked: the chunker's own slices).</summary>
    internal static long EncodedLengthOfCanonical(RecordBatch canonical) => MeasureNormalized(canonical);

    private static long MeasureNormalized(RecordBatch canonical)
    {
        using var counter = new ByteCountingStream();
        WriteNormalized(canonical, counter);
        return counter.Length;
    }

    /// <summary>Writes the canonical bytes of <paramref name="batch"/> to <paramref name="destination"/> (left open).</summary>
    /// <param name="batch">Any valid batch.</param>
    /// <param name="destination">Where the stream is written.</param>
    public static void Encode(RecordBatch batch, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        WriteNormalized(CanonicalArrays.Normalize(batch), destination);
    }

    /// <summary>The CID of the canonical bytes of <paramref name="batch"/>, hashed while encoding (the bytes are never held).</summary>
    /// <param name="batch">Any valid batch.</param>
    /// <returns>A CIDv1 (raw, sha2-256), printed <c>bafkrei…</c>.</returns>
    public static Cid ComputeCid(RecordBatch batch) => ComputeCidAndLength(batch).Cid;

    /// <summary>The CID and the length in bytes of the canonical encoding of <paramref name="batch"/>.</summary>
    /// <param name="batch">Any valid batch.</param>
    /// <returns>The CID and the number of canonical bytes it names.</returns>
    public static (Cid Cid, long Length) ComputeCidAndLength(RecordBatch batch) => CidOfCanonical(CanonicalArrays.Normalize(batch));

    /// <summary>The CID and length of a batch already in canonical shape (not checked: the chunker's own chunks).</summary>
    internal static (Cid Cid, long Length) CidOfCanonical(RecordBatch canonical)
    {
        using var hashing = new HashingStream();
        WriteNormalized(canonical, hashing);
        long length = hashing.Length;
        var digest = hashing.FinishHash();
        return (Cid.CreateV1(Multicodec.Raw, new Multihash(Multicodec.Sha2256, digest)), length);
    }

    /// <summary>Writes a batch already in canonical shape (not checked: the chunker's own chunks).</summary>
    internal static void EncodeCanonical(RecordBatch canonical, Stream destination) => WriteNormalized(canonical, destination);

    /// <summary>Whether <paramref name="ipcStream"/> is exactly the canonical encoding of the batch it holds.</summary>
    /// <param name="ipcStream">Bytes from outside.</param>
    /// <returns>False for anything malformed or not canonical.</returns>
    public static bool IsCanonical(ReadOnlyMemory<byte> ipcStream)
    {
        try
        {
            VerifyCanonical(ipcStream);
            return true;
        }
        catch (ContentFormatException)
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="ipcStream"/> is exactly the canonical encoding of the batch it holds (copies the span once to read it).</summary>
    /// <param name="ipcStream">Bytes from outside.</param>
    /// <returns>False for anything malformed or not canonical.</returns>
    public static bool IsCanonical(ReadOnlySpan<byte> ipcStream) => IsCanonical(ipcStream.ToArray().AsMemory());

    /// <summary>
    /// Checks bytes from outside: a well-formed IPC stream (fully validated) with exactly one record
    /// batch whose canonical encoding is byte for byte these bytes. Returns their CID.
    /// </summary>
    /// <param name="ipcStream">Bytes from outside.</param>
    /// <returns>The CID of the bytes.</returns>
    /// <exception cref="ContentFormatException">The bytes are malformed, hold no batch or more than one, or are not canonical (the message gives the first differing offset).</exception>
    public static Cid VerifyCanonical(ReadOnlyMemory<byte> ipcStream)
    {
        CheckCanonical(ipcStream);
        return Cid.ForRaw(ipcStream.Span);
    }

    /// <summary>
    /// <see cref="VerifyCanonical(ReadOnlyMemory{byte})"/> without hashing the bytes: for bytes already
    /// hashed against the CID they came under (a block fetched by CID, a CAR's section), whose CID a
    /// second hash would only repeat.
    /// </summary>
    /// <param name="ipcStream">Bytes from outside.</param>
    /// <exception cref="ContentFormatException">The bytes are malformed, hold no batch or more than one, or are not canonical (the message gives the first differing offset).</exception>
    public static void CheckCanonical(ReadOnlyMemory<byte> ipcStream)
    {
        RecordBatch batch;
        try
        {
            using var reader = new ArrowStreamReader(ipcStream, new IpcReadOptions { Validation = ValidationLevel.Full });
            batch = reader.ReadNext() ?? throw new ContentFormatException("canonical form: the stream holds no record batch");
            if (reader.ReadNext() is not null)
            {
                throw new ContentFormatException("canonical form: the stream holds more than one record batch");
            }
        }
        catch (ArrowFormatException e)
        {
            throw new ContentFormatException($"canonical form: not a valid Arrow IPC stream: {e.Message}", e);
        }

        using var comparing = new ComparingStream(ipcStream);
        try
        {
            Encode(batch, comparing);
        }
        catch (ArrowFormatException e)
        {
            throw new ContentFormatException($"canonical form: the batch cannot be re-encoded: {e.Message}", e);
        }

        if (!comparing.MatchedAll)
        {
            long at = comparing.FirstDifference >= 0 ? comparing.FirstDifference : comparing.Length;
            throw new ContentFormatException("canonical form: the bytes differ from the canonical encoding of the batch they hold", at);
        }
    }

    /// <summary>Like <see cref="VerifyCanonical(ReadOnlyMemory{byte})"/> over a span (copied once to read it).</summary>
    /// <param name="ipcStream">Bytes from outside.</param>
    /// <returns>The CID of the bytes.</returns>
    /// <exception cref="ContentFormatException">The bytes are not a canonical encoding.</exception>
    public static Cid VerifyCanonical(ReadOnlySpan<byte> ipcStream) => VerifyCanonical(ipcStream.ToArray().AsMemory());

    private static void WriteNormalized(RecordBatch canonical, Stream destination)
    {
        using var writer = new ArrowStreamWriter(destination, canonical.Schema, WriteOptions, leaveOpen: true);
        writer.Write(canonical);
        writer.Finish();
    }
}
