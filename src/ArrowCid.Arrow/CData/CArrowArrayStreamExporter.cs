using System.Runtime.InteropServices;
using System.Text;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.CData;

/// <summary>
/// Exports a sequence of record batches as <c>struct ArrowArrayStream</c> (CStreamInterface.rst).
/// <c>get_schema</c> may be called any number of times; <c>get_next</c> pulls the next batch (a
/// released array marks the end); callbacks are serialised by a lock, so a consumer may call them
/// from any thread; no exception crosses into native code: a failure becomes an errno return and
/// the message is kept for <c>get_last_error</c>.
/// </summary>
public static unsafe class CArrowArrayStreamExporter
{
    private const int EIO = 5;
    private const int EINVAL = 22;

    /// <summary>
    /// Exports <paramref name="batches"/> (enumerated lazily, once) with <paramref name="schema"/>.
    /// When <paramref name="disposeBatches"/> is true each batch is disposed when the consumer releases
    /// the array exported from it (hand over batches that hold leases this way).
    /// </summary>
    public static void Export(Schema schema, IEnumerable<RecordBatch> batches, CArrowArrayStream* output, bool disposeBatches = false)
    {
        ArgumentNullException.ThrowIfNull(batches);
        Export(schema, new SyncSource(batches), output, disposeBatches);
    }

