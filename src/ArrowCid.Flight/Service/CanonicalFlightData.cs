using ArrowCid.Content;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.Flight.Protocol;
using Google.Protobuf;

namespace ArrowCid.Flight.Service;

/// <summary>
/// Streams stored content as FlightData without re-encoding: a canonical block is split into its
/// messages and each goes out as (data_header = the Message flatbuffer as stored, already padded to
/// 8; data_body = its body as stored). Writing them back as an IPC stream — 0xFFFFFFFF, int32
/// length, header, body — and adding the end-of-stream marker gives the block byte for byte, so a
/// client re-hashes exactly what the CID names. A dataset is its schema message once, then every
/// batch's dictionary and record batch messages in manifest order.
/// </summary>
internal static class CanonicalFlightData
{
    /// <summary>Writes one batch block's messages; the bytes are wrapped, not copied, until the writer serialises them.</summary>
    public static async Task WriteBatchAsync(ReadOnlyMemory<byte> block, Func<FlightData, Task> write, bool skipSchema)
    {
        bool first = true;
        foreach (var (metadata, body) in Arrow.Ipc.IpcMessageDecoder.Split(block))
        {
            if (!(first && skipSchema))
            {
                await write(new FlightData
                {
                    DataHeader = UnsafeByteOperations.UnsafeWrap(metadata),
                    DataBody = UnsafeByteOperations.UnsafeWrap(body),
                }).ConfigureAwait(false);
            }

            first = false;
        }
    }

    /// <summary>Writes a dataset: schema once, then each batch's messages, every batch block hashed first.</summary>
    public static async Task WriteDatasetAsync(
        DatasetManifest manifest, Func<Cid, CancellationToken, Task<MappedContent>> open, Func<FlightData, Task> write, CancellationToken cancellationToken)
    {
        byte[] schema = manifest.SchemaMessage.ToArray();
        await write(new FlightData { DataHeader = UnsafeByteOperations.UnsafeWrap(schema.AsMemory(8)) }).ConfigureAwait(false);
        foreach (var batch in manifest.Batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var mapped = await open(batch.Cid, cancellationToken).ConfigureAwait(false);
            if (!mapped.Memory.Span.StartsWith(schema))
            {
                throw new ContentFormatException($"batch {batch.Cid} does not start with the dataset's schema message");
            }

            await WriteBatchAsync(mapped.Memory, write, skipSchema: true).ConfigureAwait(false);
        }
    }

    /// <summary>The mapped block, or <see cref="BlockNotFoundException"/> when this node lacks it.</summary>
    public static MappedContent Require(MappedContent? mapped, Cid cid) => mapped ?? throw new BlockNotFoundException(cid);
}
