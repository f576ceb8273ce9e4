using ArrowCid.Arrow.Ipc;
using ArrowCid.Content.Canonical;
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
/// gives the block byte for byte, so a client re-hashes exactly what the CID names. A dataset is its
/// schema message once, then every batch's dictionary and record batch messages in manifest order.
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

    /// <summary>Writes a dataset: schema once, then each batch's messages, every batch block checked against its CID first.</summary>
    public static async Task WriteDatasetAsync(
        DatasetManifest manifest, Func<Cid, CancellationToken, Task<LeasedBlock>> open, Func<FlightData, Task> write, CancellationToken cancellationToken)
    {
        byte[] schema = manifest.SchemaMessage.ToArray();
        await write(new FlightData { DataHeader = UnsafeByteOperations.UnsafeWrap(schema.AsMemory(8)) }).ConfigureAwait(false);
        foreach (var batch in manifest.Batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var block = await open(batch.Cid, cancellationToken).ConfigureAwait(false);
            var layout = CanonicalBlockLayout.Parse(block.Memory, batch.Cid);
            layout.RequireSchemaMessage(schema);
            foreach (var message in layout.Dictionaries)
            {
                await write(ToFlightData(message)).ConfigureAwait(false);
            }

            await write(ToFlightData(layout.RecordBatch)).ConfigureAwait(false);
        }
    }

    private static FlightData ToFlightData(IpcStreamMessage message) => new()
    {
        DataHeader = UnsafeByteOperations.UnsafeWrap(message.Metadata),
        DataBody = UnsafeByteOperations.UnsafeWrap(message.Body),
    };
}
