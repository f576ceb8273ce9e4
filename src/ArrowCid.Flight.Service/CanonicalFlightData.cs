using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Protocol;
using ArrowCid.Registry;
using ArrowCid.Repository;
using Google.Protobuf;


namespace ArrowCid.Flight.Service;

/// <summary>
/// Streams stored content as FlightData without re-encoding: a canonical block is laid out into its
/// messages (<see cref="CanonicalBlockLayout"/>) and each goes out as (data_header = the Message
/// flatbuffer as stored, already padded to 8; data_body = its body as stored). Writing them back as
/// an IPC stream — 0xFFFFFFFF, int32 length, header, body — and adding the end-of-stream marker
/// gives the block byte for byte, so a client re-hashes exactly what the CID names. A table (or a
/// range of its chunks) is its schema message once, then every chunk's dictionary and record batch
/// messages in row order.
/// An Arrow stream kept as imported (not canonical) goes out message by message as it is.
/// </summary>
internal static class CanonicalFlightData
{
    /// <summary>Writes one block's messages; the bytes are wrapped, not copied, until the writer serialises them.</summary>
    public static async Task WriteBlockAsync(LeasedBlock block, BlockKind? kind, Func<FlightData, Task> write)
    {
        var messages = kind == BlockKind.ArrowStream
            ? IpcMessageDecoder.EnumerateMessages(block.Memory)
            : CanonicalBlockLayout.Parse(block.Memory, block.Cid).Messages;
        foreach (var message in messages)
        {
            await write(ToFlightData(message)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Writes chunks of a table: its schema message once, then each chunk's dictionary and record
    /// batch messages in row order, every chunk block checked against its CID and its schema
    /// message against the table's as it is opened. A chunk is at most 1 MiB, so every message is too.
    /// </summary>
    public static async Task WriteTableAsync(
        Schema schema, IEnumerable<TableTreeEntry> chunks, Func<Cid, CancellationToken, Task<LeasedBlock>> open, Func<FlightData, bool, Task> write, CancellationToken cancellationToken)
    {
        // The kept message, read-only: the ByteString only wraps it.
        var schemaMessage = DatasetSchemaMessage.EncodeShared(schema);
        await write(new FlightData { DataHeader = UnsafeByteOperations.UnsafeWrap(schemaMessage[8..]) }, false).ConfigureAwait(false);
        foreach (var chunk in chunks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var block = await open(chunk.Cid, cancellationToken).ConfigureAwait(false);
            var layout = CanonicalBlockLayout.ParseChunk(block.Memory, schemaMessage.Span, chunk.Cid);
            // A chunk's dictionary batches are small and its record batch follows at once: they may
            // wait for it (the second argument), so a chunk goes out as one frame and one socket write.
            foreach (var message in layout.Dictionaries)
            {
                await write(ToFlightData(message), true).ConfigureAwait(false);
            }

            await write(ToFlightData(layout.RecordBatch), false).ConfigureAwait(false);
        }
    }

    private static FlightData ToFlightData(IpcStreamMessage message) => new()
    {
        DataHeader = UnsafeByteOperations.UnsafeWrap(message.Metadata),
        DataBody = UnsafeByteOperations.UnsafeWrap(message.Body),
    };
}
