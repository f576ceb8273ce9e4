using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using ArrowCid.Repository;
using ArrowCid.Wire;
using Google.Protobuf;

using ArrowCid.Node;

namespace ArrowCid.Flight.Service;

/// <summary>
/// One DoPut: any Arrow stream in (schema, dictionaries, record batches, as FlightData; the first
/// message carries the descriptor with tags or a name), put through one <see cref="TableWriter"/>
/// as a local put is: the rows are cut into content-defined chunks, each stored and registered as
/// it completes; every batch received is acknowledged by a PutResult {"rows","chunks":[{"cid","rows","bytes"}…]}
/// naming the chunks it completed, once they are durable; at the end the last chunk and the table's
/// manifest tree are stored, the table recorded as the next version of the name when one was given,
/// and acknowledged with {"chunks":[…],"dataset",…} (plus "name" and "version"). One acknowledgement
/// is written at a time and reading goes on while it is sent: the batches received meanwhile are
/// acknowledged together by the next one ("rows" counting them all), so a client that reads no result
/// until it has sent everything never waits on a server that waits on it. A chunk is
/// acknowledged only after it is on disk and registered, so an acknowledged put survives any later
/// failure; the writer's pins keep the chunks from a concurrent gc until the table does. A put that ends early (the client cancels,
/// a batch is refused) leaves its batches registered but unpinned.
/// </summary>
internal static class FlightPutSession
{
    // Batches with bodies up to this size are added in place: well under the gRPC reader's 64 KiB
    // large-message threshold, so their message was copied out of its staging buffer into memory
    // of its own, and keeping it holds no pooled array.
    private const int InPlaceBodyBytes = 32 * 1024;

    /// <summary>Runs one DoPut.</summary>
    /// <param name="requests">The client's messages.</param>
    /// <param name="responses">Where acknowledgements go.</param>
    /// <param name="context">The call.</param>
    /// <param name="content">Where the table is stored.</param>
    /// <param name="serviceRegistry">What publishes the put's records.</param>
    /// <param name="node">The node's options and limits.</param>
    /// <param name="ingest">A Flight SQL bulk ingest: its put options and the rows it appends to, acknowledged once, at the end, with a DoPutUpdateResult; null for a plain DoPut.</param>
    public static async Task RunAsync(
        IAsyncStreamReader<FlightData> requests, IServerStreamWriter<PutResult> responses, ServerCallContext context,
        ContentRepository content, ServiceRegistry serviceRegistry, NodeOptions node, FlightIngest? ingest = null)
    {
        var decoder = new IpcMessageDecoder(node.Limits.UploadReadOptions());
        using var publisher = serviceRegistry.ForPut();
        PutOptions? options = ingest?.Options;
        long received = 0;
        TableWriter? writer = null;
        // The last batch, when the writer may hold its rows in place (see AddInPlace).
        RecordBatch? inPlace = null;
        var acknowledgements = new AcknowledgementQueue(responses, context.CancellationToken);
        try
        {
            while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
            {
                FlightData data = requests.Current;
                options ??= FlightRequests.PutOptionsOf(data.FlightDescriptor, context.Peer, node);
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

                IReadOnlyList<StoredBatch> completed;
                int rows = batch.Length;
                bool keep = data.DataBody.Length <= InPlaceBodyBytes;
                try
                {
                    if (inPlace is not null)
                    {
                        // More rows follow the batch held in place: what the writer holds of it is copied before it goes.
                        writer!.Detach();
                        inPlace.Dispose();
                        inPlace = null;
                    }

                    // The decoder gives every batch its stream's schema.
                    writer ??= CreateWriter(content, batch.Schema, options, publisher, ingest);
                    completed = keep ? writer.AddInPlace(batch) : writer.Add(batch);
                    received += rows;
                }
                catch
                {
                    batch.Dispose();
                    throw;
                }

                if (keep)
                {
                    // Kept while the next message is read: a table of one batch, the common small
                    // put, is then stored without copying its rows.
                    inPlace = batch;
                }
                else
                {
                    batch.Dispose();

                    // Stored and disposed: nothing reads the message's memory any more (dictionaries,
                    // which the decoder keeps, never get here), so it can take the next large message.
                    requests.ReleaseCurrent();
                }

                // The batch's rows and the chunks it completed (stored) are acknowledged by the next
                // result to go out. When the client has sent its whole stream it waits for nothing
                // before sending more, so the result can go with the next write (at the end, the last
                // result and the status): one socket write, and one wake-up of the client, per small put.
                if (ingest is null)
                {
                    await acknowledgements.AddAsync(completed, rows, requests.IsReceivedWhole).ConfigureAwait(false);
                }
            }

            var schema = decoder.Schema ?? throw FlightErrors.Invalid("the DoPut stream carried no schema message");
            writer ??= CreateWriter(content, schema, options ?? FlightRequests.PutOptionsOf(null, context.Peer, node), publisher, ingest);
            int acknowledged = writer.Chunks.Count;
            // Waits for the group commit without holding a thread, so concurrent puts share groups.
            var put = await writer.FinishAsync().ConfigureAwait(false);
            context.Subject = put.Version is { } named ? $"{put.Table.Cid} {named.Name}@{named.Version}" : put.Table.Cid.ToString();
            if (ingest is not null)
            {
                // Flight SQL's answer to an ingest: the rows it took, the one result of the call.
                await responses.WriteBufferedAsync(new PutResult
                {
                    AppMetadata = new Protocol.Sql.DoPutUpdateResult { RecordCount = received }.ToByteString(),
                }, context.CancellationToken).ConfigureAwait(false);
                return;
            }

            await acknowledgements.FlushAsync().ConfigureAwait(false);
            // The last message: it goes with the call's status in one write.
            await responses.WriteBufferedAsync(new PutResult
            {
                // The chunk still filling when the stream ended is completed (and stored) by Finish.
                AppMetadata = FlightBodies.Json(
                    new PutResultBody(StoredBatch.Entries(put.Batches.Skip(acknowledged)), put.Table.Cid.ToString(), put.Table.Rows, put.Table.Bytes, put.Table.Batches, put.Version?.Name, put.Version?.Version, put.Version is null ? null : put.VersionAdded, put.Totals),
                    WireJsonContext.Default.PutResultBody),
            }, context.CancellationToken).ConfigureAwait(false);
        }
        finally
        {
            acknowledgements.Abandon();
            writer?.Dispose();
            inPlace?.Dispose();
        }
    }

