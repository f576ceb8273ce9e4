using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Content.Datasets;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using ArrowCid.Registry;
using ArrowCid.Repository;
using Google.Protobuf;

namespace ArrowCid.Flight.Service;

/// <summary>
/// One DoPut: any Arrow stream in (schema, dictionaries, record batches, as FlightData; the first
/// message carries the descriptor with tags or a name), each batch canonicalised, stored and
/// registered as it arrives and acknowledged by a PutResult {"cid","rows","bytes"} once durable; at
/// the end the dataset linking them is stored, recorded as the next version of the name when one
/// was given, and acknowledged with {"dataset",…} (plus "name" and "version"). A batch is
/// acknowledged only after it is on disk and registered, so an acknowledged put survives any later failure.
/// </summary>
internal static class FlightPutSession
{
    public static async Task RunAsync(
        IAsyncStreamReader<FlightData> requests, IServerStreamWriter<PutResult> responses, ServerCallContext context,
        ContentRepository content, CatalogWriter catalog)
    {
        var decoder = new IpcMessageDecoder();
        PutOptions? options = null;
        var batches = new List<DatasetBatch>();
        while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            FlightData data = requests.Current;
            options ??= FlightRequests.PutOptionsOf(data.FlightDescriptor, context.Peer);
            if (data.DataHeader.IsEmpty)
            {
                // A descriptor-only or app_metadata-only message.
                continue;
            }

            RecordBatch? batch = decoder.Decode(data.DataHeader.Span, data.DataBody.Memory);
            if (batch is null)
            {
                continue;
            }

            StoredBatch stored;
            using (batch)
            {
                // The name is the dataset's, given to it at the end.
                stored = content.PutBatch(batch, options with { Name = null });
            }

            catalog.Registered(stored.Cid);
            batches.Add(new DatasetBatch(stored.Cid, stored.Rows, stored.Bytes));
            await responses.WriteAsync(new PutResult
            {
                AppMetadata = ByteString.CopyFrom(FlightJson.Write(w =>
                {
                    w.WriteString("cid", stored.Cid.ToString());
                    w.WriteNumber("rows", stored.Rows);
                    w.WriteNumber("bytes", stored.Bytes);
                })),
            }, context.CancellationToken).ConfigureAwait(false);
        }

        var schema = decoder.Schema ?? throw FlightErrors.Invalid("the DoPut stream carried no schema message");
        options ??= FlightRequests.PutOptionsOf(null, context.Peer);
        var manifest = DatasetManifest.Create(schema, batches);
        var block = manifest.Encode();
        content.Repository.PutBlock(block.Cid, block.Bytes, new BlockRecord
        {
            Cid = block.Cid,
            Kind = BlockKind.Dataset,
            Schema = manifest.Schema.ToString(),
            Rows = manifest.Rows,
            Tags = options.Tags,
            Producer = options.Producer,
            Provenance = options.Provenance,
            Pinned = options.Pin,
        });
        catalog.Registered(block.Cid);
        var version = options.Name is { } name ? catalog.AddVersion(name, block.Cid) : null;
        await responses.WriteAsync(new PutResult
        {
            AppMetadata = ByteString.CopyFrom(FlightJson.Write(w =>
            {
                w.WriteString("dataset", block.Cid.ToString());
                w.WriteNumber("rows", manifest.Rows);
                w.WriteNumber("bytes", manifest.Bytes);
                w.WriteNumber("batches", batches.Count);
                if (version is not null)
                {
                    w.WriteString("name", version.Name);
                    w.WriteNumber("version", version.Version);
                }
            })),
        }, context.CancellationToken).ConfigureAwait(false);
    }
}
