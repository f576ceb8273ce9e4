using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Flight.Protocol;
using ArrowCid.Grpc;
using Google.Protobuf;

namespace ArrowCid.Flight;

/// <summary>
/// Record batches as FlightData: the schema message, then each batch's dictionaries and record
/// batch (data_header the Message flatbuffer, data_body its body). What a client puts and what a
/// server answers that is not stored content (a Flight SQL metadata answer) are written this one way;
/// stored content goes out as its canonical messages (the table stream writer).
/// </summary>
public static class FlightBatchMessages
{
    /// <summary>Bodies at least this large that must be assembled are assembled in pooled arrays.</summary>
    private const int PooledBodyThreshold = 64 * 1024;

    /// <summary>
    /// The messages of <paramref name="batches"/>, each with what gives its body's memory back once
    /// sent (null when it lends none). A body that is one buffer already (one fixed-width column
    /// without nulls) is sent from the batch's memory. A larger one made of several buffers is, with
    /// <paramref name="lendPooledBodies"/>, assembled in a pooled array that goes back to the pool
    /// once written (a fresh array per batch would be fresh memory, faulted in page by page, for
    /// every message); without it, in an array of its own, for a writer that cannot say when it has
    /// sent a message.
    /// </summary>
    /// <param name="schema">The batches' schema.</param>
    /// <param name="batches">The batches; each must stay alive until its messages are sent.</param>
    /// <param name="lendPooledBodies">Whether bodies may be lent from the pool (the caller disposes each release once sent).</param>
    /// <returns>The messages, in order.</returns>
    public static IEnumerable<(FlightData Data, IDisposable? Release)> Encode(Schema schema, IEnumerable<RecordBatch> batches, bool lendPooledBodies = true)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(batches);
        return EncodeIterator(schema, batches, lendPooledBodies);
    }

    /// <summary>The schema's message (built once per schema object and never written to: sent as it is, not copied).</summary>
    /// <param name="schema">The schema.</param>
    /// <returns>The message.</returns>
    public static FlightData SchemaMessage(Schema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return new FlightData { DataHeader = UnsafeByteOperations.UnsafeWrap(MessageEncoder.EncodeSchema(schema, IpcWriteOptions.Default).Metadata) };
    }

    /// <summary>One batch's messages (its dictionaries, then the record batch), as <see cref="Encode"/> makes them.</summary>
    /// <param name="batch">The batch; it must stay alive until its messages are sent.</param>
    /// <param name="lendPooledBodies">Whether bodies may be lent from the pool (the caller disposes each release once sent).</param>
    /// <returns>The messages, in order.</returns>
    public static IEnumerable<(FlightData Data, IDisposable? Release)> BatchMessages(RecordBatch batch, bool lendPooledBodies = true)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return BatchIterator(batch, lendPooledBodies);
    }

    private static IEnumerable<(FlightData Data, IDisposable? Release)> EncodeIterator(Schema schema, IEnumerable<RecordBatch> batches, bool lendPooledBodies)
    {
        yield return (SchemaMessage(schema), null);
        foreach (var batch in batches)
        {
            foreach (var message in BatchIterator(batch, lendPooledBodies))
            {
                yield return message;
            }
        }
    }

    private static IEnumerable<(FlightData Data, IDisposable? Release)> BatchIterator(RecordBatch batch, bool lendPooledBodies)
    {
        foreach (var message in MessageEncoder.EncodeBatchWithDictionaries(batch, IpcWriteOptions.Default))
        {
            var data = new FlightData { DataHeader = UnsafeByteOperations.UnsafeWrap(message.Metadata) };
            if (message.TryGetContiguousBody(out ReadOnlyMemory<byte> contiguous))
            {
                data.DataBody = UnsafeByteOperations.UnsafeWrap(contiguous);
                yield return (data, null);
            }
            else if (!lendPooledBodies || message.BodyLength < PooledBodyThreshold)
            {
                data.DataBody = UnsafeByteOperations.UnsafeWrap(message.BodyToArray());
                yield return (data, null);
            }
            else
            {
                var body = new RentedBody(checked((int)message.BodyLength));
                message.CopyBodyTo(body.Array);
                data.DataBody = UnsafeByteOperations.UnsafeWrap(body.Array.AsMemory(0, (int)message.BodyLength));
                yield return (data, body);
            }
        }
    }

    /// <summary>A body array rented from <see cref="GrpcBufferPool.Large"/>, returned (once) when disposed.</summary>
    private sealed class RentedBody(int length) : IDisposable
    {
        private byte[]? _array = GrpcBufferPool.Large.Rent(length);

        public byte[] Array => _array ?? throw new ObjectDisposedException(nameof(RentedBody));

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } array)
            {
                GrpcBufferPool.Large.Return(array);
            }
        }
    }
}
