using System.Buffers.Binary;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Content;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Stores;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>
/// Writes a dataset as one Arrow IPC stream without decoding a batch: every canonical block is the
/// dataset's schema message, the batch's dictionary messages and record batch message, and the
/// end-of-stream marker. So the stream is the schema message once, each block's middle part in
/// manifest order (non-delta dictionary batches replace the previous batch's, as the stream format
/// allows), and one end-of-stream marker.
/// </summary>
internal static class DatasetStreamWriter
{
    private const int EndOfStreamLength = 8;

    public static long Write(DirectoryBlockStore store, DatasetManifest manifest, Stream destination, bool verify)
    {
        var schemaMessage = manifest.SchemaMessage;
        destination.Write(schemaMessage);
        long written = schemaMessage.Length;
        foreach (var batch in manifest.Batches)
        {
            using var block = MappedBlock.Open(store, batch.Cid, verify);
            var bytes = block.Memory.Span;
            if (bytes.Length < schemaMessage.Length + EndOfStreamLength || !bytes.StartsWith(schemaMessage) || !IsEndOfStream(bytes[^EndOfStreamLength..]))
            {
                throw new ContentFormatException($"batch {batch.Cid} is not a canonical block of the dataset's schema (its bytes do not start with the schema message and end with the end-of-stream marker)");
            }

            var middle = bytes[schemaMessage.Length..^EndOfStreamLength];
            destination.Write(middle);
            written += middle.Length;
        }

        EncodedMessage.WriteEndOfStream(destination);
        return written + EndOfStreamLength;
    }

    private static bool IsEndOfStream(ReadOnlySpan<byte> tail) =>
        BinaryPrimitives.ReadUInt32LittleEndian(tail) == EncodedMessage.Continuation && BinaryPrimitives.ReadInt32LittleEndian(tail[4..]) == 0;
}
