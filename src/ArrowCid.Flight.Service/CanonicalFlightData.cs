using ArrowCid.Arrow.Ipc;
using ArrowCid.Content.Canonical;
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
/// range of its chunks) goes out through <see cref="TableStreamWriter"/> into a <see cref="FlightDataSink"/>.
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

    public static FlightData ToFlightData(IpcStreamMessage message) => new()
    {
        DataHeader = UnsafeByteOperations.UnsafeWrap(message.Metadata),
        DataBody = UnsafeByteOperations.UnsafeWrap(message.Body),
    };
}

/// <summary>
/// A table stream (<see cref="TableStreamWriter"/>) as FlightData: the schema message once (its
/// header without the 8-byte prefix), then each chunk's dictionary and record batch messages as
/// stored. A chunk is at most 1 MiB, so every message is too.
/// </summary>
/// <param name="write">Sends one message; true when it may wait for the next (a chunk's dictionaries wait for its record batch, so a chunk goes out as one frame and one socket write).</param>
internal sealed class FlightDataSink(Func<FlightData, bool, Task> write) : ITableStreamSink
{
    public async ValueTask WriteSchemaAsync(ReadOnlyMemory<byte> schemaMessage, CancellationToken cancellationToken) =>
        // The kept message, read-only: the ByteString only wraps it.
        await write(new FlightData { DataHeader = UnsafeByteOperations.UnsafeWrap(schemaMessage[8..]) }, false).ConfigureAwait(false);

    public async ValueTask WriteChunkAsync(CanonicalBlockLayout chunk, CancellationToken cancellationToken)
    {
        foreach (var message in chunk.Dictionaries)
        {
            await write(CanonicalFlightData.ToFlightData(message), true).ConfigureAwait(false);
        }

        await write(CanonicalFlightData.ToFlightData(chunk.RecordBatch), false).ConfigureAwait(false);
    }

    public ValueTask WriteEndAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
