using ArrowCid.Arrow.Ipc;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Datasets;

namespace ArrowCid.Repository;

/// <summary>
/// Writes a table (its chunks in row order) as one Arrow IPC stream without decoding a batch: every canonical block is the
/// dataset's schema message, the batch's dictionary messages and record batch message, and the
/// end-of-stream marker (<see cref="CanonicalBlockLayout"/>). So the stream is the schema message
/// once, each block's dictionary and record batch messages in row order (non-delta dictionary
/// batches replace the previous batch's, as the stream format allows), and one end-of-stream marker.
/// </summary>
internal static class DatasetStreamWriter
{
    /// <exception cref="Content.Stores.BlockNotFoundException">A batch block is missing.</exception>
    /// <exception cref="Content.Stores.BlockCorruptedException">A batch block does not hash to its CID.</exception>
    /// <exception cref="Content.ContentFormatException">A batch block is not a canonical block of the dataset's schema.</exception>
    public static long Write(BlockReader reader, TableManifest table, Stream destination)
    {
        // The table's schema is canonical, so its Schema message is the one every chunk starts with.
        var schemaMessage = DatasetSchemaMessage.EncodeShared(table.Schema);
        destination.Write(schemaMessage.Span);
        long written = schemaMessage.Length;
        foreach (var chunk in table.Chunks())
        {
            using var block = reader.Open(chunk.Cid);
            var layout = CanonicalBlockLayout.Parse(block.Memory, chunk.Cid);
            layout.RequireSchemaMessage(schemaMessage.Span);
            destination.Write(layout.BatchMessages.Span);
            written += layout.BatchMessages.Length;
        }

        EncodedMessage.WriteEndOfStream(destination);
        return written + CanonicalBlockLayout.EndOfStreamLength;
    }
}
