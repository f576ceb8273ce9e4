using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using ArrowCid.Arrow;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Canonical;

namespace ArrowCid.Content.Datasets;

/// <summary>
/// The schema of a dataset as its manifest holds it: the canonical encapsulated Schema message
/// (continuation marker, metadata length, Message flatbuffer with sorted metadata), byte for byte
/// the message that opens every canonical batch block of the dataset. Storing the message itself,
/// rather than a description of it, lets a reader rebuild one IPC stream from the blocks without
/// decoding them and keeps a schema-only (zero-batch) dataset readable.
/// </summary>
public static class DatasetSchemaMessage
{
    // Each schema object's message, encoded once: a put encodes it for its chunker and again for
    // its tree, and puts of one table shape share one schema object (DoPut decodes a Schema message
    // once per distinct bytes). A schema is immutable, so its message never changes.
    private static readonly ConditionalWeakTable<Schema, byte[]> Encoded = [];

    /// <summary>The canonical Schema message for <paramref name="schema"/>.</summary>
    /// <param name="schema">Any schema; its metadata is put in canonical order.</param>
    /// <returns>The encapsulated message bytes: an array of the caller's own.</returns>
    public static byte[] Encode(Schema schema) => EncodeShared(schema).ToArray();

    /// <summary>As <see cref="Encode"/>, without a copy: the message kept for the schema, read-only (for callers that only read or send it).</summary>
    /// <param name="schema">Any schema; its metadata is put in canonical order.</param>
    /// <returns>The encapsulated message bytes.</returns>
    public static ReadOnlyMemory<byte> EncodeShared(Schema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return Encoded.GetValue(schema, EncodeOnce);
    }

    private static byte[] EncodeOnce(Schema schema)
    {
        var message = MessageEncoder.EncodeSchema(CanonicalArrays.Normalize(schema), CanonicalEncoder.WriteOptions);
        var bytes = new byte[message.TotalLength];
        message.CopyTo(bytes);
        return bytes;
    }

    /// <summary>Reads a Schema message from outside and checks that it is the canonical one.</summary>
    /// <param name="message">The encapsulated message bytes.</param>
    /// <returns>The schema.</returns>
    /// <exception cref="ContentFormatException">Not exactly one canonical Schema message.</exception>
    public static Schema Decode(ReadOnlySpan<byte> message)
    {
        if (message.Length < 8 || BinaryPrimitives.ReadUInt32LittleEndian(message) != EncodedMessage.Continuation)
        {
            throw new ContentFormatException("dataset schema: not an encapsulated IPC message (no continuation marker)");
        }

        // The message alone plus an end-of-stream marker is a complete, batch-less IPC stream.
        var stream = new byte[message.Length + 8];
        message.CopyTo(stream);
        BinaryPrimitives.WriteUInt32LittleEndian(stream.AsSpan(message.Length), EncodedMessage.Continuation);
        Schema schema;
        try
        {
            using var reader = new ArrowStreamReader(stream.AsMemory());
            schema = reader.Schema;
            if (reader.ReadNext() is not null || reader.Position != stream.Length)
            {
                throw new ContentFormatException("dataset schema: bytes follow the Schema message");
            }
        }
        catch (ArrowFormatException e)
        {
            throw new ContentFormatException($"dataset schema: not a valid Arrow Schema message: {e.Message}", e);
        }

        var canonical = EncodeShared(schema).Span;
        if (!canonical.SequenceEqual(message))
        {
            throw new ContentFormatException("dataset schema: the Schema message is not in canonical form", FirstDifference(canonical, message));
        }

        return schema;
    }

    private static long FirstDifference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.CommonPrefixLength(b);
}