    /// <summary>
    /// Exports one batch as a stream that owns it: the batch is disposed when the consumer releases
    /// the array exported from it, or with the stream if the consumer never asked for it (so a
    /// lease or a producer's memory it holds is never left behind).
    /// </summary>
    public static void ExportOne(RecordBatch batch, CArrowArrayStream* output)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var owned = new OneBatch(batch);
        try
        {
            Export(batch.Schema, new SyncSource(owned), output, disposeBatches: true);
        }
        catch
        {
            owned.Dispose();
            throw;
        }
    }

    /// <summary>As <see cref="Export(Schema, IEnumerable{RecordBatch}, CArrowArrayStream*, bool)"/>, for an asynchronous sequence (get_next waits for it).</summary>
    public static void Export(Schema schema, IAsyncEnumerable<RecordBatch> batches, CArrowArrayStream* output, bool disposeBatches = false)
    {
        ArgumentNullException.ThrowIfNull(batches);
        Export(schema, new AsyncSource(batches), output, disposeBatches);
    }

    /// <summary>Exports <paramref name="batches"/> into the <c>ArrowArrayStream</c> at address <paramref name="output"/> (for callers without unsafe code).</summary>
    public static void Export(Schema schema, IEnumerable<RecordBatch> batches, nint output, bool disposeBatches = false) =>
        Export(schema, batches, (CArrowArrayStream*)output, disposeBatches);

    /// <summary>Exports an asynchronous sequence into the <c>ArrowArrayStream</c> at address <paramref name="output"/>.</summary>
    public static void Export(Schema schema, IAsyncEnumerable<RecordBatch> batches, nint output, bool disposeBatches = false) =>
        Export(schema, batches, (CArrowArrayStream*)output, disposeBatches);

    private static void Export(Schema schema, IBatchSource source, CArrowArrayStream* output, bool disposeBatches)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (output == null)
        {
            throw new ArgumentNullException(nameof(output));
        }

        var state = new StreamState(schema, source, disposeBatches);
        output->GetSchema = &GetSchema;
        output->GetNext = &GetNext;
        output->GetLastError = &GetLastError;
        output->PrivateData = (void*)GCHandle.ToIntPtr(GCHandle.Alloc(state));
        output->Release = &Release;
    }

    private static StreamState? State(CArrowArrayStream* stream) =>
        stream == null || stream->PrivateData == null ? null : GCHandle.FromIntPtr((nint)stream->PrivateData).Target as StreamState;

    [UnmanagedCallersOnly]
    private static int GetSchema(CArrowArrayStream* stream, CArrowSchema* output)
    {
        var state = State(stream);
        if (state is null || output == null)
        {
            return EINVAL;
        }

        lock (state)
        {
            try
            {
                CArrowSchemaExporter.Export(state.Schema, output);
                return 0;
            }
#pragma warning disable CA1031 // an exception must not cross into native code: it becomes errno + last error
            catch (Exception e)
#pragma warning restore CA1031
            {
                return state.Fail(e);
            }
        }
    }

    [UnmanagedCallersOnly]
    private static int GetNext(CArrowArrayStream* stream, CArrowArray* output)
    {
        var state = State(stream);
        if (state is null || output == null)
        {
            return EINVAL;
        }

        lock (state)
        {
            *output = default; // a released structure unless a batch is written below
            try
            {
                var batch = state.Source.Next();
                if (batch is null)
                {
                    return 0;
                }

                try
                {
                    if (!batch.Schema.Equals(state.Schema))
                    {
                        throw new ArrowFormatException($"batch schema differs from the stream schema: {ArrayEquality.SchemaDifference(state.Schema, batch.Schema)}");
                    }

                    CArrowArrayExporter.Export(batch, output, state.DisposeBatches ? batch : null);
                }
                catch when (state.DisposeBatches)
                {
                    batch.Dispose();
                    throw;
                }

                return 0;
            }
#pragma warning disable CA1031 // an exception must not cross into native code: it becomes errno + last error
            catch (Exception e)
#pragma warning restore CA1031
            {
                return state.Fail(e);
            }
        }
    }

    [UnmanagedCallersOnly]
    private static byte* GetLastError(CArrowArrayStream* stream)
    {
        var state = State(stream);
        if (state is null)
        {
            return null;
        }

        lock (state)
        {
            return (byte*)state.LastError;
        }
    }

    [UnmanagedCallersOnly]
    private static void Release(CArrowArrayStream* stream)
    {
        if (stream == null || stream->Release == null)
        {
            return;
        }

        try
        {
            if (stream->PrivateData != null)
            {
                var handle = GCHandle.FromIntPtr((nint)stream->PrivateData);
                if (handle.Target is StreamState state)
                {
                    lock (state)
                    {
                        state.Dispose();
                    }
                }

                handle.Free();
            }
        }
#pragma warning disable CA1031 // an exception must not cross into native code
        catch (Exception)
#pragma warning restore CA1031
        {
            // Nothing sensible can be reported from a release callback.
        }

        stream->PrivateData = null;
        stream->GetSchema = null;
        stream->GetNext = null;
        stream->GetLastError = null;
        stream->Release = null;
    }

    private sealed class StreamState(Schema schema, IBatchSource source, bool disposeBatches) : IDisposable
    {
        public Schema Schema { get; } = schema;

        public IBatchSource Source { get; } = source;

        public bool DisposeBatches { get; } = disposeBatches;

        /// <summary>Null-terminated UTF-8 message of the last failure (native memory), or 0.</summary>
        public nint LastError { get; private set; }

        public int Fail(Exception e)
        {
            SetError($"{e.GetType().Name}: {e.Message}");
            return e is ArrowFormatException or ArgumentException ? EINVAL : EIO;
        }

        private void SetError(string message)
        {
            FreeError();
            int n = Encoding.UTF8.GetByteCount(message);
            var p = (byte*)NativeMemory.Alloc((nuint)n + 1);
            Encoding.UTF8.GetBytes(message, new Span<byte>(p, n));
            p[n] = 0;
            LastError = (nint)p;
        }

        private void FreeError()
        {
            if (LastError != 0)
            {
                NativeMemory.Free((void*)LastError);
                LastError = 0;
            }
        }

        public void Dispose()
        {
            FreeError();
            Source.Dispose();
        }
    }

    private interface IBatchSource : IDisposable
    {
        /// <summary>The next batch, or null at the end.</summary>
        RecordBatch? Next();
    }

    private sealed class SyncSource(IEnumerable<RecordBatch> batches) : IBatchSource
    {
        private IEnumerator<RecordBatch>? _enumerator;
        private bool _done;

        public RecordBatch? Next()
        {
            if (_done)
            {
                return null;
            }

            _enumerator ??= batches.GetEnumerator();
            if (_enumerator.MoveNext())
            {
                return _enumerator.Current;
            }

            _done = true;
            return null;
        }

        // A sequence that owns what it has not handed out yet (OneBatch) lets it go here.
        public void Dispose()
        {
            _enumerator?.Dispose();
            (batches as IDisposable)?.Dispose();
        }
    }

    /// <summary>One batch as a sequence that disposes it on <see cref="Dispose"/> unless it was handed out.</summary>
    private sealed class OneBatch(RecordBatch batch) : IEnumerable<RecordBatch>, IDisposable
    {
        private RecordBatch? _held = batch;

        public IEnumerator<RecordBatch> GetEnumerator()
        {
            if (Interlocked.Exchange(ref _held, null) is { } batch)
            {
                yield return batch;
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public void Dispose() => Interlocked.Exchange(ref _held, null)?.Dispose();
    }

    private sealed class AsyncSource(IAsyncEnumerable<RecordBatch> batches) : IBatchSource
    {
        private IAsyncEnumerator<RecordBatch>? _enumerator;
        private bool _done;

        public RecordBatch? Next()
        {
            if (_done)
            {
                return null;
            }

            // The C interface is synchronous: block this (native) caller's thread until the batch is there.
            _enumerator ??= batches.GetAsyncEnumerator();
            if (_enumerator.MoveNextAsync().AsTask().GetAwaiter().GetResult())
            {
                return _enumerator.Current;
            }

            _done = true;
            return null;
        }

        public void Dispose() => _enumerator?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