    // The table's writer; an ingest that appends starts it with the rows of the version it appends to.
    private static TableWriter CreateWriter(ContentRepository content, Arrow.Types.Schema schema, PutOptions options, ServiceRegistry.PutPublication publisher, FlightIngest? ingest)
    {
        var writer = content.CreateTableWriter(schema, options, publisher);
        try
        {
            if (ingest?.AppendTo is { } earlier)
            {
                foreach (var batch in content.ReadBatches(earlier))
                {
                    using (batch)
                    {
                        if (!batch.Schema.Equals(schema))
                        {
                            throw FlightErrors.Invalid($"ingest: the rows appended have another schema than {options.Name}'s latest version ({earlier})");
                        }

                        writer.Add(batch);
                    }
                }
            }

            return writer;
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The acknowledgements of one put: at most one being written; what batches bring while it is
    /// sent is merged into the next (its chunks in order, its rows summed), so the number of results
    /// waiting is one however long the client takes to read them.
    /// </summary>
    private sealed class AcknowledgementQueue(IServerStreamWriter<PutResult> responses, CancellationToken cancellation)
    {
        private readonly List<ChunkEntry> _chunks = [];
        private long _rows;
        private bool _pending;
        private Task _writing = Task.CompletedTask;

        /// <summary>Adds a batch's acknowledgement; sends what is pending unless a result is still being written.</summary>
        public async Task AddAsync(IReadOnlyList<StoredBatch> completed, long rows, bool receivedWhole)
        {
            _chunks.AddRange(StoredBatch.Entries(completed));
            _rows += rows;
            _pending = true;
            if (!_writing.IsCompleted)
            {
                return;
            }

            // Observes the last write's failure (the call is over then).
            await _writing.ConfigureAwait(false);
            PutResult result = Take();
            // A buffered write completes at once and goes out with the next one.
            _writing = receivedWhole ? responses.WriteBufferedAsync(result, cancellation) : responses.WriteAsync(result, cancellation);
        }

        /// <summary>Waits for the result being written and sends what is still pending (before the final result).</summary>
        public async Task FlushAsync()
        {
            await _writing.ConfigureAwait(false);
            if (_pending)
            {
                _writing = responses.WriteBufferedAsync(Take(), cancellation);
                await _writing.ConfigureAwait(false);
            }
        }

        /// <summary>The put ended: a result still being written is left to fail quietly with the call.</summary>
        public void Abandon()
        {
            if (!_writing.IsCompleted)
            {
                _ = _writing.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        private PutResult Take()
        {
            var result = new PutResult
            {
                AppMetadata = FlightBodies.Json(new PutResultBody([.. _chunks], null, _rows, null, null, null, null), WireJsonContext.Default.PutResultBody),
            };
            _chunks.Clear();
            _rows = 0;
            _pending = false;
            return result;
        }
    }
}

/// <summary>A Flight SQL bulk ingest (CommandStatementIngest) as a put.</summary>
/// <param name="Options">The put's options: the name whose next version the rows become.</param>
/// <param name="AppendTo">The version whose rows come first (TABLE_EXISTS_OPTION_APPEND), or null.</param>
internal sealed record FlightIngest(PutOptions Options, Content.Multiformats.Cid? AppendTo);
